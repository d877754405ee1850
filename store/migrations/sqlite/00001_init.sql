-- gridloop schema, SQLite dialect. Keep in step with ../postgres/00001_init.sql.
--
-- Conventions: times are TEXT in fixed-width UTC ("2006-01-02T15:04:05.000000000Z"),
-- so that comparing and sorting them as text is comparing them as times; booleans are
-- INTEGER 0/1; ids that may be absent are NULL, never 0; JSON is TEXT.

-- +goose Up
CREATE TABLE cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    code              TEXT    NOT NULL UNIQUE,
    status            TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    channel           TEXT    NOT NULL,
    category_code     TEXT    NOT NULL DEFAULT '',
    urgent            INTEGER NOT NULL DEFAULT 0,
    description       TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    lat               REAL    NOT NULL DEFAULT 0,
    lng               REAL    NOT NULL DEFAULT 0,
    area_code         TEXT    NOT NULL DEFAULT '',
    grid_code         TEXT    NOT NULL DEFAULT '',
    reporter_name     TEXT    NOT NULL DEFAULT '',
    reporter_phone    TEXT    NOT NULL DEFAULT '',
    reporter_id       INTEGER,
    tracking_hash     TEXT    UNIQUE,
    photos            TEXT    NOT NULL DEFAULT '[]',
    verified          INTEGER NOT NULL DEFAULT 0,
    duplicate_of      TEXT    NOT NULL DEFAULT '',
    suggested_dept_id INTEGER,
    lead_dept_id      INTEGER,
    assignments       TEXT    NOT NULL DEFAULT '[]',
    pending           TEXT,
    pending_kind      TEXT,
    rework_count      INTEGER NOT NULL DEFAULT 0,
    reopen_count      INTEGER NOT NULL DEFAULT 0,
    return_count      INTEGER NOT NULL DEFAULT 0,
    extension_count   INTEGER NOT NULL DEFAULT 0,
    urge_count        INTEGER NOT NULL DEFAULT 0,
    interest          INTEGER NOT NULL DEFAULT 0,
    stage_due         TEXT,
    sign_due          TEXT,
    due               TEXT,
    due_working       INTEGER NOT NULL DEFAULT 0,
    due_start         TEXT,
    suspended_at      TEXT,
    overdue           INTEGER NOT NULL DEFAULT 0,
    overdue_at        TEXT,
    registered_at     TEXT,
    dispatched_at     TEXT,
    handled_at        TEXT,
    closed_at         TEXT,
    rated_at          TEXT,
    satisfaction      TEXT    NOT NULL DEFAULT '',
    fixed             INTEGER,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
) STRICT;

CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_created_at ON cases (created_at);
CREATE INDEX cases_updated_at ON cases (updated_at);
CREATE INDEX cases_area_code ON cases (area_code);
CREATE INDEX cases_category_code ON cases (category_code);
CREATE INDEX cases_reporter_id ON cases (reporter_id) WHERE reporter_id IS NOT NULL;
CREATE INDEX cases_lead_dept_id ON cases (lead_dept_id) WHERE lead_dept_id IS NOT NULL;
CREATE INDEX cases_pending_kind ON cases (pending_kind) WHERE pending_kind IS NOT NULL;
-- The deadline clock's work list (DueForOverdue repeats this predicate word for word).
CREATE INDEX cases_due_open ON cases (due) WHERE NOT overdue AND status IN ('dispatched', 'handling');

-- Every department holding an assignment on a case, rewritten from cases.assignments
-- on every insert and update, so that lists can filter by department.
CREATE TABLE case_depts (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    dept_id INTEGER NOT NULL,
    PRIMARY KEY (case_id, dept_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX case_depts_dept_id ON case_depts (dept_id, case_id);

-- Per-day counters for case codes.
CREATE TABLE case_seq (
    day TEXT    NOT NULL PRIMARY KEY,
    seq INTEGER NOT NULL
) STRICT;

-- The event log: append-only, enforced by the triggers below.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    actor_id    INTEGER,
    actor       TEXT    NOT NULL DEFAULT '',
    role        TEXT    NOT NULL DEFAULT '',
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL DEFAULT '',
    dept_id     INTEGER,
    note        TEXT    NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 0,
    data        TEXT,
    at          TEXT    NOT NULL,
    UNIQUE (case_id, seq)
) STRICT;

CREATE INDEX events_at ON events (at);

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;
-- +goose StatementEnd

CREATE TABLE idempotency (
    scope      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    body       BLOB    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;

CREATE INDEX idempotency_created_at ON idempotency (created_at);

CREATE TABLE categories (
    code              TEXT    NOT NULL PRIMARY KEY,
    kind              TEXT    NOT NULL,
    major_code        TEXT    NOT NULL DEFAULT '',
    major_name        TEXT    NOT NULL DEFAULT '',
    name              TEXT    NOT NULL,
    filing_condition  TEXT    NOT NULL DEFAULT '',
    closing_condition TEXT    NOT NULL DEFAULT '',
    handling_value    INTEGER NOT NULL,
    handling_unit     TEXT    NOT NULL,
    urgent_value      INTEGER NOT NULL DEFAULT 0,
    urgent_unit       TEXT    NOT NULL DEFAULT '',
    response_value    INTEGER NOT NULL,
    response_unit     TEXT    NOT NULL,
    urgent            INTEGER NOT NULL DEFAULT 0,
    public            INTEGER NOT NULL DEFAULT 0,
    keywords          TEXT    NOT NULL DEFAULT '',
    active            INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE departments (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES departments (id),
    code      TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    area_code TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX departments_parent_id ON departments (parent_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    roles         TEXT    NOT NULL DEFAULT '[]',
    area_scope    TEXT    NOT NULL DEFAULT '[]',
    dept_scope    TEXT    NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL UNIQUE,
    expires_at   TEXT,
    revoked_at   TEXT,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT
) STRICT;

CREATE INDEX tokens_user_id ON tokens (user_id);

-- Holidays and make-up workdays of the working-time calendar.
CREATE TABLE special_days (
    date TEXT NOT NULL PRIMARY KEY, -- 2006-01-02
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE settings;
DROP TABLE special_days;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE categories;
DROP TABLE idempotency;
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE events;
DROP TABLE case_seq;
DROP TABLE case_depts;
DROP TABLE cases;
