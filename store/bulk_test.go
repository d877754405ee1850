package store

import (
	"fmt"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestBulk: the multi-row writes store what their one-row counterparts store.
func TestBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()

		// Case numbers: a block reserved at once follows on from NextCaseSeq.
		update(t, db, func(tx *Tx) error {
			if n, err := tx.NextCaseSeq(ctx, "20260101"); err != nil || n != 1 {
				return fmt.Errorf("NextCaseSeq: %d, %v", n, err)
			}
			if first, err := tx.ReserveCaseSeqs(ctx, "20260101", 5); err != nil || first != 2 {
				return fmt.Errorf("ReserveCaseSeqs: %d, %v", first, err)
			}
			if err := tx.SetCaseSeq(ctx, "20260101", 3); err != nil { // lower: no change
				return err
			}
			if err := tx.SetCaseSeq(ctx, "20260102", 40); err != nil {
				return err
			}
			seqs, err := tx.CaseSeqs(ctx)
			if err != nil {
				return err
			}
			if seqs["20260101"] != 6 || seqs["20260102"] != 40 {
				return fmt.Errorf("CaseSeqs: %v", seqs)
			}
			return nil
		})

		// Cases and events: every field round-trips, ids are set, case_depts written.
		full, min1, min2 := fullCase("C1"), minimalCase("C2"), minimalCase("C3")
		var evs []*gridloop.Event
		update(t, db, func(tx *Tx) error {
			if err := tx.InsertCases(ctx, []*gridloop.Case{full, min1, min2}); err != nil {
				return err
			}
			for _, c := range []*gridloop.Case{full, min1, min2} {
				if c.ID == 0 {
					return fmt.Errorf("case %s: no id", c.Code)
				}
				for seq := 1; seq <= 2; seq++ {
					evs = append(evs, &gridloop.Event{CaseID: c.ID, Seq: seq, Action: gridloop.ActionComment,
						Actor: "测试", Role: gridloop.RoleOperator, To: c.Status, Note: c.Code, At: at(seq), Data: []byte(`{"k":1}`)})
				}
			}
			return tx.InsertEvents(ctx, evs)
		})
		view(t, db, func(tx *Tx) error {
			for _, c := range []*gridloop.Case{full, min1, min2} {
				got, err := tx.CaseByID(ctx, c.ID)
				if err != nil {
					return err
				}
				equal(t, "case "+c.Code, *got, stored(*c))
				es, err := tx.Events(ctx, c.ID)
				if err != nil {
					return err
				}
				if len(es) != 2 || es[0].Seq != 1 || es[1].Seq != 2 || es[0].Note != c.Code || string(es[0].Data) != `{"k":1}` || es[0].ID == 0 {
					return fmt.Errorf("case %s: events %+v", c.Code, es)
				}
			}
			cases, _, err := tx.ListCases(ctx, CaseFilter{DeptIDs: []int64{12}})
			if err != nil {
				return err
			}
			if len(cases) != 1 || cases[0].Code != "C1" {
				return fmt.Errorf("cases of department 12: %v", cases)
			}
			return nil
		})
		for _, e := range evs {
			if e.ID == 0 {
				t.Fatalf("event %+v: no id", e)
			}
		}

		// Conflicts: a taken code, a taken (case, seq).
		err := db.Update(ctx, func(tx *Tx) error { return tx.InsertCases(ctx, []*gridloop.Case{minimalCase("C4"), minimalCase("C2")}) })
		wantCode(t, err, gridloop.ECONFLICT)
		err = db.Update(ctx, func(tx *Tx) error {
			return tx.InsertEvents(ctx, []*gridloop.Event{{CaseID: min1.ID, Seq: 2, Action: gridloop.ActionComment, At: at(9)}})
		})
		wantCode(t, err, gridloop.ECONFLICT)

		// Saved answers and categories.
		update(t, db, func(tx *Tx) error {
			if err := tx.SaveIdempotentMany(ctx, []IdemResponse{
				{IdemKey{"report:1", "a"}, 201, []byte(`{"x":1}`)},
				{IdemKey{"report:2", "a"}, 201, nil},
			}); err != nil {
				return err
			}
			got, err := tx.IdempotentMany(ctx, []IdemKey{{"report:1", "a"}, {"report:2", "a"}, {"report:1", "b"}})
			if err != nil {
				return err
			}
			if len(got) != 2 || string(got[IdemKey{"report:1", "a"}]) != `{"x":1}` || got[IdemKey{"report:2", "a"}] == nil {
				return fmt.Errorf("IdempotentMany: %q", got)
			}
			c := gridloop.DefaultCategories()[0]
			if err := tx.PutCategory(ctx, &c); err != nil {
				return err
			}
			act, err := tx.ActiveCategories(ctx, []string{c.Code, "nope"})
			if err != nil {
				return err
			}
			if len(act) != 1 || act[c.Code] != c.Active {
				return fmt.Errorf("ActiveCategories: %v", act)
			}
			return nil
		})
		err = db.Update(ctx, func(tx *Tx) error {
			return tx.SaveIdempotentMany(ctx, []IdemResponse{{IdemKey{"report:1", "a"}, 201, nil}})
		})
		wantCode(t, err, gridloop.ECONFLICT)
	})
}
