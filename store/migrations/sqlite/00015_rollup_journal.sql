-- The rollups' journal (issue #8). Keep in step with ../postgres/00015_rollup_journal.sql.
--
-- Every transaction that records events appends one row here with what its events add
-- to the rollups and to the category counts (service/rollupjournal.go: one line per
-- event, evaluation.Increment's text, and one per category count), instead of upserting
-- some twenty scattered buckets per event: on SQLite those page writes halved intake.
-- A fold (Service.FoldRollups: every two seconds in serve, and before every read of the
-- rollups) deletes the rows it reads and adds their sum to rollups and category_months
-- in one transaction, so the rollups and the journal together always count every
-- committed event once (docs/evaluation.md).

-- +goose Up
CREATE TABLE rollup_journal (
    id    INTEGER PRIMARY KEY,
    lines TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE rollup_journal;
