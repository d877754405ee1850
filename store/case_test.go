package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/worktime"
)

// minimalCase has only what a new report must have.
func minimalCase(code string) *gridloop.Case {
	return &gridloop.Case{
		Code:        code,
		Status:      gridloop.StatusReported,
		Version:     1,
		Channel:     gridloop.ChannelWeb,
		Description: "路灯不亮",
		CreatedAt:   at(0),
		UpdatedAt:   at(0),
	}
}

// fullCase has every field set to something other than its zero value.
func fullCase(code string) *gridloop.Case {
	return &gridloop.Case{
		Code:          code,
		Status:        gridloop.StatusHandling,
		Version:       1,
		Channel:       gridloop.ChannelPatrol,
		CategoryCode:  "0101",
		Urgent:        true,
		Description:   "井盖缺失，有行人跌落危险 50% _x_ \\",
		Address:       "朝阳区建国路 88 号",
		Lat:           39.9087,
		Lng:           116.4605,
		AreaCode:      "110105001001",
		GridCode:      "110105001001001",
		ReporterName:  "张三",
		ReporterPhone: "13800138000",
		ReporterID:    7,
		TrackingHash:  "hash-" + code,
		Photos:        []string{"p/1.jpg", "p/2.jpg"},
		Verified:      true,
		DuplicateOf:   "20250101-0001",

		SuggestedDeptID: 11,
		Assignments: []gridloop.Assignment{
			{DeptID: 11, Lead: true, State: gridloop.AssignmentSigned, SignedAt: ptr(at(30))},
			{DeptID: 12, State: gridloop.AssignmentHandled, FromDeptID: 11, SignedAt: ptr(at(31)), HandledAt: ptr(at(90))},
		},
		Pending: &gridloop.Request{
			Kind: gridloop.RequestExtension, ByUser: 9, DeptID: 11, Reason: "需要采购配件",
			Limit: &worktime.Limit{Value: 2, Unit: worktime.WorkDay}, At: at(100),
		},

		ReworkCount: 1, ReopenCount: 2, ReturnCount: 3, ExtensionCount: 4, UrgeCount: 5, Interest: 6,

		StageDue:    ptr(at(10)),
		SignDue:     ptr(at(20)),
		Due:         ptr(at(240)),
		DueWorking:  true,
		DueStart:    ptr(at(15)),
		SuspendedAt: ptr(at(120)),
		Overdue:     true,
		OverdueAt:   ptr(at(241)),

		RegisteredAt: ptr(at(5)),
		DispatchedAt: ptr(at(12)),
		HandledAt:    ptr(at(200)),
		ClosedAt:     ptr(at(300)),
		RatedAt:      ptr(at(310)),
		Satisfaction: gridloop.Basic,
		Fixed:        ptr(false),

		CreatedAt: at(0),
		UpdatedAt: at(310),
	}
}

// stored is c as the store gives it back: UTC times with microsecond precision.
func stored(c gridloop.Case) gridloop.Case {
	norm := func(p **time.Time) { *p = normTimePtr(*p) }
	for _, p := range []**time.Time{&c.StageDue, &c.SignDue, &c.Due, &c.DueStart, &c.SuspendedAt,
		&c.OverdueAt, &c.RegisteredAt, &c.DispatchedAt, &c.HandledAt, &c.ClosedAt, &c.RatedAt} {
		norm(p)
	}
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	c.Assignments = slices.Clone(c.Assignments)
	for i := range c.Assignments {
		norm(&c.Assignments[i].SignedAt)
		norm(&c.Assignments[i].HandledAt)
	}
	if c.Pending != nil {
		p := *c.Pending
		p.At = normTime(p.At)
		c.Pending = &p
	}
	return c
}

func insertCase(t *testing.T, db *DB, c *gridloop.Case) *gridloop.Case {
	t.Helper()
	update(t, db, func(tx *Tx) error { return tx.InsertCase(t.Context(), c) })
	return c
}

