package store

import (
	"encoding/json"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		a := insertCase(t, db, minimalCase("A"))
		other := insertCase(t, db, minimalCase("B"))

		in := []gridloop.Event{
			{CaseID: a.ID, Action: gridloop.ActionReport, Actor: "市民", Role: gridloop.RoleCitizen,
				To: gridloop.StatusReported, Public: true, At: at(0)},
			{CaseID: other.ID, Action: gridloop.ActionReport, Role: gridloop.RoleCitizen, To: gridloop.StatusReported, At: at(1)},
			{CaseID: a.ID, Action: gridloop.ActionRegister, ActorID: 3, Actor: "值班长", Role: gridloop.RoleShiftLead,
				From: gridloop.StatusReported, To: gridloop.StatusRegistered, Note: "符合立案条件", At: at(2)},
			{CaseID: a.ID, Action: gridloop.ActionDispatch, ActorID: 4, Actor: "派遣员", Role: gridloop.RoleDispatcher,
				From: gridloop.StatusRegistered, To: gridloop.StatusDispatched, DeptID: 11, Public: true,
				Data: json.RawMessage(`{"dept_ids":[11,12],"limit":{"value":2,"unit":"work_day"}}`), At: at(3)},
		}
		update(t, db, func(tx *Tx) error {
			for i := range in {
				if err := tx.AppendEvent(ctx, &in[i]); err != nil {
					return err
				}
				if in[i].ID == 0 {
					t.Errorf("event %d: no id", i)
				}
			}
			return nil
		})
		for i, want := range []int{1, 1, 2, 3} {
			if in[i].Seq != want {
				t.Errorf("event %d: seq %d, want %d", i, in[i].Seq, want)
			}
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.Events(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Events(A)", got, []gridloop.Event{in[0], in[2], in[3]})
			got, err = tx.Events(ctx, other.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Events(B)", got, []gridloop.Event{in[1]})
			got, err = tx.Events(ctx, 999)
			if err != nil || got != nil {
				t.Errorf("Events of a case that does not exist = %v, %v", got, err)
			}
			return nil
		})

		// An event of a case that does not exist is refused.
		err := db.Update(ctx, func(tx *Tx) error {
			return tx.AppendEvent(ctx, &gridloop.Event{CaseID: 999, Action: gridloop.ActionComment, At: at(0)})
		})
		wantCode(t, err, gridloop.EINVALID)

		// The log is append-only: the database refuses to change or remove events.
		for _, stmt := range []string{
			`UPDATE events SET note = 'changed' WHERE case_id = ?`,
			`UPDATE events SET seq = seq + 10`,
			`DELETE FROM events WHERE case_id = ?`,
			`DELETE FROM events`,
		} {
			err := db.Update(ctx, func(tx *Tx) error {
				var args []any
				if rebind(Postgres, stmt) != stmt {
					args = append(args, a.ID)
				}
				_, err := tx.exec(ctx, stmt, args...)
				return err
			})
			if err == nil {
				t.Errorf("%s: succeeded, want an error", stmt)
			}
		}
		if b.Name == Postgres {
			err := db.Update(ctx, func(tx *Tx) error {
				_, err := tx.exec(ctx, `TRUNCATE events CASCADE`)
				return err
			})
			if err == nil {
				t.Errorf("TRUNCATE events: succeeded, want an error")
			}
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.Events(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Events(A) after attempts to change them", got, []gridloop.Event{in[0], in[2], in[3]})
			return nil
		})
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		const scope = "POST /api/v1/cases"
		body := []byte(`{"code":"20250301-0001","token":"秘密"}`)

		view(t, db, func(tx *Tx) error {
			_, _, ok, err := tx.Idempotent(ctx, scope, "k1")
			if err != nil || ok {
				t.Errorf("Idempotent before save: ok %v, %v", ok, err)
			}
			return nil
		})
		update(t, db, func(tx *Tx) error {
			if err := tx.SaveIdempotent(ctx, scope, "k1", 201, body); err != nil {
				return err
			}
			// The same key in another scope is another key.
			return tx.SaveIdempotent(ctx, "POST /api/v1/cases/x/actions", "k1", 204, nil)
		})
		view(t, db, func(tx *Tx) error {
			for _, c := range []struct {
				scope  string
				status int
				body   []byte
			}{{scope, 201, body}, {"POST /api/v1/cases/x/actions", 204, []byte{}}} {
				status, got, ok, err := tx.Idempotent(ctx, c.scope, "k1")
				if err != nil || !ok || status != c.status || string(got) != string(c.body) || got == nil {
					t.Errorf("Idempotent(%s) = %d, %q, %v, %v; want %d, %q", c.scope, status, got, ok, err, c.status, c.body)
				}
			}
			return nil
		})
		err := db.Update(ctx, func(tx *Tx) error { return tx.SaveIdempotent(ctx, scope, "k1", 500, nil) })
		wantCode(t, err, gridloop.ECONFLICT)
		view(t, db, func(tx *Tx) error {
			status, _, _, _ := tx.Idempotent(ctx, scope, "k1")
			if status != 201 {
				t.Errorf("status after a second save: %d, want the first (201)", status)
			}
			return nil
		})

		// Purging removes what was saved before a time.
		update(t, db, func(tx *Tx) error {
			n, err := tx.PurgeIdempotent(ctx, at(0))
			if err != nil || n != 0 {
				t.Errorf("PurgeIdempotent(past) = %d, %v; want 0", n, err)
			}
			n, err = tx.PurgeIdempotent(ctx, at(0).AddDate(100, 0, 0))
			if err != nil || n != 2 {
				t.Errorf("PurgeIdempotent(future) = %d, %v; want 2", n, err)
			}
			return nil
		})
	})
}
