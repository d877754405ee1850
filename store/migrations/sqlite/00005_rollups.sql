-- Evaluation rollups (issue #7). Keep in step with ../postgres/00005_rollups.sql.
--
-- rollups holds one row per bucket of evaluation.Key (dimension, member id, period,
-- period start) with one column per evaluation.Counters field, in CounterFields order.
-- The service adds every event's increments (evaluation.Deltas) with an additive upsert
-- in the transaction that records the event; `gridloop rollups rebuild` recomputes the
-- table from the event log into rollups_staging and swaps it in. The key's column order
-- puts the period before the id: dashboards read every member of a dimension for one
-- period, or a range of period starts.
--
-- The indexes on cases serve the command dashboard without scanning all cases: today's
-- and this month's cases by state, channel and category (an index-only range scan), and
-- the overdue list (open cases flagged overdue, earliest deadline first).

-- +goose Up
CREATE TABLE rollups (
    dim    TEXT NOT NULL,
    id     TEXT NOT NULL,
    period TEXT NOT NULL,
    start  TEXT NOT NULL,
    reported           INTEGER NOT NULL DEFAULT 0,
    registered         INTEGER NOT NULL DEFAULT 0,
    registered_on_time INTEGER NOT NULL DEFAULT 0,
    rejected           INTEGER NOT NULL DEFAULT 0,
    merged             INTEGER NOT NULL DEFAULT 0,
    withdrawn          INTEGER NOT NULL DEFAULT 0,
    dispatched         INTEGER NOT NULL DEFAULT 0,
    dispatched_on_time INTEGER NOT NULL DEFAULT 0,
    overrode           INTEGER NOT NULL DEFAULT 0,
    signed             INTEGER NOT NULL DEFAULT 0,
    signed_on_time     INTEGER NOT NULL DEFAULT 0,
    accepted           INTEGER NOT NULL DEFAULT 0,
    responded          INTEGER NOT NULL DEFAULT 0,
    unresponded        INTEGER NOT NULL DEFAULT 0,
    returned           INTEGER NOT NULL DEFAULT 0,
    should_handle      INTEGER NOT NULL DEFAULT 0,
    handled            INTEGER NOT NULL DEFAULT 0,
    handled_on_time    INTEGER NOT NULL DEFAULT 0,
    extended           INTEGER NOT NULL DEFAULT 0,
    extensions         INTEGER NOT NULL DEFAULT 0,
    suspended          INTEGER NOT NULL DEFAULT 0,
    overdue            INTEGER NOT NULL DEFAULT 0,
    urged              INTEGER NOT NULL DEFAULT 0,
    check_tasks        INTEGER NOT NULL DEFAULT 0,
    checked_on_time    INTEGER NOT NULL DEFAULT 0,
    rework             INTEGER NOT NULL DEFAULT 0,
    should_close       INTEGER NOT NULL DEFAULT 0,
    closed             INTEGER NOT NULL DEFAULT 0,
    closed_on_time     INTEGER NOT NULL DEFAULT 0,
    closed_promptly    INTEGER NOT NULL DEFAULT 0,
    rated              INTEGER NOT NULL DEFAULT 0,
    resolved           INTEGER NOT NULL DEFAULT 0,
    satisfied          INTEGER NOT NULL DEFAULT 0,
    basic              INTEGER NOT NULL DEFAULT 0,
    reopened           INTEGER NOT NULL DEFAULT 0,
    patrol             INTEGER NOT NULL DEFAULT 0,
    patrol_valid       INTEGER NOT NULL DEFAULT 0,
    verify_tasks       INTEGER NOT NULL DEFAULT 0,
    verified_on_time   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, period, start, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE rollups_staging (
    dim    TEXT NOT NULL,
    id     TEXT NOT NULL,
    period TEXT NOT NULL,
    start  TEXT NOT NULL,
    reported           INTEGER NOT NULL DEFAULT 0,
    registered         INTEGER NOT NULL DEFAULT 0,
    registered_on_time INTEGER NOT NULL DEFAULT 0,
    rejected           INTEGER NOT NULL DEFAULT 0,
    merged             INTEGER NOT NULL DEFAULT 0,
    withdrawn          INTEGER NOT NULL DEFAULT 0,
    dispatched         INTEGER NOT NULL DEFAULT 0,
    dispatched_on_time INTEGER NOT NULL DEFAULT 0,
    overrode           INTEGER NOT NULL DEFAULT 0,
    signed             INTEGER NOT NULL DEFAULT 0,
    signed_on_time     INTEGER NOT NULL DEFAULT 0,
    accepted           INTEGER NOT NULL DEFAULT 0,
    responded          INTEGER NOT NULL DEFAULT 0,
    unresponded        INTEGER NOT NULL DEFAULT 0,
    returned           INTEGER NOT NULL DEFAULT 0,
    should_handle      INTEGER NOT NULL DEFAULT 0,
    handled            INTEGER NOT NULL DEFAULT 0,
    handled_on_time    INTEGER NOT NULL DEFAULT 0,
    extended           INTEGER NOT NULL DEFAULT 0,
    extensions         INTEGER NOT NULL DEFAULT 0,
    suspended          INTEGER NOT NULL DEFAULT 0,
    overdue            INTEGER NOT NULL DEFAULT 0,
    urged              INTEGER NOT NULL DEFAULT 0,
    check_tasks        INTEGER NOT NULL DEFAULT 0,
    checked_on_time    INTEGER NOT NULL DEFAULT 0,
    rework             INTEGER NOT NULL DEFAULT 0,
    should_close       INTEGER NOT NULL DEFAULT 0,
    closed             INTEGER NOT NULL DEFAULT 0,
    closed_on_time     INTEGER NOT NULL DEFAULT 0,
    closed_promptly    INTEGER NOT NULL DEFAULT 0,
    rated              INTEGER NOT NULL DEFAULT 0,
    resolved           INTEGER NOT NULL DEFAULT 0,
    satisfied          INTEGER NOT NULL DEFAULT 0,
    basic              INTEGER NOT NULL DEFAULT 0,
    reopened           INTEGER NOT NULL DEFAULT 0,
    patrol             INTEGER NOT NULL DEFAULT 0,
    patrol_valid       INTEGER NOT NULL DEFAULT 0,
    verify_tasks       INTEGER NOT NULL DEFAULT 0,
    verified_on_time   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, period, start, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX cases_created_summary ON cases (created_at, status, channel, category_code);
-- The dashboard's overdue list repeats this predicate word for word.
CREATE INDEX cases_overdue_open ON cases (due, id) WHERE overdue AND status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');

-- +goose Down
DROP INDEX cases_overdue_open;
DROP INDEX cases_created_summary;
DROP TABLE rollups_staging;
DROP TABLE rollups;
