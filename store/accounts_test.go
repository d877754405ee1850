package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestSessionStore: scs sessions in the database, seen by a second handle (another
// node), expiring, deleted, and keyed by a hash of the token.
func TestSessionStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		other, err := Open(t.Context(), b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		s1, s2 := NewSessionStore(db), NewSessionStore(other)
		exp := time.Now().Add(time.Hour)
		if err := s1.Commit("tok-1", []byte("data one"), exp); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s2.Find("tok-1")
		if err != nil || !ok || string(got) != "data one" {
			t.Fatalf("Find on another node: %q %v %v", got, ok, err)
		}
		if _, ok, err := s2.Find("tok-2"); ok || err != nil {
			t.Fatalf("Find of an unknown token: %v %v", ok, err)
		}
		// Overwrite from the other node.
		if err := s2.Commit("tok-1", []byte("data two"), exp); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s1.Find("tok-1"); string(got) != "data two" {
			t.Fatalf("after the other node's commit: %q", got)
		}
		// The token itself is not stored.
		view(t, db, func(tx *Tx) error {
			var n int
			if err := tx.queryRow(t.Context(), `SELECT count(*) FROM sessions WHERE token_hash = ?`, "tok-1").Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				t.Error("the session token is stored in the clear")
			}
			return nil
		})
		// An expired session is not found; a deleted one neither.
		if err := s1.Commit("old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s2.Find("old"); ok {
			t.Error("an expired session was found")
		}
		if err := s2.Delete("tok-1"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s1.Find("tok-1"); ok {
			t.Error("a deleted session was found")
		}
		if err := s1.Delete("never-was"); err != nil {
			t.Errorf("deleting an unknown session: %v", err)
		}
		// The same data again within the slack is not written: the stored expiry stays.
		if err := s1.Commit("tok-3", []byte("d"), exp); err != nil {
			t.Fatal(err)
		}
		if err := s1.Commit("tok-3", []byte("d"), exp.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		var stored nullTime
		view(t, db, func(tx *Tx) error {
			return tx.queryRow(t.Context(), `SELECT expiry FROM sessions WHERE token_hash = ?`, sessionKey("tok-3")).Scan(&stored)
		})
		if !stored.Time.Equal(normTime(exp)) {
			t.Errorf("expiry %v, want the first write's %v", stored.Time, normTime(exp))
		}
		// Changed data is written at once.
		if err := s1.Commit("tok-3", []byte("e"), exp.Add(20*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s2.Find("tok-3"); string(got) != "e" {
			t.Errorf("changed data not written: %q", got)
		}
	})
}

// TestSignInThrottle: failures counted per key across handles, a lockout after the
// limit, doubling lockouts, a window that forgets, and concurrent failures all counted.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		p := ThrottlePolicy{Failures: 3, Window: 10 * time.Minute, Lockout: 5 * time.Minute, MaxLockout: 12 * time.Minute}
		fail := func(key string, now time.Time) ThrottleState {
			t.Helper()
			var st ThrottleState
			update(t, db, func(tx *Tx) error {
				var err error
				st, err = tx.RecordSignInFailure(ctx, key, now, p)
				return err
			})
			return st
		}
		now := at(0)
		for i := 1; i <= 2; i++ {
			if st := fail("user:a", now); st.Failures != i || st.LockedUntil != nil {
				t.Fatalf("failure %d: %+v", i, st)
			}
		}
		st := fail("user:a", now.Add(time.Minute))
		until, locked := st.Locked(now.Add(time.Minute))
		if !locked || !until.Equal(now.Add(6*time.Minute)) || st.Lockouts != 1 {
			t.Fatalf("third failure: %+v", st)
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.ThrottleState(ctx, "user:a")
			if u, ok := got.Locked(now.Add(2 * time.Minute)); err != nil || !ok || !u.Equal(until) {
				t.Errorf("state read back: %+v %v", got, err)
			}
			if _, ok := got.Locked(now.Add(7 * time.Minute)); ok {
				t.Error("still locked after the lockout")
			}
			return err
		})
		// The next lockout lasts twice as long, then no longer than the maximum.
		for _, want := range []time.Duration{10 * time.Minute, 12 * time.Minute} {
			now = now.Add(7 * time.Minute)
			fail("user:a", now)
			fail("user:a", now)
			st = fail("user:a", now)
			if u, _ := st.Locked(now); !u.Equal(now.Add(want)) {
				t.Errorf("lockout %d: until %v, want %v", st.Lockouts, u, now.Add(want))
			}
		}
		// Failures older than the window are forgotten.
		fail("user:b", at(0))
		fail("user:b", at(1))
		if st := fail("user:b", at(30)); st.Failures != 1 || st.LockedUntil != nil {
			t.Errorf("after the window: %+v", st)
		}
		// Clearing forgets everything.
		update(t, db, func(tx *Tx) error { return tx.ClearThrottle(ctx, "user:a") })
		view(t, db, func(tx *Tx) error {
			got, err := tx.ThrottleState(ctx, "user:a")
			equal(t, "cleared", got, ThrottleState{})
			return err
		})
		// Concurrent failures from several handles are all counted.
		big := ThrottlePolicy{Failures: 1000, Window: time.Hour, Lockout: time.Minute, MaxLockout: time.Hour}
		var wg sync.WaitGroup
		for w := range 4 {
			h, err := Open(ctx, b.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					err := h.Update(ctx, func(tx *Tx) error {
						_, err := tx.RecordSignInFailure(ctx, "addr:10.0.0.1", at(w), big)
						return err
					})
					if err != nil && gridloop.ErrorCode(err) != gridloop.ECONFLICT {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		view(t, db, func(tx *Tx) error {
			got, err := tx.ThrottleState(ctx, "addr:10.0.0.1")
			if got.Failures != 40 {
				t.Errorf("concurrent failures: %d counted, want 40", got.Failures)
			}
			return err
		})
	})
}

// TestAuditLog: entries in order, filters, and a log nobody can edit or delete.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		entries := []*AuditEntry{
			{At: at(1), ActorID: 3, Actor: "op", Action: "signin.success", Address: "10.0.0.1"},
			{At: at(2), Actor: "nobody", Action: "signin.failure", Target: "nobody", Details: `{"reason":"unknown_user"}`},
			{At: at(3), ActorID: 3, Actor: "op", Action: "pii.reveal", CaseCode: "2025030100001"},
			{At: at(4), ActorID: 9, Actor: "admin", Action: "admin.users", Target: "/admin/users/op", Details: `{"form":{"roles":["operator"]}}`},
		}
		update(t, db, func(tx *Tx) error {
			for _, e := range entries {
				if err := tx.InsertAudit(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		for _, c := range []struct {
			f    AuditFilter
			want []int64
		}{
			{AuditFilter{}, []int64{4, 3, 2, 1}},
			{AuditFilter{Action: "signin."}, []int64{2, 1}},
			{AuditFilter{Action: "pii.reveal", CaseCode: "2025030100001"}, []int64{3}},
			{AuditFilter{ActorID: 3}, []int64{3, 1}},
			{AuditFilter{Actor: "admin"}, []int64{4}},
			{AuditFilter{Since: ptr(at(2)), Until: ptr(at(4))}, []int64{3, 2}},
			{AuditFilter{Limit: 2, Offset: 1}, []int64{3, 2}},
			{AuditFilter{Action: "sign_"}, []int64{}},
		} {
			view(t, db, func(tx *Tx) error {
				got, total, err := tx.AuditLog(ctx, c.f)
				ids := []int64{}
				for _, e := range got {
					ids = append(ids, e.ID)
				}
				equal(t, fmt.Sprintf("%+v", c.f), ids, c.want)
				if c.f.Limit == 0 && total != len(c.want) {
					t.Errorf("%+v: total %d", c.f, total)
				}
				return err
			})
		}
		view(t, db, func(tx *Tx) error {
			got, _, err := tx.AuditLog(ctx, AuditFilter{Action: "signin.failure"})
			if len(got) == 1 && (got[0].Details != `{"reason":"unknown_user"}` || !got[0].At.Equal(at(2)) || got[0].ActorID != 0) {
				t.Errorf("read back: %+v", got[0])
			}
			return err
		})
		// Append-only.
		for _, q := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`} {
			err := db.Update(ctx, func(tx *Tx) error { _, err := tx.exec(ctx, q); return err })
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused", q, err)
			}
		}
	})
}

// TestAnonymiseReporters blanks the reporters of cases finished before the cutoff.
func TestAnonymiseReporters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		mk := func(code string, status gridloop.Status, closed *time.Time, updated time.Time) *gridloop.Case {
			c := minimalCase(code)
			c.Status, c.ClosedAt, c.UpdatedAt = status, closed, updated
			c.ReporterName, c.ReporterPhone = "王小明", "13812345678"
			return c
		}
		all := []*gridloop.Case{
			mk("OLD-CLOSED", gridloop.StatusClosed, ptr(at(0)), at(500)),   // closed long ago, rated lately
			mk("NEW-CLOSED", gridloop.StatusClosed, ptr(at(200)), at(200)), // closed after the cutoff
			mk("OLD-REJECTED", gridloop.StatusRejected, nil, at(10)),       // finished without closed_at
			mk("OLD-OPEN", gridloop.StatusHandling, nil, at(10)),           // not finished
		}
		update(t, db, func(tx *Tx) error {
			for _, c := range all {
				if err := tx.InsertCase(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		var n int64
		update(t, db, func(tx *Tx) error {
			var err error
			n, err = tx.AnonymiseReporters(ctx, at(100))
			return err
		})
		if n != 2 {
			t.Errorf("anonymised %d cases, want 2", n)
		}
		view(t, db, func(tx *Tx) error {
			for code, blank := range map[string]bool{"OLD-CLOSED": true, "NEW-CLOSED": false, "OLD-REJECTED": true, "OLD-OPEN": false} {
				c, err := tx.CaseByCode(ctx, code)
				if err != nil {
					return err
				}
				if (c.ReporterName == "" && c.ReporterPhone == "") != blank {
					t.Errorf("%s: reporter %q %q, blank %v", code, c.ReporterName, c.ReporterPhone, blank)
				}
				if c.Version != 1 || !c.UpdatedAt.Equal(all[0].UpdatedAt) && code == "OLD-CLOSED" {
					t.Errorf("%s: version or update time changed", code)
				}
			}
			return nil
		})
		update(t, db, func(tx *Tx) error {
			var err error
			n, err = tx.AnonymiseReporters(ctx, at(100))
			return err
		})
		if n != 0 {
			t.Errorf("a second run changed %d cases", n)
		}
	})
}