func TestCaseRoundTrip(t *testing.T) {
	t.Parallel()
	// A time off UTC with nanoseconds: stored as UTC microseconds.
	shanghai := time.FixedZone("CST", 8*3600)
	odd := fullCase("20250301-0003")
	odd.CreatedAt = time.Date(2025, 3, 1, 16, 0, 0, 123456789, shanghai)
	odd.Due = ptr(time.Date(2025, 3, 2, 9, 0, 0, 999, shanghai))
	odd.Assignments[0].SignedAt = ptr(time.Date(2025, 3, 1, 17, 0, 0, 5001, shanghai))
	odd.Pending.At = time.Date(2025, 3, 1, 18, 0, 0, 1, shanghai)
	odd.Photos = []string{} // an empty list comes back nil
	odd.Fixed = ptr(true)

	for _, c := range []struct {
		name string
		c    *gridloop.Case
		want func(gridloop.Case) gridloop.Case
	}{
		{"minimal", minimalCase("20250301-0001"), stored},
		{"full", fullCase("20250301-0002"), stored},
		{"zones and nanoseconds", odd, func(c gridloop.Case) gridloop.Case {
			c = stored(c)
			c.Photos = nil
			if c.CreatedAt.Location() != time.UTC || c.CreatedAt.Nanosecond() != 123456000 {
				t.Fatalf("stored() does not normalize: %v", c.CreatedAt)
			}
			return c
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
				ctx := t.Context()
				db := openDB(t, b)
				in := *c.c
				insertCase(t, db, &in)
				if in.ID == 0 {
					t.Fatalf("InsertCase did not set the id")
				}
				want := c.want(in)
				view(t, db, func(tx *Tx) error {
					got, err := tx.CaseByID(ctx, in.ID)
					if err != nil {
						t.Fatalf("CaseByID: %v", err)
					}
					equal(t, "CaseByID", *got, want)
					got, err = tx.CaseByCode(ctx, in.Code)
					if err != nil {
						t.Fatalf("CaseByCode: %v", err)
					}
					equal(t, "CaseByCode", *got, want)
					if in.TrackingHash != "" {
						got, err = tx.CaseByTrackingHash(ctx, in.TrackingHash)
						if err != nil {
							t.Fatalf("CaseByTrackingHash: %v", err)
						}
						equal(t, "CaseByTrackingHash", *got, want)
					}
					return nil
				})

				// Update every field but the id, code and creation time: the full case
				// becomes minimal and the minimal one full.
				var next *gridloop.Case
				if in.Pending == nil {
					next = fullCase(in.Code)
				} else {
					next = minimalCase(in.Code)
				}
				next.ID, next.Version, next.CreatedAt = in.ID, in.Version+1, in.CreatedAt
				next.TrackingHash = "other-" + in.Code
				update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, next) })
				want = stored(*next)
				view(t, db, func(tx *Tx) error {
					got, err := tx.CaseByID(ctx, in.ID)
					if err != nil {
						t.Fatalf("CaseByID after update: %v", err)
					}
					equal(t, "after UpdateCase", *got, want)
					return nil
				})
			})
		})
	}
}

func TestCaseNotFoundAndUnique(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		a := insertCase(t, db, fullCase("A"))
		insertCase(t, db, minimalCase("B"))
		insertCase(t, db, minimalCase("C")) // two cases without a tracking hash

		view(t, db, func(tx *Tx) error {
			_, err := tx.CaseByID(ctx, 999)
			wantCode(t, err, gridloop.ENOTFOUND)
			_, err = tx.CaseByCode(ctx, "nope")
			wantCode(t, err, gridloop.ENOTFOUND)
			_, err = tx.CaseByTrackingHash(ctx, "nope")
			wantCode(t, err, gridloop.ENOTFOUND)
			_, err = tx.CaseByTrackingHash(ctx, "")
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})
		for name, c := range map[string]*gridloop.Case{
			"same code":          minimalCase("A"),
			"same tracking hash": func() *gridloop.Case { c := minimalCase("D"); c.TrackingHash = a.TrackingHash; return c }(),
		} {
			err := db.Update(ctx, func(tx *Tx) error { return tx.InsertCase(ctx, c) })
			if gridloop.ErrorCode(err) != gridloop.ECONFLICT {
				t.Errorf("insert with %s: %v, want ECONFLICT", name, err)
			}
		}
		missing := minimalCase("E")
		missing.ID, missing.Version = 999, 2
		err := db.Update(ctx, func(tx *Tx) error { return tx.UpdateCase(ctx, missing) })
		wantCode(t, err, gridloop.ENOTFOUND)
	})
}

