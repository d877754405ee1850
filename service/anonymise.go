package service

import (
	"context"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// MinRetention is the shortest retention Anonymise accepts: a closed case may be
// reopened by its reporter for a while, and the department may need to call back.
const MinRetention = 24 * time.Hour

// Anonymise blanks the reporter's name and phone of every case that finished
// (closed, rejected, merged, withdrawn) longer than retention ago, and records the run
// in the audit log (actor: p, nil for the command line). It returns how many cases it
// changed. Cases keep everything else: their history, photos and figures.
func (s *Service) Anonymise(ctx context.Context, p *Principal, retention time.Duration) (int64, error) {
	if retention < MinRetention {
		return 0, gl.FieldError("older_than", "保留期不能短于 %s", MinRetention)
	}
	if p == nil {
		p = &Principal{System: true}
	}
	cutoff := s.now().Add(-retention)
	var n int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = tx.AnonymiseReporters(ctx, cutoff); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditEvent{Action: AuditAnonymise, Details: map[string]any{
			"finished_before": auditTime(cutoff), "retention_hours": int64(retention / time.Hour), "cases": n}})
	})
	return n, err
}
