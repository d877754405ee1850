-- Performance (issue #8). Keep in step with ../postgres/00006_perf.sql.
--
-- Work lists ask for one state's newest cases: status = ? ORDER BY created_at DESC, id DESC
-- LIMIT 20. With only an index on status the database read every case in the state and
-- sorted them; this index hands them over in order and stops after the page. It starts
-- with status, so it also serves every lookup by status alone, and replaces cases_status
-- (one index fewer to write on every report).

-- +goose Up
CREATE INDEX cases_status_created ON cases (status, created_at DESC, id DESC);
DROP INDEX cases_status;

-- +goose Down
CREATE INDEX cases_status ON cases (status);
DROP INDEX cases_status_created;
