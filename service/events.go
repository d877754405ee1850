package service

import (
	"context"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// EventHook runs inside the transaction that records an event, after the case row and
// the event are written. Rollups, the webhook outbox and notifications hang here, so they
// commit or roll back together with the event they count. before is the case as it was
// (nil for a new report); after is the case now. A hook's error aborts the transaction.
type EventHook func(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error

// OnEvent adds a hook. Register hooks at start-up, before the service takes requests.
func (s *Service) OnEvent(h EventHook) { s.hooks = append(s.hooks, h) }

// recordEvent appends ev to the log and runs the hooks, in the caller's transaction.
func (s *Service) recordEvent(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
	if err := tx.AppendEvent(ctx, ev); err != nil {
		return err
	}
	for _, h := range s.hooks {
		if err := h(ctx, tx, before, after, ev); err != nil {
			return err
		}
	}
	return nil
}
