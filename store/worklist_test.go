package store

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestWorkListFromCaseDepts: a department's work list (workList: open states of some
// departments, nothing else) is counted and, in due order, paged from case_depts; every
// page equals the general path's (the same filter with an area prefix every case has)
// and, in due order, a brute-force sort of the cases: cases held by two of the
// departments once, no deadline last, equal deadlines by id.
func TestWorkListFromCaseDepts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)

		statuses := []gridloop.Status{
			gridloop.StatusDispatched, gridloop.StatusHandling, gridloop.StatusHandled,
			gridloop.StatusSuspended, gridloop.StatusClosed, gridloop.StatusDispatched,
		}
		dues := []*int{nil, ptr(60), ptr(60), ptr(-30), ptr(600), ptr(60), nil}
		var cases []*gridloop.Case
		for i := range 90 {
			c := minimalCase(fmt.Sprintf("WL%03d", i))
			c.Status = statuses[i%len(statuses)]
			c.CreatedAt, c.UpdatedAt = at(i%13), at(1000-i%17)
			if d := dues[i%len(dues)]; d != nil {
				c.Due = ptr(at(*d))
			}
			// One department, or two of them (both may be in a subtree), 1 to 5.
			c.Assignments = []gridloop.Assignment{{DeptID: int64(1 + i%5), Lead: true}}
			if i%3 == 0 {
				c.Assignments = append(c.Assignments, gridloop.Assignment{DeptID: int64(1 + (i/3)%5)})
			}
			if i%11 == 0 {
				c.Assignments, c.Status = nil, gridloop.StatusRegistered
			}
			cases = append(cases, c)
		}
		// Half through InsertCases (insertCaseDepts), half one by one (writeCaseDepts),
		// then some deadlines change (the ON CONFLICT update).
		update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, cases[:45]) })
		for _, c := range cases[45:] {
			insertCase(t, db, c)
		}
		for i := 0; i < len(cases); i += 7 {
			c := cases[i]
			if c.Due != nil {
				c.Due = ptr(c.Due.Add(-45 * time.Minute))
			} else {
				c.Due = ptr(at(60))
			}
			c.Version++
			update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, c) })
		}

		var open []gridloop.Status
		for _, s := range gridloop.Statuses {
			if s.Open() {
				open = append(open, s)
			}
		}
		tests := []struct {
			name     string
			depts    []int64
			statuses []gridloop.Status
		}{
			{"one department, a handler's states", []int64{1}, workStatuses},
			{"a subtree: cases held twice", []int64{1, 2, 3}, workStatuses},
			{"one state", []int64{2, 4}, []gridloop.Status{gridloop.StatusHandling}},
			{"every open state, every department", []int64{1, 2, 3, 4, 5}, open},
			{"a department named twice", []int64{3, 3}, workStatuses},
			{"no such department", []int64{9}, workStatuses},
		}
		for _, tt := range tests {
			want := bruteWorkList(cases, tt.depts, tt.statuses)
			for _, order := range []string{OrderDueAsc, OrderCreatedDesc, OrderUpdatedDesc} {
				for _, limit := range []int{7, MaxLimit} {
					for offset := 0; offset <= len(want)+limit; offset += limit {
						f := CaseFilter{DeptIDs: tt.depts, Statuses: tt.statuses, Order: order, Limit: limit, Offset: offset}
						general := f
						general.AreaPrefixes = []string{""}
						what := fmt.Sprintf("%s, %s, limit %d offset %d", tt.name, order, limit, offset)
						if !workList(f) || workList(general) {
							t.Fatalf("%s: workList = %v, %v", what, workList(f), workList(general))
						}
						view(t, db, func(tx *Tx) error {
							got, total, err := tx.ListCases(ctx, f)
							if err != nil {
								return err
							}
							gen, genTotal, err := tx.ListCases(ctx, general)
							if err != nil {
								return err
							}
							equal(t, what+": total", total, genTotal)
							equal(t, what+": total, brute force", total, len(want))
							equal(t, what, got, gen)
							if order == OrderDueAsc {
								equal(t, what+": brute force", codes(got), want[min(offset, len(want)):min(offset+limit, len(want))])
							}
							return nil
						})
					}
				}
			}
		}
	})
}

// bruteWorkList returns the codes of the cases in statuses held by any of depts, in
// due order: earliest deadline first, cases without one last, then by id.
func bruteWorkList(cases []*gridloop.Case, depts []int64, statuses []gridloop.Status) []string {
	var sel []*gridloop.Case
	for _, c := range cases {
		if slices.Contains(statuses, c.Status) && slices.ContainsFunc(c.Assignments, func(a gridloop.Assignment) bool {
			return slices.Contains(depts, a.DeptID)
		}) {
			sel = append(sel, c)
		}
	}
	slices.SortFunc(sel, func(a, b *gridloop.Case) int {
		if (a.Due == nil) != (b.Due == nil) {
			if a.Due == nil {
				return 1
			}
			return -1
		}
		if a.Due != nil {
			if c := a.Due.Compare(*b.Due); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := []string{}
	for _, c := range sel {
		out = append(out, c.Code)
	}
	return out
}