func TestUpdateCaseStale(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		c := insertCase(t, db, fullCase("A"))
		want := stored(*c)

		for _, version := range []int{1, 3, 0} { // stored is 1: only 2 may be written
			stale := minimalCase("A")
			stale.ID, stale.Version = c.ID, version
			stale.Assignments = []gridloop.Assignment{{DeptID: 99, Lead: true}}
			err := db.Update(ctx, func(tx *Tx) error { return tx.UpdateCase(ctx, stale) })
			wantCode(t, err, gridloop.ECONFLICT)
			if gridloop.ErrorMessage(err) != MsgStaleCase {
				t.Errorf("message %q, want %q", gridloop.ErrorMessage(err), MsgStaleCase)
			}
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.CaseByID(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "after stale updates", *got, want)
			list, n, err := tx.ListCases(ctx, CaseFilter{DeptIDs: []int64{99}})
			if err != nil || n != 0 || len(list) != 0 {
				t.Errorf("department of a stale update is listed: %d, %v", n, err)
			}
			return nil
		})
	})
}

func TestConcurrentUpdateCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		c := insertCase(t, db, minimalCase("A"))

		const n = 2
		var loaded, done sync.WaitGroup
		loaded.Add(n)
		errs := make([]error, n)
		for i := range n {
			done.Go(func() {
				var mine *gridloop.Case
				err := db.View(ctx, func(tx *Tx) error {
					var err error
					mine, err = tx.CaseByID(ctx, c.ID)
					return err
				})
				loaded.Done()
				if err != nil {
					errs[i] = err
					return
				}
				loaded.Wait() // both have read version 1
				mine.Version++
				mine.Description = fmt.Sprintf("writer %d", i)
				errs[i] = db.Update(ctx, func(tx *Tx) error {
					if err := tx.UpdateCase(ctx, mine); err != nil {
						return err
					}
					return tx.AppendEvent(ctx, &gridloop.Event{CaseID: mine.ID, Action: gridloop.ActionComment, To: mine.Status, At: at(1)})
				})
			})
		}
		done.Wait()
		var won, conflicts int
		for _, err := range errs {
			switch gridloop.ErrorCode(err) {
			case "":
				won++
			case gridloop.ECONFLICT:
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 || conflicts != n-1 {
			t.Fatalf("%d won and %d conflicted, want 1 and %d: %v", won, conflicts, n-1, errs)
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.CaseByID(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 2 {
				t.Errorf("version %d, want 2", got.Version)
			}
			events, err := tx.Events(ctx, c.ID)
			if err != nil || len(events) != 1 {
				t.Errorf("events %v, %v: want the winner's only", events, err)
			}
			return nil
		})
	})
}

