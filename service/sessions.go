package service

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// Signing in, throttling failed sign-ins, signing out everywhere and passwords.

// Sign-in throttling (docs/security.md): failures are counted in the database per
// account and per client address, so that every node agrees. Past the limit the key is
// locked for Lockout, doubled after each further lockout up to MaxLockout.
var (
	AccountThrottle = store.ThrottlePolicy{Failures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute, MaxLockout: 24 * time.Hour}
	AddressThrottle = store.ThrottlePolicy{Failures: 20, Window: 15 * time.Minute, Lockout: 15 * time.Minute, MaxLockout: 24 * time.Hour}
)

// MsgSignInFailed is the one message for an unknown user, a wrong password and a
// disabled account: the answer does not tell which.
const MsgSignInFailed = "用户名或密码错误 (wrong user name or password)"

// dummyHash is checked against when the user does not exist, so that a wrong user
// name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string { return HashPassword("gridloop-no-such-user") })

func accountKey(name string) string { return "user:" + strings.ToLower(strings.TrimSpace(name)) }
func addressKey(addr string) string { return "addr:" + addr }

// SignIn checks a user name and password from the client address in ctx (see
// WithAddress) and records the attempt in the audit log. It refuses with ETOOMANY,
// without checking the password, while the account or the address is locked after too
// many failures; an unknown name, a wrong password and a disabled account all fail
// alike with EUNAUTHORIZED.
func (s *Service) SignIn(ctx context.Context, name, password string) (*gl.User, error) {
	name = strings.TrimSpace(name)
	addr := AddressOf(ctx)
	akey := accountKey(name)
	now := s.now()
	if err := s.checkThrottle(ctx, name, akey, addr, now); err != nil {
		return nil, err
	}
	var user *gl.User
	var hash string
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		user, hash, err = tx.UserByName(ctx, name)
		return err
	})
	reason := ""
	switch {
	case gl.ErrorCode(err) == gl.ENOTFOUND:
		CheckPassword(dummyHash(), password)
		reason = "unknown_user"
	case err != nil:
		return nil, err
	case !CheckPassword(hash, password):
		reason = "wrong_password"
	case user.Disabled:
		reason = "disabled"
	}
	if reason == "" {
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tx.ClearThrottle(ctx, akey); err != nil {
				return err
			}
			return s.audit(ctx, tx, &Principal{User: user}, AuditEvent{Action: AuditSignIn, Target: user.Name})
		})
		if err != nil {
			return nil, err
		}
		return user, nil
	}
	// A failure: count it against the account and the address, and say so when it
	// locked either.
	var locked error
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		st, err := tx.RecordSignInFailure(ctx, akey, now, AccountThrottle)
		if err != nil {
			return err
		}
		details := map[string]any{"reason": reason, "failures": st.Failures}
		if until, ok := st.Locked(now); ok {
			details["account_locked_until"] = auditTime(until)
			locked = accountLocked(until.Sub(now))
		}
		if addr != "" {
			ast, err := tx.RecordSignInFailure(ctx, addressKey(addr), now, AddressThrottle)
			if err != nil {
				return err
			}
			if until, ok := ast.Locked(now); ok {
				details["address_locked_until"] = auditTime(until)
				if locked == nil {
					locked = addressLocked(until.Sub(now))
				}
			}
		}
		var p *Principal
		if user != nil {
			p = &Principal{User: user}
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditSignInFailed, Target: name, Details: details})
	})
	if err != nil {
		return nil, err
	}
	if locked != nil {
		return nil, locked
	}
	return nil, gl.Errorf(gl.EUNAUTHORIZED, MsgSignInFailed)
}

// checkThrottle refuses a sign-in while the account or the address is locked, and
// records the refusal.
func (s *Service) checkThrottle(ctx context.Context, name, akey, addr string, now time.Time) error {
	var refused error
	var until time.Time
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		st, err := tx.ThrottleState(ctx, akey)
		if err != nil {
			return err
		}
		if u, ok := st.Locked(now); ok {
			refused, until = accountLocked(u.Sub(now)), u
			return nil
		}
		if addr == "" {
			return nil
		}
		st, err = tx.ThrottleState(ctx, addressKey(addr))
		if err != nil {
			return err
		}
		if u, ok := st.Locked(now); ok {
			refused, until = addressLocked(u.Sub(now)), u
		}
		return nil
	})
	if err != nil || refused == nil {
		return err
	}
	if err := s.Audit(ctx, nil, AuditEvent{Action: AuditSignInLocked, Target: name,
		Details: map[string]any{"locked_until": auditTime(until)}}); err != nil {
		return err
	}
	return refused
}

