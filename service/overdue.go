package service

import (
	"context"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// FlagOverdue marks cases whose handling deadline has passed, one event each, and
// returns how many it flagged. Safe to run on many nodes at once: each batch locks its
// rows (SKIP LOCKED on PostgreSQL; SQLite has one writer), and flagging twice is refused
// by the workflow.
func (s *Service) FlagOverdue(ctx context.Context) (int, error) {
	system := &Principal{System: true}
	total := 0
	for {
		n := 0
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			cases, err := tx.DueForOverdue(ctx, s.now(), 100)
			if err != nil {
				return err
			}
			for i := range cases {
				_, err := s.apply(ctx, tx, system, &cases[i], workflow.Input{Action: gl.ActionFlagOverdue}, nil)
				if err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil || n < 100 {
			return total, err
		}
	}
}