func TestNextCaseSeq(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		for _, c := range []struct {
			day  string
			want int64
		}{{"20250301", 1}, {"20250301", 2}, {"20250302", 1}, {"20250301", 3}} {
			update(t, db, func(tx *Tx) error {
				got, err := tx.NextCaseSeq(ctx, c.day)
				if err != nil {
					return err
				}
				if got != c.want {
					t.Errorf("NextCaseSeq(%s) = %d, want %d", c.day, got, c.want)
				}
				return nil
			})
		}
		// A rolled-back transaction does not use up a number.
		_ = db.Update(ctx, func(tx *Tx) error {
			if _, err := tx.NextCaseSeq(ctx, "20250302"); err != nil {
				return err
			}
			return errors.New("roll back")
		})
		update(t, db, func(tx *Tx) error {
			if got, err := tx.NextCaseSeq(ctx, "20250302"); err != nil || got != 2 {
				t.Errorf("NextCaseSeq after rollback = %d, %v; want 2", got, err)
			}
			return nil
		})
	})
}

// seedCases stores a set of cases for the list tests and returns them by code.
func seedCases(t *testing.T, db *DB) map[string]*gridloop.Case {
	t.Helper()
	mk := func(code string, status gridloop.Status, minute int, f func(c *gridloop.Case)) *gridloop.Case {
		c := minimalCase(code)
		c.Status = status
		c.CreatedAt, c.UpdatedAt = at(minute), at(minute)
		if f != nil {
			f(c)
		}
		return c
	}
	dept := func(ids ...int64) []gridloop.Assignment {
		var as []gridloop.Assignment
		for i, id := range ids {
			as = append(as, gridloop.Assignment{DeptID: id, Lead: i == 0, State: gridloop.AssignmentDispatched})
		}
		return as
	}
	all := []*gridloop.Case{
		mk("C1", gridloop.StatusReported, 1, func(c *gridloop.Case) {
			c.AreaCode, c.CategoryCode, c.Description, c.UpdatedAt = "110105001001", "0101", "井盖缺失", at(100)
		}),
		mk("C2", gridloop.StatusHandling, 2, func(c *gridloop.Case) {
			c.AreaCode, c.CategoryCode, c.Assignments = "110105001002", "0101", dept(11)
			c.Due, c.Overdue = ptr(at(50)), true
		}),
		mk("C3", gridloop.StatusHandling, 3, func(c *gridloop.Case) {
			c.AreaCode, c.CategoryCode, c.Assignments = "110105002001", "0202", dept(12, 11)
			c.Due = ptr(at(40))
			c.Pending = &gridloop.Request{Kind: gridloop.RequestReturn, DeptID: 12, At: at(5)}
		}),
		mk("C4", gridloop.StatusDispatched, 4, func(c *gridloop.Case) {
			c.AreaCode, c.Assignments, c.ReporterID = "110106001001", dept(13), 7
			c.Due, c.Address = ptr(at(30)), "Main Street 1"
		}),
		mk("C5", gridloop.StatusClosed, 5, func(c *gridloop.Case) {
			c.AreaCode, c.Assignments, c.Overdue, c.ReporterID = "110106001002", dept(11), true, 7
			c.Due = ptr(at(20))
		}),
		mk("C6", gridloop.StatusSuspended, 6, func(c *gridloop.Case) {
			c.AreaCode, c.Assignments = "1101050010", dept(12)
			c.Due, c.Overdue = ptr(at(10)), true
			c.Pending = &gridloop.Request{Kind: gridloop.RequestExtension, DeptID: 12, At: at(5)}
		}),
		mk("C7", gridloop.StatusRejected, 7, func(c *gridloop.Case) {
			c.AreaCode, c.Description = "110105_01", "STREET light 100% broken"
		}),
	}
	byCode := map[string]*gridloop.Case{}
	update(t, db, func(tx *Tx) error {
		for _, c := range all {
			if err := tx.InsertCase(t.Context(), c); err != nil {
				return err
			}
			byCode[c.Code] = c
		}
		return nil
	})
	return byCode
}

func codes(cs []gridloop.Case) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Code)
	}
	return out
}

