package service

import (
	"context"
	"strings"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// Reporters' personal data (docs/security.md): names and phone numbers are shown
// masked to everyone; a user whose roles hold pii.reveal may reveal them for one case,
// an explicit action recorded in the audit log.

// MaskPhone hides the middle of a phone number: 13812345678 → 138****5678. Numbers
// too short to keep both ends show their last two digits only.
func MaskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return ""
	}
	r := []rune(phone)
	n := len(r)
	switch {
	case n >= 11:
		return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
	case n >= 7:
		return string(r[:2]) + strings.Repeat("*", n-4) + string(r[n-2:])
	case n > 2:
		return strings.Repeat("*", n-2) + string(r[n-2:])
	}
	return strings.Repeat("*", n)
}

// MaskName keeps a name's first character: 王小明 → 王**, Alice → A****.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	first, size := utf8.DecodeRuneInString(name)
	return string(first) + strings.Repeat("*", max(utf8.RuneCountInString(name[size:]), 1))
}

// MaskReporter returns a copy of c with the reporter's name and phone masked.
func MaskReporter(c *gl.Case) *gl.Case {
	if c == nil || (c.ReporterName == "" && c.ReporterPhone == "") {
		return c
	}
	m := *c
	m.ReporterName, m.ReporterPhone = MaskName(c.ReporterName), MaskPhone(c.ReporterPhone)
	return &m
}

// Reporter is a reporter's contact details.
type Reporter struct {
	Name  string `json:"reporter_name"`
	Phone string `json:"reporter_phone"`
}

// RevealReporter returns the reporter's name and phone of the case with code, for a
// user holding pii.reveal who can see the case, and records who looked, when, from
// where and why in the audit log (in the same transaction: no record, no reveal).
func (s *Service) RevealReporter(ctx context.Context, p *Principal, code, reason string) (*Reporter, error) {
	if !p.Can(gl.PermPIIReveal) {
		return nil, forbidden(gl.PermPIIReveal)
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 200 {
		return nil, gl.FieldError("reason", "原因不能超过 200 字")
	}
	var out *Reporter
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByCode(ctx, code)
		if err != nil {
			return err
		}
		if !p.canSee(c) {
			return gl.Errorf(gl.ENOTFOUND, "案件 %s 不存在", code)
		}
		out = &Reporter{Name: c.ReporterName, Phone: c.ReporterPhone}
		details := map[string]any{"fields": []string{"reporter_name", "reporter_phone"}}
		if reason != "" {
			details["reason"] = reason
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditReveal, CaseCode: c.Code, Details: details})
	})
	return out, err
}
