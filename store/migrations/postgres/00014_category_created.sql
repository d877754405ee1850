-- The public board filtered by category, newest report first. Keep in step with
-- ../sqlite/00014_category_created.sql.
--
-- The board (Tx.PublicCases) lists a category's cases newest first: on cases_category_code
-- it read every case of the category and sorted them, 130 ms for C0101's 25,183 cases at
-- 1M cases, on a page anyone may open. The index now ends with created_at, so that page is
-- a range of it (0.3 ms); it replaces cases_category_code rather than joining it, so intake
-- writes no more index entries than before, and every lookup by category alone reads its
-- leading column as before.

-- +goose Up
CREATE INDEX cases_category_created ON cases (category_code, created_at);
DROP INDEX cases_category_code;

-- +goose Down
CREATE INDEX cases_category_code ON cases (category_code);
DROP INDEX cases_category_created;
