package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

var userNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,39}$`)

// AddUser creates a staff account.
func (s *Service) AddUser(ctx context.Context, u *gl.User, password string) error {
	u.Name = strings.TrimSpace(u.Name)
	if !userNamePattern.MatchString(u.Name) {
		return gl.FieldError("name", "用户名须为 2–40 位小写字母、数字、下划线、点或连字符，以字母开头")
	}
	if err := validateRoles(u.Roles); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	u.CreatedAt = s.now()
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := s.checkScope(u); err != nil {
			return err
		}
		return tx.InsertUser(ctx, u, HashPassword(password))
	})
}

// UpdateUser changes roles, scope, display name or the disabled flag of the user named u.Name.
func (s *Service) UpdateUser(ctx context.Context, u *gl.User) error {
	if err := validateRoles(u.Roles); err != nil {
		return err
	}
	if err := s.checkScope(u); err != nil {
		return err
	}
	defer s.ForgetTokens() // roles, scope or the disabled flag may have changed
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u) })
}

// UserByName looks up a user.
func (s *Service) UserByName(ctx context.Context, name string) (*gl.User, error) {
	var u *gl.User
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		u, _, err = tx.UserByName(ctx, name)
		return err
	})
	return u, err
}

func validateRoles(roles []gl.Role) error {
	if len(roles) == 0 {
		return gl.FieldError("roles", "至少需要一个角色")
	}
	for _, r := range roles {
		if !r.IsStaff() {
			return gl.FieldError("roles", "未知角色「%s」", r)
		}
	}
	return nil
}

func (s *Service) checkScope(u *gl.User) error {
	for _, id := range u.DeptScope {
		if _, ok := s.Depts().Get(id); !ok {
			return gl.FieldError("dept_scope", "部门 %d 不存在", id)
		}
	}
	for _, a := range u.AreaScope {
		if a == "" || strings.Trim(a, "0123456789") != "" {
			return gl.FieldError("area_scope", "区域代码「%s」须为数字", a)
		}
	}
	return nil
}

// TokenOptions describe a new API token: a label, a lifetime (0: none), and an
// optional narrower scope and set of permissions than its user's.
type TokenOptions struct {
	Name      string
	TTL       time.Duration
	AreaScope []string        // each inside the user's area scope, if it has one
	DeptScope []int64         // each inside the user's department scope, if it has one
	Perms     []gl.Permission // each held by the user's roles
}

// IssueToken creates an API token for the user and returns the secret, shown once.
func (s *Service) IssueToken(ctx context.Context, userName, tokenName string, ttl time.Duration) (string, error) {
	secret, _, err := s.IssueTokenWith(ctx, nil, userName, TokenOptions{Name: tokenName, TTL: ttl})
	return secret, err
}

// IssueTokenWith creates an API token for the user named userName with opts and
// returns the secret (shown once) and the token. p is who asks (nil: the command
// line): the user itself or an admin. The token's scope and permissions must lie
// inside the user's.
func (s *Service) IssueTokenWith(ctx context.Context, p *Principal, userName string, opts TokenOptions) (string, *gl.Token, error) {
	opts.Name = strings.TrimSpace(opts.Name)
	if utf8.RuneCountInString(opts.Name) > 100 {
		return "", nil, gl.FieldError("name", "令牌名称不能超过 100 个字符")
	}
	if opts.TTL < 0 {
		return "", nil, gl.FieldError("ttl", "有效期不能为负")
	}
	b := make([]byte, 24)
	rand.Read(b)
	secret := "glt_" + base64.RawURLEncoding.EncodeToString(b)
	var t *gl.Token
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, _, err := tx.UserByName(ctx, userName)
		if err != nil {
			return err
		}
		if p != nil && !s.selfOrAdmin(p, u.ID) {
			return forbidden(gl.PermAdminUsers)
		}
		if err := s.checkTokenScope(u, &opts); err != nil {
			return err
		}
		t = &gl.Token{UserID: u.ID, Name: opts.Name, Hash: HashSecret(secret), CreatedAt: s.now(),
			AreaScope: opts.AreaScope, DeptScope: opts.DeptScope, Perms: opts.Perms}
		if opts.TTL > 0 {
			exp := t.CreatedAt.Add(opts.TTL)
			t.ExpiresAt = &exp
		}
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		if p == nil {
			return nil // the command line: whoever runs it owns the store
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditTokenIssue, Target: u.Name, Details: map[string]any{
			"token_id": t.ID, "name": t.Name, "area_scope": t.AreaScope, "dept_scope": t.DeptScope,
			"permissions": t.Perms, "expires_at": t.ExpiresAt}})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// checkTokenScope checks that a token's scope and permissions lie inside its user's.
func (s *Service) checkTokenScope(u *gl.User, opts *TokenOptions) error {
	for _, a := range opts.AreaScope {
		if a == "" || strings.Trim(a, "0123456789") != "" {
			return gl.FieldError("area_scope", "区域代码「%s」须为数字", a)
		}
		if len(u.AreaScope) > 0 && !insideAreas(a, u.AreaScope) {
			return gl.FieldError("area_scope", "区域 %s 不在用户 %s 的范围内", a, u.Name)
		}
	}
	if len(opts.DeptScope) > 0 {
		userDepts := s.Depts().Subtree(u.DeptScope...)
		for _, id := range opts.DeptScope {
			if _, ok := s.Depts().Get(id); !ok {
				return gl.FieldError("dept_scope", "部门 %d 不存在", id)
			}
			if len(u.DeptScope) > 0 && !slices.Contains(userDepts, id) {
				return gl.FieldError("dept_scope", "部门 %d 不在用户 %s 的范围内", id, u.Name)
			}
		}
	}
	for _, perm := range opts.Perms {
		if !perm.Valid() || perm == gl.PermPublic {
			return gl.FieldError("permissions", "未知权限「%s」", perm)
		}
		if !u.Can(perm) {
			return gl.FieldError("permissions", "用户 %s 没有权限 %s", u.Name, perm)
		}
	}
	return nil
}

// insideAreas reports whether area code a lies inside one of the prefixes.
func insideAreas(a string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(a, p) })
}

// narrow applies a token's scope and permissions to (a copy of) its user. Scopes are
// intersected again at every use, since the user's may have shrunk since the token
// was issued; an intersection that comes out empty matches nothing (an empty scope
// would mean the whole city).
func (s *Service) narrow(u *gl.User, t *gl.Token) *gl.User {
	if len(t.AreaScope) == 0 && len(t.DeptScope) == 0 && len(t.Perms) == 0 {
		return u
	}
	n := *u
	if len(t.AreaScope) > 0 {
		var areas []string
		for _, a := range t.AreaScope {
			if len(u.AreaScope) == 0 || insideAreas(a, u.AreaScope) {
				areas = append(areas, a)
			}
		}
		if len(areas) == 0 {
			areas = []string{noArea}
		}
		n.AreaScope = areas
	}
	if len(t.DeptScope) > 0 {
		var depts []int64
		userDepts := s.Depts().Subtree(u.DeptScope...)
		for _, id := range t.DeptScope {
			if len(u.DeptScope) == 0 || slices.Contains(userDepts, id) {
				depts = append(depts, id)
			}
		}
		if len(depts) == 0 {
			depts = []int64{-1}
		}
		n.DeptScope = depts
	}
	if len(t.Perms) > 0 {
		n.TokenPerms = slices.Clone(t.Perms)
	}
	return &n
}

// Authenticate returns the principal for an API token: its user, narrowed to the
// token's scope and permissions. Tokens found are cached for a few seconds
// (tokens.go); RevokeToken and UpdateUser empty the cache at once on this node.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	hash, now := HashSecret(secret), s.now()
	if u, ok := s.tokens.get(hash, now); ok {
		return s.NewPrincipal(u), nil
	}
	var u *gl.User
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		var t *gl.Token
		if u, t, err = tx.UserByToken(ctx, hash, now); err == nil {
			u = s.narrow(u, t)
			s.tokens.put(hash, u, t.ExpiresAt)
		}
		return err
	})
	if err != nil {
		if gl.ErrorCode(err) == gl.ENOTFOUND || gl.ErrorCode(err) == gl.EUNAUTHORIZED {
			return nil, gl.Errorf(gl.EUNAUTHORIZED, "API 令牌无效、已过期或已吊销")
		}
		return nil, err
	}
	return s.NewPrincipal(u), nil
}

// Tokens lists the live (not revoked) tokens of the user with id: the user's own, or
// any user's for an admin.
func (s *Service) Tokens(ctx context.Context, p *Principal, userID int64) ([]gl.Token, error) {
	if !s.selfOrAdmin(p, userID) {
		return nil, forbidden(gl.PermAdminUsers)
	}
	var out []gl.Token
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Tokens(ctx, userID)
		return err
	})
	return out, err
}

// RevokeTokenOf revokes the token with id of the caller (or of anyone, for an admin);
// it stops working at once on this node and within a few seconds on the others
// (tokens.go).
func (s *Service) RevokeTokenOf(ctx context.Context, p *Principal, id int64) error {
	defer s.ForgetTokens()
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		t, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if !s.selfOrAdmin(p, t.UserID) {
			return gl.Errorf(gl.ENOTFOUND, "令牌不存在 (token %d not found)", id)
		}
		u, err := tx.UserByID(ctx, t.UserID)
		if err != nil {
			return err
		}
		if err := tx.RevokeToken(ctx, id, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditTokenRevoke, Target: u.Name,
			Details: map[string]any{"token_id": id, "name": t.Name}})
	})
}

// RevokeAllTokens revokes every token of the user with id (the caller's own, or any
// user's for an admin) and returns how many there were.
func (s *Service) RevokeAllTokens(ctx context.Context, p *Principal, userID int64) (int64, error) {
	if !s.selfOrAdmin(p, userID) {
		return 0, forbidden(gl.PermAdminUsers)
	}
	defer s.ForgetTokens()
	var n int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if n, err = tx.RevokeUserTokens(ctx, userID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditTokensRevokeAll, Target: u.Name, Details: map[string]any{"revoked": n}})
	})
	return n, err
}
