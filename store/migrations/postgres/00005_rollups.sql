-- Evaluation rollups (issue #7). Keep in step with ../sqlite/00005_rollups.sql.
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
    reported           BIGINT NOT NULL DEFAULT 0,
    registered         BIGINT NOT NULL DEFAULT 0,
    registered_on_time BIGINT NOT NULL DEFAULT 0,
    rejected           BIGINT NOT NULL DEFAULT 0,
    merged             BIGINT NOT NULL DEFAULT 0,
    withdrawn          BIGINT NOT NULL DEFAULT 0,
    dispatched         BIGINT NOT NULL DEFAULT 0,
    dispatched_on_time BIGINT NOT NULL DEFAULT 0,
    overrode           BIGINT NOT NULL DEFAULT 0,
    signed             BIGINT NOT NULL DEFAULT 0,
    signed_on_time     BIGINT NOT NULL DEFAULT 0,
    accepted           BIGINT NOT NULL DEFAULT 0,
    responded          BIGINT NOT NULL DEFAULT 0,
    unresponded        BIGINT NOT NULL DEFAULT 0,
    returned           BIGINT NOT NULL DEFAULT 0,
    should_handle      BIGINT NOT NULL DEFAULT 0,
    handled            BIGINT NOT NULL DEFAULT 0,
    handled_on_time    BIGINT NOT NULL DEFAULT 0,
    extended           BIGINT NOT NULL DEFAULT 0,
    extensions         BIGINT NOT NULL DEFAULT 0,
    suspended          BIGINT NOT NULL DEFAULT 0,
    overdue            BIGINT NOT NULL DEFAULT 0,
    urged              BIGINT NOT NULL DEFAULT 0,
    check_tasks        BIGINT NOT NULL DEFAULT 0,
    checked_on_time    BIGINT NOT NULL DEFAULT 0,
    rework             BIGINT NOT NULL DEFAULT 0,
    should_close       BIGINT NOT NULL DEFAULT 0,
    closed             BIGINT NOT NULL DEFAULT 0,
    closed_on_time     BIGINT NOT NULL DEFAULT 0,
    closed_promptly    BIGINT NOT NULL DEFAULT 0,
    rated              BIGINT NOT NULL DEFAULT 0,
    resolved           BIGINT NOT NULL DEFAULT 0,
    satisfied          BIGINT NOT NULL DEFAULT 0,
    basic              BIGINT NOT NULL DEFAULT 0,
    reopened           BIGINT NOT NULL DEFAULT 0,
    patrol             BIGINT NOT NULL DEFAULT 0,
    patrol_valid       BIGINT NOT NULL DEFAULT 0,
    verify_tasks       BIGINT NOT NULL DEFAULT 0,
    verified_on_time   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, period, start, id)
);

CREATE TABLE rollups_staging (
    dim    TEXT NOT NULL,
    id     TEXT NOT NULL,
    period TEXT NOT NULL,
    start  TEXT NOT NULL,
    reported           BIGINT NOT NULL DEFAULT 0,
    registered         BIGINT NOT NULL DEFAULT 0,
    registered_on_time BIGINT NOT NULL DEFAULT 0,
    rejected           BIGINT NOT NULL DEFAULT 0,
    merged             BIGINT NOT NULL DEFAULT 0,
    withdrawn          BIGINT NOT NULL DEFAULT 0,
    dispatched         BIGINT NOT NULL DEFAULT 0,
    dispatched_on_time BIGINT NOT NULL DEFAULT 0,
    overrode           BIGINT NOT NULL DEFAULT 0,
    signed             BIGINT NOT NULL DEFAULT 0,
    signed_on_time     BIGINT NOT NULL DEFAULT 0,
    accepted           BIGINT NOT NULL DEFAULT 0,
    responded          BIGINT NOT NULL DEFAULT 0,
    unresponded        BIGINT NOT NULL DEFAULT 0,
    returned           BIGINT NOT NULL DEFAULT 0,
    should_handle      BIGINT NOT NULL DEFAULT 0,
    handled            BIGINT NOT NULL DEFAULT 0,
    handled_on_time    BIGINT NOT NULL DEFAULT 0,
    extended           BIGINT NOT NULL DEFAULT 0,
    extensions         BIGINT NOT NULL DEFAULT 0,
    suspended          BIGINT NOT NULL DEFAULT 0,
    overdue            BIGINT NOT NULL DEFAULT 0,
    urged              BIGINT NOT NULL DEFAULT 0,
    check_tasks        BIGINT NOT NULL DEFAULT 0,
    checked_on_time    BIGINT NOT NULL DEFAULT 0,
    rework             BIGINT NOT NULL DEFAULT 0,
    should_close       BIGINT NOT NULL DEFAULT 0,
    closed             BIGINT NOT NULL DEFAULT 0,
    closed_on_time     BIGINT NOT NULL DEFAULT 0,
    closed_promptly    BIGINT NOT NULL DEFAULT 0,
    rated              BIGINT NOT NULL DEFAULT 0,
    resolved           BIGINT NOT NULL DEFAULT 0,
    satisfied          BIGINT NOT NULL DEFAULT 0,
    basic              BIGINT NOT NULL DEFAULT 0,
    reopened           BIGINT NOT NULL DEFAULT 0,
    patrol             BIGINT NOT NULL DEFAULT 0,
    patrol_valid       BIGINT NOT NULL DEFAULT 0,
    verify_tasks       BIGINT NOT NULL DEFAULT 0,
    verified_on_time   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, period, start, id)
);

CREATE INDEX cases_created_summary ON cases (created_at, status, channel, category_code);
-- The dashboard's overdue list repeats this predicate word for word.
CREATE INDEX cases_overdue_open ON cases (due, id) WHERE overdue AND status NOT IN ('closed', 'rejected', 'merged', 'withdrawn');

-- +goose Down
DROP INDEX cases_overdue_open;
DROP INDEX cases_created_summary;
DROP TABLE rollups_staging;
DROP TABLE rollups;
