package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// TestGen generates cases twice into one store on each backend and checks that the
// histories are whole (a report first, seq 1…n), codes unique and continuing, states
// varied, overdue flags where deadlines passed, and the rollups rebuilt.
func TestGen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		for round := range 2 {
			var out, errs bytes.Buffer
			m := NewMain(strings.NewReader(""), &out, &errs)
			if err := m.gen(ctx, []string{"-db", b.DSN, "-cases", "700", "-days", "20", "-batch", "300", "-seed", fmt.Sprint(round + 1)}); err != nil {
				t.Fatalf("gen: %v\n%s\n%s", err, out.String(), errs.String())
			}
			if !strings.Contains(out.String(), "700 cases and") || !strings.Contains(out.String(), "rollups rebuilt") {
				t.Errorf("gen output: %s", out.String())
			}
			if strings.Contains(errs.String(), "refused") {
				t.Errorf("workflow refused steps: %s", errs.String())
			}
			m.Close()
		}

		db, err := store.Open(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.View(ctx, func(tx *store.Tx) error {
			counts, err := tx.CountByStatus(ctx, store.CaseFilter{})
			if err != nil {
				return err
			}
			total := 0
			for _, n := range counts {
				total += n
			}
			if total != 1401 { // and the demo seeder's one case
				return fmt.Errorf("%d cases, want 1401 (%v)", total, counts)
			}
			for _, s := range []gl.Status{gl.StatusClosed, gl.StatusHandling, gl.StatusReported, gl.StatusRejected, gl.StatusMerged} {
				if counts[s] == 0 {
					return fmt.Errorf("no generated case in state %s: %v", s, counts)
				}
			}
			cases, _, err := tx.ListCases(ctx, store.CaseFilter{Limit: store.MaxLimit})
			if err != nil {
				return err
			}
			codes := map[string]bool{}
			overdue := 0
			for _, c := range cases {
				if codes[c.Code] {
					return fmt.Errorf("code %s twice", c.Code)
				}
				codes[c.Code] = true
				evs, err := tx.Events(ctx, c.ID)
				if err != nil {
					return err
				}
				if len(evs) == 0 || evs[0].Action != gl.ActionReport {
					return fmt.Errorf("case %s: history does not start with its report: %v", c.Code, evs)
				}
				for i, e := range evs {
					if e.Seq != i+1 {
						return fmt.Errorf("case %s: event %d has seq %d", c.Code, i, e.Seq)
					}
					if i > 0 && e.At.Before(evs[i-1].At) {
						return fmt.Errorf("case %s: event %d before the one before it", c.Code, e.Seq)
					}
					if e.Action == gl.ActionFlagOverdue {
						overdue++
					}
				}
				if last := evs[len(evs)-1]; last.To != c.Status {
					return fmt.Errorf("case %s is %s but its last event leads to %s", c.Code, c.Status, last.To)
				}
			}
			if overdue == 0 {
				return fmt.Errorf("no case flagged overdue among the newest %d", len(cases))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
