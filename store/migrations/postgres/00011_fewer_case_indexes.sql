-- One index fewer to write on every report (issue #8). Keep in step with
-- ../sqlite/00011_fewer_case_indexes.sql.
--
-- cases_area_code is a leading prefix of cases_area_status (area_code, status), which
-- serves every lookup it served. (cases_created_at stays: it alone hands the newest
-- cases over in order, created_at then id, for the unfiltered list.)

-- +goose Up
DROP INDEX cases_area_code;

-- +goose Down
CREATE INDEX cases_area_code ON cases (area_code text_pattern_ops);
