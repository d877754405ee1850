-- Space: the area tree, unit grids, responsibility grids and routing rules (issue #3).
-- Keep in step with ../postgres/00002_space.sql. Geometries are GeoJSON geometry text
-- (Polygon or MultiPolygon, lon/lat degrees); the database is their source of truth and
-- every node builds its in-memory index from them.

-- +goose Up
CREATE TABLE areas (
    code        TEXT NOT NULL PRIMARY KEY, -- 6 (city, district), 9 (street) or 12 (community) digits
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,             -- city | district | street | community
    parent_code TEXT NOT NULL DEFAULT '',
    geom        TEXT
) STRICT;

CREATE INDEX areas_parent_code ON areas (parent_code);

-- 单元网格: 15-digit code = 12-digit community + 3-digit sequence.
CREATE TABLE grids (
    code      TEXT NOT NULL PRIMARY KEY,
    area_code TEXT NOT NULL,
    geom      TEXT NOT NULL
) STRICT;

CREATE INDEX grids_area_code ON grids (area_code);

-- 责任网格: the grids grid workers answer for; they may differ from unit grids.
CREATE TABLE resp_grids (
    code       TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    area_code  TEXT NOT NULL DEFAULT '',
    geom       TEXT NOT NULL,
    worker_ids TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE INDEX resp_grids_area_code ON resp_grids (area_code);

-- category × area → department. Rows are never edited: a change retires the old row
-- (retired_at) and inserts a new one, so the table is its own history.
CREATE TABLE routing_rules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    category_code TEXT,                     -- a category, a major class, or NULL for any
    area_code     TEXT    NOT NULL,
    dept_id       INTEGER NOT NULL REFERENCES departments (id),
    created_at    TEXT    NOT NULL,
    created_by    INTEGER,
    retired_at    TEXT,
    retired_by    INTEGER
) STRICT;

CREATE INDEX routing_rules_live ON routing_rules (area_code, category_code) WHERE retired_at IS NULL;

ALTER TABLE cases ADD COLUMN resp_grid_code TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE cases DROP COLUMN resp_grid_code;
DROP TABLE routing_rules;
DROP TABLE resp_grids;
DROP TABLE grids;
DROP TABLE areas;