func TestListCases(t *testing.T) {
	t.Parallel()
	yes, no := ptr(true), ptr(false)
	tests := []struct {
		name  string
		f     CaseFilter
		want  []string
		total int // 0: len(want)
	}{
		{"all, newest first", CaseFilter{}, []string{"C7", "C6", "C5", "C4", "C3", "C2", "C1"}, 0},
		{"statuses", CaseFilter{Statuses: []gridloop.Status{gridloop.StatusHandling, gridloop.StatusReported}}, []string{"C3", "C2", "C1"}, 0},
		{"one status", CaseFilter{Statuses: []gridloop.Status{gridloop.StatusClosed}}, []string{"C5"}, 0},
		{"category", CaseFilter{CategoryCode: "0101"}, []string{"C2", "C1"}, 0},
		{"department, lead or not", CaseFilter{DeptIDs: []int64{11}}, []string{"C5", "C3", "C2"}, 0},
		{"departments", CaseFilter{DeptIDs: []int64{12, 13}}, []string{"C6", "C4", "C3"}, 0},
		{"unknown department", CaseFilter{DeptIDs: []int64{99}}, []string{}, 0},
		{"overdue", CaseFilter{Overdue: yes}, []string{"C6", "C5", "C2"}, 0},
		{"not overdue", CaseFilter{Overdue: no}, []string{"C7", "C4", "C3", "C1"}, 0},
		{"area prefix", CaseFilter{AreaPrefixes: []string{"110105001"}}, []string{"C6", "C2", "C1"}, 0},
		{"area prefixes", CaseFilter{AreaPrefixes: []string{"110105002", "110106"}}, []string{"C5", "C4", "C3"}, 0},
		{"area prefix with LIKE wildcard", CaseFilter{AreaPrefixes: []string{"110105_"}}, []string{"C7"}, 0},
		{"area prefix with GLOB wildcards", CaseFilter{AreaPrefixes: []string{"11010?", "1101*"}}, []string{}, 0},
		{"reporter", CaseFilter{ReporterID: 7}, []string{"C5", "C4"}, 0},
		{"query in description", CaseFilter{Query: "井盖"}, []string{"C1"}, 0},
		{"query in code", CaseFilter{Query: "c3"}, []string{"C3"}, 0},
		{"query in address, any case", CaseFilter{Query: "main street"}, []string{"C4"}, 0},
		{"query any case", CaseFilter{Query: "street"}, []string{"C7", "C4"}, 0},
		{"query with %", CaseFilter{Query: "100%"}, []string{"C7"}, 0},
		{"query with % that is not there", CaseFilter{Query: "0%b"}, []string{}, 0},
		{"since", CaseFilter{Since: ptr(at(5))}, []string{"C7", "C6", "C5"}, 0},
		{"until (exclusive)", CaseFilter{Until: ptr(at(3))}, []string{"C2", "C1"}, 0},
		{"since and until", CaseFilter{Since: ptr(at(2)), Until: ptr(at(4))}, []string{"C3", "C2"}, 0},
		{"filters combine", CaseFilter{DeptIDs: []int64{11}, Overdue: yes, Statuses: []gridloop.Status{gridloop.StatusHandling}}, []string{"C2"}, 0},
		{"due ascending, no due last", CaseFilter{Order: OrderDueAsc}, []string{"C6", "C5", "C4", "C3", "C2", "C1", "C7"}, 0},
		{"updated descending", CaseFilter{Order: OrderUpdatedDesc}, []string{"C1", "C7", "C6", "C5", "C4", "C3", "C2"}, 0},
		{"created descending", CaseFilter{Order: OrderCreatedDesc, Limit: 2}, []string{"C7", "C6"}, 7},
		{"page 2", CaseFilter{Limit: 3, Offset: 3}, []string{"C4", "C3", "C2"}, 7},
		{"last page", CaseFilter{Limit: 3, Offset: 6}, []string{"C1"}, 7},
		{"past the end", CaseFilter{Limit: 3, Offset: 10}, []string{}, 7},
		{"page of a filter", CaseFilter{Overdue: no, Limit: 2, Offset: 1}, []string{"C4", "C3"}, 4},
		{"negative offset and huge limit", CaseFilter{Limit: 100000, Offset: -5}, []string{"C7", "C6", "C5", "C4", "C3", "C2", "C1"}, 0},
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		seedCases(t, db)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				view(t, db, func(tx *Tx) error {
					got, total, err := tx.ListCases(ctx, tc.f)
					if err != nil {
						t.Fatalf("ListCases: %v", err)
					}
					want := tc.total
					if want == 0 {
						want = len(tc.want)
					}
					if !slices.Equal(codes(got), tc.want) || total != want {
						t.Errorf("ListCases = %v (total %d), want %v (total %d)", codes(got), total, tc.want, want)
					}
					return nil
				})
			})
		}
		view(t, db, func(tx *Tx) error {
			_, _, err := tx.ListCases(ctx, CaseFilter{Order: "sideways"})
			wantCode(t, err, gridloop.EINVALID)
			return nil
		})
	})
}

