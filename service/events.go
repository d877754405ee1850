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

// Change is one recorded event with the case before (nil for a new report) and after it.
type Change struct {
	Before, After *gl.Case
	Event         *gl.Event
}

// EventsHook is an EventHook that takes the events of a transaction together, in the
// order they were recorded: one call for a report or an action, one call for a whole
// batch of reports (intake's group commit), so that a hook can write once per batch
// (rollups merge their increments into one upsert).
type EventsHook func(ctx context.Context, tx *store.Tx, changes []Change) error

// OnEvents adds a hook that takes events together. Register hooks at start-up.
func (s *Service) OnEvents(h EventsHook) { s.batchHooks = append(s.batchHooks, h) }

// recordEvent appends ev to the log and runs the hooks, in the caller's transaction.
func (s *Service) recordEvent(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
	if err := tx.AppendEvent(ctx, ev); err != nil {
		return err
	}
	return s.runHooks(ctx, tx, []Change{{Before: before, After: after, Event: ev}})
}

// runHooks runs every hook on changes, whose events are recorded in tx.
func (s *Service) runHooks(ctx context.Context, tx *store.Tx, changes []Change) error {
	for _, ch := range changes {
		for _, h := range s.hooks {
			if err := h(ctx, tx, ch.Before, ch.After, ch.Event); err != nil {
				return err
			}
		}
	}
	for _, h := range s.batchHooks {
		if err := h(ctx, tx, changes); err != nil {
			return err
		}
	}
	return nil
}
