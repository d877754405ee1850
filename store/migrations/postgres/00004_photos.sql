-- Photos uploaded with reports, patrol findings and feedback (issue #4). Keep in step
-- with ../sqlite/00004_photos.sql. The bytes are the re-encoded image (metadata
-- stripped), never the upload as sent. A photo is stored before its case exists (the
-- report form uploads it with the report) and attached to the case afterwards; the id is
-- a random token, so its URL /photos/{id} cannot be guessed.

-- +goose Up
CREATE TABLE photos (
    id           TEXT        NOT NULL PRIMARY KEY,
    case_id      BIGINT      REFERENCES cases (id),
    content_type TEXT        NOT NULL,
    bytes        BYTEA       NOT NULL,
    width        INTEGER     NOT NULL,
    height       INTEGER     NOT NULL,
    sha256       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX photos_case_id ON photos (case_id);
CREATE INDEX photos_orphans ON photos (created_at) WHERE case_id IS NULL;

-- +goose Down
DROP TABLE photos;
