-- Accounts, sessions, sign-in throttling and the audit log (issue #5). Keep in step
-- with ../postgres/00007_accounts.sql.

-- +goose Up

-- A user's session generation: "sign out everywhere" and a new password move it on;
-- a web session signed in under an older generation is over.
ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;

-- A token may be narrower than its user: an area or department scope inside the
-- user's, and a subset of the user's permissions. '[]' means "as the user".
ALTER TABLE tokens ADD COLUMN area_scope TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN dept_scope TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN perms TEXT NOT NULL DEFAULT '[]';

-- Web sessions (scs), shared by every node. The key is the SHA-256 of the cookie's
-- token, so that reading this table does not hand out sessions.
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_expiry ON sessions (expiry);

-- Failed sign-ins per account ("user:<name>") and per client address ("addr:<ip>"):
-- failures since window_start; past the limit the key is locked until locked_until,
-- for longer after each lockout.
CREATE TABLE signin_throttle (
    key          TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    window_start TEXT    NOT NULL,
    lockouts     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    updated_at   TEXT    NOT NULL
) STRICT;

-- The audit log: who did what, when, to which case, from where. Append-only.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT    NOT NULL,
    actor_id  INTEGER,
    actor     TEXT    NOT NULL DEFAULT '',
    action    TEXT    NOT NULL,
    case_code TEXT    NOT NULL DEFAULT '',
    target    TEXT    NOT NULL DEFAULT '',
    details   TEXT    NOT NULL DEFAULT '{}',
    address   TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_case_code ON audit_log (case_code) WHERE case_code <> '';
CREATE INDEX audit_log_actor_id ON audit_log (actor_id) WHERE actor_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is not allowed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE is not allowed');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE signin_throttle;
DROP TABLE sessions;
ALTER TABLE tokens DROP COLUMN perms;
ALTER TABLE tokens DROP COLUMN dept_scope;
ALTER TABLE tokens DROP COLUMN area_scope;
ALTER TABLE users DROP COLUMN session_gen;