func TestListCasesPaging(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		update(t, db, func(tx *Tx) error {
			for i := range 520 {
				c := minimalCase(fmt.Sprintf("P%04d", i))
				c.CreatedAt = at(i)
				if err := tx.InsertCase(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx *Tx) error {
			for _, c := range []struct{ limit, want int }{{0, DefaultLimit}, {-1, DefaultLimit}, {501, MaxLimit}, {7, 7}} {
				got, total, err := tx.ListCases(ctx, CaseFilter{Limit: c.limit})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != c.want || total != 520 {
					t.Errorf("Limit %d: %d cases of %d, want %d of 520", c.limit, len(got), total, c.want)
				}
			}
			// Walking the pages sees every case once.
			seen := map[string]bool{}
			for offset := 0; ; offset += 100 {
				got, _, err := tx.ListCases(ctx, CaseFilter{Limit: 100, Offset: offset, Order: OrderUpdatedDesc})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					break
				}
				for _, c := range got {
					if seen[c.Code] {
						t.Fatalf("%s on two pages", c.Code)
					}
					seen[c.Code] = true
				}
			}
			if len(seen) != 520 {
				t.Errorf("pages held %d cases, want 520", len(seen))
			}
			return nil
		})
	})
}

func TestCaseDeptsFollowAssignments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		c := minimalCase("A")
		c.Assignments = []gridloop.Assignment{{DeptID: 1, Lead: true}, {DeptID: 2}, {DeptID: 2}}
		insertCase(t, db, c)
		listed := func(dept int64) bool {
			var n int
			view(t, db, func(tx *Tx) error {
				var err error
				_, n, err = tx.ListCases(ctx, CaseFilter{DeptIDs: []int64{dept}})
				return err
			})
			return n == 1
		}
		if !listed(1) || !listed(2) || listed(3) {
			t.Fatalf("after insert: listed for 1, 2, 3 = %v %v %v", listed(1), listed(2), listed(3))
		}
		c.Version++
		c.Assignments = []gridloop.Assignment{{DeptID: 3, Lead: true}}
		update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, c) })
		if listed(1) || listed(2) || !listed(3) {
			t.Fatalf("after update: listed for 1, 2, 3 = %v %v %v", listed(1), listed(2), listed(3))
		}
		c.Version++
		c.Assignments = nil
		update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, c) })
		if listed(3) {
			t.Fatalf("after removing assignments: still listed for 3")
		}
	})
}

func TestCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		seedCases(t, db)
		view(t, db, func(tx *Tx) error {
			for _, c := range []struct {
				name string
				f    CaseFilter
				want map[gridloop.Status]int
			}{
				{"all", CaseFilter{}, map[gridloop.Status]int{
					gridloop.StatusReported: 1, gridloop.StatusHandling: 2, gridloop.StatusDispatched: 1,
					gridloop.StatusClosed: 1, gridloop.StatusSuspended: 1, gridloop.StatusRejected: 1,
				}},
				{"statuses are ignored", CaseFilter{Statuses: []gridloop.Status{gridloop.StatusClosed}, DeptIDs: []int64{11}},
					map[gridloop.Status]int{gridloop.StatusHandling: 2, gridloop.StatusClosed: 1}},
				{"area", CaseFilter{AreaPrefixes: []string{"110106"}},
					map[gridloop.Status]int{gridloop.StatusDispatched: 1, gridloop.StatusClosed: 1}},
				{"none", CaseFilter{CategoryCode: "9999"}, map[gridloop.Status]int{}},
			} {
				got, err := tx.CountByStatus(ctx, c.f)
				if err != nil {
					t.Fatalf("CountByStatus %s: %v", c.name, err)
				}
				equal(t, "CountByStatus "+c.name, got, c.want)
			}

			for _, c := range []struct {
				name                  string
				f                     CaseFilter
				overdue, withRequests int
			}{
				// C2 and C6 are open and overdue; C5 is overdue but closed.
				{"all", CaseFilter{}, 2, 2},
				{"department 12", CaseFilter{DeptIDs: []int64{12}}, 1, 2},
				{"department 11", CaseFilter{DeptIDs: []int64{11}}, 1, 1},
				{"overdue filter ignored", CaseFilter{Overdue: ptr(false)}, 2, 1},
				{"area", CaseFilter{AreaPrefixes: []string{"110106"}}, 0, 0},
			} {
				n, err := tx.CountOverdue(ctx, c.f)
				if err != nil || n != c.overdue {
					t.Errorf("CountOverdue %s = %d, %v; want %d", c.name, n, err, c.overdue)
				}
				n, err = tx.CountPendingRequests(ctx, c.f)
				if err != nil || n != c.withRequests {
					t.Errorf("CountPendingRequests %s = %d, %v; want %d", c.name, n, err, c.withRequests)
				}
			}
			return nil
		})
	})
}

func TestDueForOverdue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		// Seeded dues: C6 10 (suspended), C5 20 (closed), C4 30 (dispatched),
		// C3 40 (handling), C2 50 (handling, already overdue).
		cases := seedCases(t, db)
		for _, c := range []struct {
			now   time.Time
			limit int
			want  []string
		}{
			{at(0), 10, []string{}},
			{at(30), 10, []string{}}, // due at 30 is not past at 30
			{at(31), 10, []string{"C4"}},
			{at(60), 10, []string{"C4", "C3"}},
			{at(60), 1, []string{"C4"}},
			{at(60), 0, []string{"C4", "C3"}}, // default limit
		} {
			update(t, db, func(tx *Tx) error {
				got, err := tx.DueForOverdue(ctx, c.now, c.limit)
				if err != nil {
					t.Fatalf("DueForOverdue: %v", err)
				}
				if !slices.Equal(codes(got), c.want) {
					t.Errorf("DueForOverdue(%v, %d) = %v, want %v", c.now, c.limit, codes(got), c.want)
				}
				return nil
			})
		}
		// Once flagged, a case is not due again.
		c4 := cases["C4"]
		c4.Version, c4.Overdue, c4.OverdueAt = c4.Version+1, true, ptr(at(31))
		update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, c4) })
		update(t, db, func(tx *Tx) error {
			got, err := tx.DueForOverdue(ctx, at(60), 10)
			if err != nil || !slices.Equal(codes(got), []string{"C3"}) {
				t.Errorf("after flagging C4: %v, %v; want [C3]", codes(got), err)
			}
			return nil
		})

		if b.Name != Postgres {
			return
		}
		// Two nodes running the clock at once take different cases.
		tx1, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx1.Rollback()
		first, err := (&Tx{tx: tx1, dialect: Postgres}).DueForOverdue(ctx, at(60), 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("first node: %v, %v", codes(first), err)
		}
		update(t, db, func(tx *Tx) error {
			got, err := tx.DueForOverdue(ctx, at(60), 10)
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("second node got %v while the first holds %v", codes(got), codes(first))
			}
			return nil
		})
	})
}
