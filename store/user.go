package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridloop/gridloop"
)

const userColumns = `id, name, display_name, roles, area_scope, dept_scope, disabled, created_at, session_gen`

func msgUserExists(name string) string {
	return fmt.Sprintf("用户名 %s 已存在 (user name already taken)", name)
}

// userScope encodes the JSON columns of u.
func userScope(u *gridloop.User) (roles, areas, depts string, err error) {
	if roles, err = jsonList(u.Roles); err != nil {
		return
	}
	if areas, err = jsonList(u.AreaScope); err != nil {
		return
	}
	depts, err = jsonList(u.DeptScope)
	return
}

// InsertUser stores a new user with a password hash and sets u.ID (and u.CreatedAt
// if it is zero). A name already taken is ECONFLICT.
func (tx *Tx) InsertUser(ctx context.Context, u *gridloop.User, passwordHash string) error {
	roles, areas, depts, err := userScope(u)
	if err != nil {
		return fmt.Errorf("store: insert user %s: %w", u.Name, err)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = normTime(time.Now())
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO users
		(name, display_name, password_hash, roles, area_scope, dept_scope, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Name, u.DisplayName, passwordHash, roles, areas, depts, u.Disabled, tx.timeArg(u.CreatedAt)).Scan(&id)
	if err != nil {
		return wrap(err, "insert user "+u.Name, msgUserExists(u.Name))
	}
	u.ID = id
	return nil
}

// UpdateUser stores the display name, roles, scope and disabled flag of u over the
// user with its id (ENOTFOUND if none). The name and password do not change.
func (tx *Tx) UpdateUser(ctx context.Context, u *gridloop.User) error {
	roles, areas, depts, err := userScope(u)
	if err != nil {
		return fmt.Errorf("store: update user %s: %w", u.Name, err)
	}
	res, err := tx.exec(ctx, `UPDATE users SET display_name = ?, roles = ?, area_scope = ?, dept_scope = ?, disabled = ?
		WHERE id = ?`, u.DisplayName, roles, areas, depts, u.Disabled, u.ID)
	return tx.oneRow(res, err, "update user", "用户不存在 (user %d not found)", u.ID)
}

// SetPassword replaces the password hash of a user (ENOTFOUND if none).
func (tx *Tx) SetPassword(ctx context.Context, userID int64, passwordHash string) error {
	res, err := tx.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, userID)
	return tx.oneRow(res, err, "set password", "用户不存在 (user %d not found)", userID)
}

// BumpSessionGen moves the user's session generation on (signing out every web
// session) and returns the new one; ENOTFOUND if there is no such user.
func (tx *Tx) BumpSessionGen(ctx context.Context, userID int64) (int64, error) {
	var gen int64
	err := tx.queryRow(ctx, `UPDATE users SET session_gen = session_gen + 1 WHERE id = ? RETURNING session_gen`, userID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("用户不存在 (user %d not found)", userID)
	} else if err != nil {
		return 0, fmt.Errorf("store: bump session generation of user %d: %w", userID, err)
	}
	return gen, nil
}

