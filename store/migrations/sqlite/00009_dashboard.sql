-- The command dashboard (issue #7). Keep in step with ../postgres/00009_dashboard.sql.
--
-- rollups_reported: the buckets with reports, for the heat map of the last days (a
-- covering range scan of the day buckets of the grids and communities that had reports,
-- instead of every bucket). The dashboard's query repeats the predicate word for word.
--
-- category_months: cases by the month they were reported in (Asia/Shanghai, the month's
-- first day) and their category now, for "top categories this month" without counting
-- the month's cases. Kept in the transaction of every report and of every action that
-- changes a case's category (service/rollups.go); rebuilt from the cases table by
-- `gridloop rollups rebuild`.

-- +goose Up
CREATE INDEX rollups_reported ON rollups (dim, period, start, id, reported) WHERE reported > 0;

-- A street's or a district's dashboard (an area scope): its open cases by status (covering),
-- and its overdue cases (the predicate repeats cases_overdue_open's, word for word).
CREATE INDEX cases_area_status ON cases (area_code, status);
CREATE INDEX cases_overdue_area ON cases (area_code, due) WHERE overdue AND status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');

CREATE TABLE category_months (
    month         TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    cases         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, category_code)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE category_months;
DROP INDEX cases_overdue_area;
DROP INDEX cases_area_status;
DROP INDEX rollups_reported;
