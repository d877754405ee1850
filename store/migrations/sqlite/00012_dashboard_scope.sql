-- The command dashboard inside a department or an area scope (issue #7). Keep in step
-- with ../postgres/00012_dashboard_scope.sql.
--
-- case_depts carries the case's status, created_at, category and overdue flag, written
-- with the case row on every insert and update (Tx.writeCaseDepts, Tx.insertCaseDepts),
-- so that a department's open, overdue, today's or this month's cases are an index range
-- of its own rows instead of a probe of its tens of thousands of case ids:
--
--   case_depts_created  a department's cases by the time they were reported, with their
--                       category (covering: the month's top categories)
--   case_depts_open     a department's open cases by status and overdue flag (partial;
--                       the dashboard's queries repeat the predicate word for word)
--
-- category_area_months is category_months per area (the case's area code: its
-- community), kept in the same transactions, so that a street's or a district's top
-- categories read a few hundred rows as the city's do.
--
-- The table is rebuilt (the columns are NOT NULL and every existing row is filled from
-- its case), then both tables are counted from the cases.

-- +goose Up
CREATE TABLE case_depts_new (
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    dept_id       INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    overdue       INTEGER NOT NULL,
    PRIMARY KEY (case_id, dept_id)
) STRICT, WITHOUT ROWID;

INSERT INTO case_depts_new (case_id, dept_id, status, created_at, category_code, overdue)
SELECT d.case_id, d.dept_id, c.status, c.created_at, c.category_code, c.overdue
FROM case_depts d JOIN cases c ON c.id = d.case_id
ORDER BY d.case_id, d.dept_id;

DROP TABLE case_depts;
ALTER TABLE case_depts_new RENAME TO case_depts;

CREATE INDEX case_depts_dept_id ON case_depts (dept_id, case_id);
CREATE INDEX case_depts_created ON case_depts (dept_id, created_at, category_code);
CREATE INDEX case_depts_open ON case_depts (dept_id, status, overdue) WHERE status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');

CREATE TABLE category_area_months (
    month         TEXT    NOT NULL,
    area_code     TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    cases         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, area_code, category_code)
) STRICT, WITHOUT ROWID;

INSERT INTO category_area_months (month, area_code, category_code, cases)
SELECT substr(strftime('%Y-%m-%d', created_at, '+8 hours'), 1, 8) || '01', area_code, category_code, count(*)
FROM cases GROUP BY 1, 2, 3;

-- rollups_generation counts the deletions from the live rollups (a rebuild's swap, a
-- truncation: Tx.SwapRollups and Tx.TruncateRollups add one; events only ever add to
-- buckets). With the city's bucket of a period, which every event's increments reach too
-- (they are never negative), it tells whether any bucket of that period changed: the
-- service's cache of rollup reads is keyed on both (service/rollupcache.go,
-- store.RollupVersion). (Not a trigger: SQLite has only row triggers, and one would
-- make the swap delete its millions of rows one by one instead of dropping the pages.)
CREATE TABLE rollups_generation (
    n INTEGER NOT NULL
) STRICT;
INSERT INTO rollups_generation (n) VALUES (0);

ANALYZE case_depts;
ANALYZE category_area_months;

-- +goose Down
DROP TABLE rollups_generation;
DROP TABLE category_area_months;
DROP INDEX case_depts_open;
DROP INDEX case_depts_created;
CREATE TABLE case_depts_old (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    dept_id INTEGER NOT NULL,
    PRIMARY KEY (case_id, dept_id)
) STRICT, WITHOUT ROWID;
INSERT INTO case_depts_old (case_id, dept_id) SELECT case_id, dept_id FROM case_depts ORDER BY case_id, dept_id;
DROP TABLE case_depts;
ALTER TABLE case_depts_old RENAME TO case_depts;
CREATE INDEX case_depts_dept_id ON case_depts (dept_id, case_id);