// oneRow checks that an UPDATE changed a row, else returns ENOTFOUND with the message.
func (tx *Tx) oneRow(res sql.Result, err error, what, format string, args ...any) error {
	if err != nil {
		return wrap(err, what, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return notFound(format, args...)
	}
	return nil
}

// scanUser scans userColumns and then extra.
func scanUser(s scanner, extra ...any) (*gridloop.User, error) {
	var u gridloop.User
	var roles, areas, depts string
	var created nullTime
	dest := append([]any{&u.ID, &u.Name, &u.DisplayName, &roles, &areas, &depts, &u.Disabled, &created, &u.SessionGen}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	u.CreatedAt = created.Time
	var err error
	if u.Roles, err = parseList[gridloop.Role](roles); err != nil {
		return nil, fmt.Errorf("user %s: decode roles: %w", u.Name, err)
	}
	if u.AreaScope, err = parseList[string](areas); err != nil {
		return nil, fmt.Errorf("user %s: decode area scope: %w", u.Name, err)
	}
	if u.DeptScope, err = parseList[int64](depts); err != nil {
		return nil, fmt.Errorf("user %s: decode department scope: %w", u.Name, err)
	}
	return &u, nil
}

// UserByName returns the user with login name, disabled or not, and its password
// hash; ENOTFOUND if there is none.
func (tx *Tx) UserByName(ctx context.Context, name string) (*gridloop.User, string, error) {
	var hash string
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`, name), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("用户 %s 不存在 (user not found)", name)
	} else if err != nil {
		return nil, "", fmt.Errorf("store: user %s: %w", name, err)
	}
	return u, hash, nil
}

// UserByID returns the user with id, or ENOTFOUND.
func (tx *Tx) UserByID(ctx context.Context, id int64) (*gridloop.User, error) {
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("用户不存在 (user %d not found)", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// Users returns every user, ordered by name.
func (tx *Tx) Users(ctx context.Context) ([]gridloop.User, error) {
	rows, err := tx.query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []gridloop.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// InsertToken stores a new token and sets t.ID (and t.CreatedAt if it is zero). A
// hash already stored is ECONFLICT; a user that does not exist is EINVALID.
func (tx *Tx) InsertToken(ctx context.Context, t *gridloop.Token) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = normTime(time.Now())
	}
	areas, err := jsonList(t.AreaScope)
	if err != nil {
		return fmt.Errorf("store: insert token: %w", err)
	}
	depts, err := jsonList(t.DeptScope)
	if err != nil {
		return fmt.Errorf("store: insert token: %w", err)
	}
	perms, err := jsonList(t.Perms)
	if err != nil {
		return fmt.Errorf("store: insert token: %w", err)
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO tokens (user_id, name, hash, area_scope, dept_scope, perms, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UserID, t.Name, t.Hash, areas, depts, perms, tx.timePtrArg(t.ExpiresAt), tx.timeArg(t.CreatedAt)).Scan(&id)
	if err != nil {
		return wrap(err, "insert token", "令牌重复 (duplicate token)")
	}
	t.ID = id
	return nil
}

const tokenColumns = `t.id, t.user_id, t.name, t.hash, t.expires_at, t.created_at, t.area_scope, t.dept_scope, t.perms, t.last_used_at`

// tokenScan holds a token's columns as scanned; done fills the token.
type tokenScan struct {
	t                      *gridloop.Token
	expires, created, used nullTime
	areas, depts, perms    string
}

func scanTokenCols(ts *tokenScan) []any {
	t := ts.t
	return []any{&t.ID, &t.UserID, &t.Name, &t.Hash, &ts.expires, &ts.created, &ts.areas, &ts.depts, &ts.perms, &ts.used}
}

func (ts *tokenScan) done() error {
	t := ts.t
	t.ExpiresAt, t.CreatedAt, t.LastUsedAt = ts.expires.Ptr(), ts.created.Time, ts.used.Ptr()
	var err error
	if t.AreaScope, err = parseList[string](ts.areas); err != nil {
		return fmt.Errorf("token %d: decode area scope: %w", t.ID, err)
	}
	if t.DeptScope, err = parseList[int64](ts.depts); err != nil {
		return fmt.Errorf("token %d: decode department scope: %w", t.ID, err)
	}
	if t.Perms, err = parseList[gridloop.Permission](ts.perms); err != nil {
		return fmt.Errorf("token %d: decode permissions: %w", t.ID, err)
	}
	return nil
}

// MsgBadToken is the message of the EUNAUTHORIZED error UserByToken returns.
const MsgBadToken = "登录已失效，请重新登录 (invalid or expired token)"

// UserByToken returns the token whose hash is hash and its user, if the token is
// neither revoked nor expired at now and the user is not disabled; else EUNAUTHORIZED.
func (tx *Tx) UserByToken(ctx context.Context, hash string, now time.Time) (*gridloop.User, *gridloop.Token, error) {
	var t gridloop.Token
	ts := &tokenScan{t: &t}
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumnsAs("u")+`, `+tokenColumns+`
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
			AND NOT u.disabled`, hash, tx.timeArg(now)),
		scanTokenCols(ts)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, gridloop.Errorf(gridloop.EUNAUTHORIZED, MsgBadToken)
	} else if err != nil {
		return nil, nil, fmt.Errorf("store: user by token: %w", err)
	}
	if err := ts.done(); err != nil {
		return nil, nil, fmt.Errorf("store: user by token: %w", err)
	}
	return u, &t, nil
}

// userColumnsAs is userColumns qualified with a table alias.
func userColumnsAs(alias string) string {
	cols := strings.Split(userColumns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// TouchToken records that a token was used at now.
func (tx *Tx) TouchToken(ctx context.Context, id int64, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, tx.timeArg(now), id)
	return tx.oneRow(res, err, "touch token", "令牌不存在 (token %d not found)", id)
}

// RevokeToken revokes a token at now; revoking a revoked token changes nothing.
// ENOTFOUND if there is no such token.
func (tx *Tx) RevokeToken(ctx context.Context, id int64, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, tx.timeArg(now), id)
	return tx.oneRow(res, err, "revoke token", "令牌不存在 (token %d not found)", id)
}

// RevokeUserTokens revokes every token of a user at now and returns how many were
// still live.
func (tx *Tx) RevokeUserTokens(ctx context.Context, userID int64, now time.Time) (int64, error) {
	res, err := tx.exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, tx.timeArg(now), userID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke tokens of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// TokenByID returns a token that is not revoked, or ENOTFOUND.
func (tx *Tx) TokenByID(ctx context.Context, id int64) (*gridloop.Token, error) {
	var t gridloop.Token
	ts := &tokenScan{t: &t}
	err := tx.queryRow(ctx, `SELECT `+tokenColumns+` FROM tokens t WHERE t.id = ? AND t.revoked_at IS NULL`, id).Scan(scanTokenCols(ts)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("令牌不存在 (token %d not found)", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: token %d: %w", id, err)
	}
	if err := ts.done(); err != nil {
		return nil, fmt.Errorf("store: token %d: %w", id, err)
	}
	return &t, nil
}

// Tokens returns the tokens of a user that are not revoked (expired ones included),
// newest first.
func (tx *Tx) Tokens(ctx context.Context, userID int64) ([]gridloop.Token, error) {
	rows, err := tx.query(ctx, `SELECT `+tokenColumns+` FROM tokens t
		WHERE t.user_id = ? AND t.revoked_at IS NULL ORDER BY t.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: tokens of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []gridloop.Token
	for rows.Next() {
		var t gridloop.Token
		ts := &tokenScan{t: &t}
		if err := rows.Scan(scanTokenCols(ts)...); err != nil {
			return nil, fmt.Errorf("store: tokens of user %d: %w", userID, err)
		}
		if err := ts.done(); err != nil {
			return nil, fmt.Errorf("store: tokens of user %d: %w", userID, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tokens of user %d: %w", userID, err)
	}
	return out, nil
}
