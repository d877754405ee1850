-- A department's work list in deadline order (issue #8). Keep in step with
-- ../sqlite/00013_worklist_due.sql.
--
-- A handler's list (the open cases of some states in the department's subtree, nearest
-- deadline first) read every such case row, descriptions and all, to sort them: 4 ms for
-- 637 cases at 1M cases, five times any other queue. case_depts now carries the case's
-- deadline too (NULL when it has none, as cases.due), written with the case row like its
-- other copies (Tx.writeCaseDepts, Tx.insertCaseDepts), and case_depts_open ends with
-- it: the list's count and the ids of its page in due order are a covering range of the
-- index, and only the page's cases are read.
--
-- case_depts_open keeps its name, its predicate and its leading columns (dept_id,
-- status, overdue), so the dashboard's queries read it as before.
--
-- The table is rebuilt as in 00012 (an UPDATE of every row would leave a dead row per
-- row).

-- +goose Up
CREATE TABLE case_depts_new (
    case_id       BIGINT      NOT NULL,
    dept_id       BIGINT      NOT NULL,
    status        TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    category_code TEXT        NOT NULL,
    overdue       BOOLEAN     NOT NULL,
    due           TIMESTAMPTZ
);

INSERT INTO case_depts_new (case_id, dept_id, status, created_at, category_code, overdue, due)
SELECT d.case_id, d.dept_id, d.status, d.created_at, d.category_code, d.overdue, c.due
FROM case_depts d JOIN cases c ON c.id = d.case_id
ORDER BY d.case_id, d.dept_id;

DROP TABLE case_depts;
ALTER TABLE case_depts_new RENAME TO case_depts;
ALTER TABLE case_depts ADD CONSTRAINT case_depts_pkey PRIMARY KEY (case_id, dept_id);
ALTER TABLE case_depts ADD CONSTRAINT case_depts_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);

CREATE INDEX case_depts_dept_id ON case_depts (dept_id, case_id);
CREATE INDEX case_depts_created ON case_depts (dept_id, created_at) INCLUDE (category_code, case_id);
CREATE INDEX case_depts_open ON case_depts (dept_id, status, overdue, due) INCLUDE (case_id) WHERE status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');

ANALYZE case_depts;

-- +goose Down
DROP INDEX case_depts_open;
ALTER TABLE case_depts DROP COLUMN due;
CREATE INDEX case_depts_open ON case_depts (dept_id, status, overdue) INCLUDE (case_id) WHERE status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');