func minutes(d time.Duration) int { return max(1, int(math.Ceil(d.Minutes()))) }

func accountLocked(d time.Duration) error {
	n := minutes(d)
	return gl.TooMany(d, "此账号登录失败次数过多，已暂时锁定，请在 %d 分钟后再试 (too many failed sign-ins for this account: try again in %d min)", n, n)
}

func addressLocked(d time.Duration) error {
	n := minutes(d)
	return gl.TooMany(d, "此网络地址登录失败次数过多，请在 %d 分钟后再试 (too many failed sign-ins from this address: try again in %d min)", n, n)
}

// UnlockAccount forgets the failed sign-ins of the account named name (an admin
// helping a user who locked themselves out).
func (s *Service) UnlockAccount(ctx context.Context, p *Principal, name string) error {
	if !p.Can(gl.PermAdminUsers) {
		return forbidden(gl.PermAdminUsers)
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ClearThrottle(ctx, accountKey(name)); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditUnlock, Target: name})
	})
}

// AccountLocked reports until when the account named name is locked, if it is.
func (s *Service) AccountLocked(ctx context.Context, name string) (time.Time, bool, error) {
	var st store.ThrottleState
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = tx.ThrottleState(ctx, accountKey(name))
		return err
	})
	until, ok := st.Locked(s.now())
	return until, ok, err
}

// forbidden is the error of a caller without perm. Its message names the
// permission; the permission matrix test (web/perm_test.go) looks for that.
func forbidden(perm gl.Permission) error {
	return gl.Errorf(gl.EFORBIDDEN, "权限不足：需要 %s 权限 (permission %s required)", perm, perm)
}

// Forbidden is the error of a caller without perm, for the web layer's route gates.
func Forbidden(perm gl.Permission) error { return forbidden(perm) }

// SignOutEverywhere ends every web session of the user with id (the caller's own, or
// any user's for an admin): the user's session generation moves on, and sessions
// signed in under the old one are refused on their next request, on every node.
// It returns the new generation.
func (s *Service) SignOutEverywhere(ctx context.Context, p *Principal, userID int64) (int64, error) {
	if !s.selfOrAdmin(p, userID) {
		return 0, forbidden(gl.PermAdminUsers)
	}
	var gen int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if gen, err = tx.BumpSessionGen(ctx, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditSignOutEverywhere, Target: u.Name})
	})
	return gen, err
}

func (s *Service) selfOrAdmin(p *Principal, userID int64) bool {
	return p != nil && p.User != nil && ((p.User.ID == userID && p.Can(gl.PermAccountSelf)) || p.Can(gl.PermAdminUsers))
}

// SetPassword sets a new password for the user with id (an admin), which also signs
// the user out everywhere. It returns the user's new session generation.
func (s *Service) SetPassword(ctx context.Context, p *Principal, userID int64, password string) (int64, error) {
	if !p.Can(gl.PermAdminUsers) {
		return 0, forbidden(gl.PermAdminUsers)
	}
	return s.setPassword(ctx, p, userID, password)
}

// ChangeOwnPassword replaces p's own password after checking the current one; every
// other session of p ends. It returns p's new session generation.
func (s *Service) ChangeOwnPassword(ctx context.Context, p *Principal, current, password string) (int64, error) {
	if p == nil || p.User == nil || !p.Can(gl.PermAccountSelf) {
		return 0, forbidden(gl.PermAccountSelf)
	}
	var hash string
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		_, hash, err = tx.UserByName(ctx, p.User.Name)
		return err
	})
	if err != nil {
		return 0, err
	}
	if !CheckPassword(hash, current) {
		return 0, gl.FieldError("current_password", "当前密码不正确 (the current password is wrong)")
	}
	if current == password {
		return 0, gl.FieldError("password", "新密码不能与当前密码相同 (the new password must differ)")
	}
	return s.setPassword(ctx, p, p.User.ID, password)
}

func (s *Service) setPassword(ctx context.Context, p *Principal, userID int64, password string) (int64, error) {
	if err := ValidatePassword(password); err != nil {
		return 0, err
	}
	hash := HashPassword(password)
	var gen int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, userID, hash); err != nil {
			return err
		}
		if gen, err = tx.BumpSessionGen(ctx, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditPasswordSet, Target: u.Name})
	})
	return gen, err
}
