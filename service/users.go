package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"strings"
	"time"

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

// IssueToken creates an API token for the user and returns the secret, shown once.
func (s *Service) IssueToken(ctx context.Context, userName, tokenName string, ttl time.Duration) (string, error) {
	b := make([]byte, 24)
	rand.Read(b)
	secret := "glt_" + base64.RawURLEncoding.EncodeToString(b)
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, _, err := tx.UserByName(ctx, userName)
		if err != nil {
			return err
		}
		t := &gl.Token{UserID: u.ID, Name: tokenName, Hash: HashSecret(secret), CreatedAt: s.now()}
		if ttl > 0 {
			exp := t.CreatedAt.Add(ttl)
			t.ExpiresAt = &exp
		}
		return tx.InsertToken(ctx, t)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Authenticate returns the principal for an API token.
// Tokens found are cached for a few seconds (tokens.go).
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
