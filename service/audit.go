package service

import (
	"context"
	"encoding/json"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// The audit log (docs/security.md): every sign-in (success and failure), every reveal
// of a reporter's personal data, every admin change, session and token changes, and
// anonymisation runs. Entries are append-only (the database refuses UPDATE and DELETE).

// Audit actions.
const (
	AuditSignIn            = "signin.success"
	AuditSignInFailed      = "signin.failure"
	AuditSignInLocked      = "signin.locked" // refused because the account or address is locked
	AuditSignOutEverywhere = "signout.everywhere"
	AuditPasswordSet       = "password.set"
	AuditTokenIssue        = "token.issue"
	AuditTokenRevoke       = "token.revoke"
	AuditTokensRevokeAll   = "token.revoke_all"
	AuditUnlock            = "account.unlock"
	AuditReveal            = "pii.reveal"
	AuditAnonymise         = "pii.anonymise"
	AuditUserAdd           = "user.add"
	AuditUserUpdate        = "user.update"
)

type clientAddrKey struct{}

// WithAddress records the client's address in ctx for the audit log.
func WithAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// AddressOf is the client address WithAddress put in ctx, or "".
func AddressOf(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}

// AuditEvent is what an audit entry says beyond who, when and from where.
type AuditEvent struct {
	Action   string
	CaseCode string
	Target   string
	Details  any // marshalled to a JSON object; nil is {}
}

// actorOf is who p is in the audit log: the user's login name, "system", or a
// reporter.
func actorOf(p *Principal) (int64, string) {
	switch {
	case p == nil:
		return 0, ""
	case p.System:
		return 0, "system"
	case p.User != nil:
		return p.User.ID, p.User.Name
	}
	return 0, "reporter"
}

// Audit appends an entry by p (nil: nobody signed in, e.g. a failed sign-in, whose
// actor is then ev.Target) to the audit log in a transaction of its own.
func (s *Service) Audit(ctx context.Context, p *Principal, ev AuditEvent) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error { return s.audit(ctx, tx, p, ev) })
}

// audit appends an entry inside tx: the change and its record commit together.
func (s *Service) audit(ctx context.Context, tx *store.Tx, p *Principal, ev AuditEvent) error {
	e := &store.AuditEntry{At: s.now(), Action: ev.Action, CaseCode: ev.CaseCode, Target: ev.Target,
		Address: AddressOf(ctx), Details: "{}"}
	e.ActorID, e.Actor = actorOf(p)
	if ev.Details != nil {
		b, err := json.Marshal(ev.Details)
		if err != nil {
			return err
		}
		if len(b) > 0 && b[0] == '{' {
			e.Details = string(b)
		}
	}
	return tx.InsertAudit(ctx, e)
}

// AuditLog returns the entries f selects, newest first, with their total; it needs
// the audit.read permission.
func (s *Service) AuditLog(ctx context.Context, p *Principal, f store.AuditFilter) ([]store.AuditEntry, int, error) {
	if !p.Can(gl.PermAuditRead) {
		return nil, 0, gl.Errorf(gl.EFORBIDDEN, "权限不足：需要 audit.read 权限 (permission audit.read required)")
	}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, 0, gl.FieldError("limit", "分页参数不能为负数")
	}
	var out []store.AuditEntry
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, total, err = tx.AuditLog(ctx, f)
		return err
	})
	if out == nil {
		out = []store.AuditEntry{}
	}
	return out, total, err
}

// auditTime is how audit details write times.
func auditTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
