-- The citizen's side of the loop (issue #9): followers ("me too"), follow-ups (回访),
-- notifications and staff contacts. Keep in step with ../postgres/00008_citizen.sql.
--
-- followers are citizens who found their problem among the similar open cases and
-- follow it instead of reporting it again: like a reporter they hold a secret tracking
-- token (only its SHA-256 is kept) that shows the case's public timeline and lets them
-- answer the follow-up; phone and email, when given, are where they are told.
--
-- followups: one row per closing of a case, written in the closing's transaction; the
-- reporter's rating or "not fixed" answers it, and the follow-up job counts it by the
-- city's policy when it is still unanswered after N days. counted_as: '' while open;
-- 'answered'; or for an unanswered one 'satisfied', 'unsatisfied' or 'excluded'; 'void'
-- when the case was reopened by staff before anyone answered.
--
-- notifications is the message log: every message to a reporter, follower, staff user
-- or webhook, one row per recipient and channel, written in the transaction of the
-- event that caused it (so a message exists if and only if its event committed) and
-- sent afterwards by the notification job, which claims due rows with a lease (on
-- PostgreSQL FOR UPDATE SKIP LOCKED), like the webhook outbox. status: pending, sent,
-- failed. In-app messages are read from this table (read_at).

-- +goose Up
CREATE TABLE followers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    token_hash TEXT    NOT NULL UNIQUE,
    phone      TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL
) STRICT;

CREATE INDEX followers_case_id ON followers (case_id);

CREATE TABLE followups (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    close_event_id INTEGER NOT NULL REFERENCES events (id),
    asked_at       TEXT    NOT NULL,
    channel        TEXT    NOT NULL DEFAULT 'web', -- web, sms, email, web+sms …
    answered_at    TEXT,
    answer         TEXT    NOT NULL DEFAULT '',    -- satisfied, basic, unsatisfied, not_fixed
    fixed          INTEGER,
    counted_as     TEXT    NOT NULL DEFAULT '',
    counted_at     TEXT,
    event_id       INTEGER REFERENCES events (id)  -- the rate, reopen or follow_up event that ended it
) STRICT;

CREATE INDEX followups_case_id ON followups (case_id, id);
-- The follow-up job's work list (DueFollowUps repeats the predicate).
CREATE INDEX followups_open ON followups (asked_at) WHERE counted_as = '';

CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER REFERENCES cases (id),
    event_id       INTEGER REFERENCES events (id),
    recipient_kind TEXT    NOT NULL,           -- user, reporter, follower, webhook
    recipient_id   INTEGER,                    -- user id, case id (reporter), follower id
    recipient      TEXT    NOT NULL,           -- the address on the channel
    channel        TEXT    NOT NULL,           -- inapp, email, sms, webhook
    template       TEXT    NOT NULL,
    subject        TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    link           TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'pending',
    error          TEXT    NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        TEXT    NOT NULL,
    lease_until    TEXT,
    lease_token    TEXT,
    created_at     TEXT    NOT NULL,
    sent_at        TEXT,
    read_at        TEXT
) STRICT;

-- The sender's work list (ClaimNotifications repeats the predicate).
CREATE INDEX notifications_due ON notifications (next_at) WHERE status = 'pending';
CREATE INDEX notifications_inbox ON notifications (recipient_kind, recipient_id, id) WHERE channel = 'inapp';
CREATE INDEX notifications_case_id ON notifications (case_id, id);
CREATE INDEX notifications_created_at ON notifications (created_at);

-- Where staff are told besides the workbench.
CREATE TABLE user_contacts (
    user_id     INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    email       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    webhook_url TEXT    NOT NULL DEFAULT '',
    updated_at  TEXT    NOT NULL
) STRICT;

-- The duplicates merged into a case, whose reporters follow its outcome.
CREATE INDEX cases_duplicate_of ON cases (duplicate_of) WHERE duplicate_of <> '';

-- +goose Down
DROP INDEX cases_duplicate_of;
DROP TABLE user_contacts;
DROP TABLE notifications;
DROP TABLE followups;
DROP TABLE followers;
