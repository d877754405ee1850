-- Outbound webhooks (issue #6). Keep in step with ../postgres/00003_webhooks.sql.
--
-- webhooks are the subscriptions admins manage. outbox holds one row per (subscription,
-- event) that matched: written by the service's event hook in the transaction that
-- records the event, so a delivery exists if and only if its event committed. The row's
-- id is the delivery id the receiver sees (X-Gridloop-Delivery), the same on every retry;
-- payload is the exact JSON body, fixed at enqueue time.
--
-- A delivery worker claims due rows by setting lease_until/lease_token (on PostgreSQL
-- under FOR UPDATE SKIP LOCKED; SQLite has one writer), posts them, and records the
-- outcome only while it still holds the lease (lease_token matches). attempts counts
-- every attempt ever made; tries and round_start are the current round's budget (a manual
-- replay starts a new round). webhook_attempts is the delivery log: one row per attempt.

-- +goose Up
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    url         TEXT    NOT NULL,
    events      TEXT    NOT NULL DEFAULT '["*"]', -- JSON list of actions, or ["*"]
    secret      TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE outbox (
    id           TEXT    NOT NULL PRIMARY KEY, -- the delivery id (a UUID)
    webhook_id   INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    action       TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending', -- pending, delivered, dead
    attempts     INTEGER NOT NULL DEFAULT 0,
    tries        INTEGER NOT NULL DEFAULT 0,
    round_start  TEXT    NOT NULL,
    next_at      TEXT    NOT NULL,
    lease_until  TEXT,
    lease_token  TEXT,
    last_status  INTEGER,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    delivered_at TEXT,
    UNIQUE (webhook_id, event_id)
) STRICT;

-- The delivery workers' work list (ClaimDeliveries repeats the predicate).
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX outbox_webhook ON outbox (webhook_id, created_at);
CREATE INDEX outbox_done ON outbox (created_at) WHERE state <> 'pending';

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT    NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    status_code INTEGER,                     -- NULL when no HTTP answer came
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL,
    worker      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE outbox;
DROP TABLE webhooks;
