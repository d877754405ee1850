package store

import (
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestWebhookOutbox: subscriptions round-trip; a delivery is claimed under a lease,
// finished only by the claim that holds it, replayed, listed with its log and purged.
func TestWebhookOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		c := insertCase(t, db, minimalCase("2026050100001"))
		ev := &gridloop.Event{CaseID: c.ID, Action: gridloop.ActionReport, Actor: "x", Role: gridloop.RoleOperator,
			To: gridloop.StatusReported, At: t0}
		w := &Webhook{URL: "https://example.com/h", Events: []string{"register", "close"}, Secret: "s", Active: true,
			CreatedAt: t0, UpdatedAt: t0}
		off := &Webhook{URL: "https://example.com/off", Events: []string{"*"}, Secret: "s", CreatedAt: t0, UpdatedAt: t0}
		update(t, db, func(tx *Tx) error {
			if err := tx.AppendEvent(ctx, ev); err != nil {
				return err
			}
			if err := tx.InsertWebhook(ctx, w); err != nil {
				return err
			}
			return tx.InsertWebhook(ctx, off)
		})
		view(t, db, func(tx *Tx) error {
			got, err := tx.WebhookByID(ctx, w.ID)
			if err != nil {
				return err
			}
			equal(t, "webhook", *got, *w)
			active, err := tx.Webhooks(ctx, true)
			if err != nil {
				return err
			}
			if len(active) != 1 || active[0].ID != w.ID || !active[0].Wants("close") || active[0].Wants("report") {
				t.Fatalf("active webhooks: %+v", active)
			}
			_, err = tx.WebhookByID(ctx, 999)
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})

		d := &Delivery{ID: "d-1", WebhookID: w.ID, EventID: ev.ID, Action: "report", Payload: []byte(`{"id":"d-1"}`), CreatedAt: t0}
		dOff := &Delivery{ID: "d-off", WebhookID: off.ID, EventID: ev.ID, Action: "report", Payload: []byte(`{}`), CreatedAt: t0}
		update(t, db, func(tx *Tx) error {
			if err := tx.EnqueueDelivery(ctx, d, c.ID); err != nil {
				return err
			}
			return tx.EnqueueDelivery(ctx, dOff, c.ID)
		})
		dup := *d
		dup.ID = "d-2"
		if err := db.Update(ctx, func(tx *Tx) error { return tx.EnqueueDelivery(ctx, &dup, c.ID) }); err == nil {
			t.Fatal("a second delivery of one event to one subscription")
		}

		claim := func(now time.Time, token string) []Claim {
			t.Helper()
			var out []Claim
			update(t, db, func(tx *Tx) error {
				var err error
				out, err = tx.ClaimDeliveries(ctx, now, now.Add(time.Minute), token, 10)
				return err
			})
			return out
		}
		next := func() *time.Time {
			t.Helper()
			var n *time.Time
			view(t, db, func(tx *Tx) error {
				var err error
				n, err = tx.NextDeliveryAt(ctx)
				return err
			})
			return n
		}
		if n := next(); n == nil || !n.Equal(t0) {
			t.Fatalf("next delivery at %v, want %v (the inactive subscription's row does not count)", n, t0)
		}
		if got := claim(t0.Add(-time.Second), "early"); len(got) != 0 {
			t.Fatalf("claimed before due: %+v", got)
		}
		got := claim(t0, "tok-1")
		if len(got) != 1 || got[0].ID != "d-1" || got[0].URL != w.URL || got[0].Secret != "s" || got[0].Attempt != 1 ||
			got[0].Tries != 1 || string(got[0].Payload) != `{"id":"d-1"}` || !got[0].RoundStart.Equal(t0) {
			t.Fatalf("claim: %+v", got)
		}
		if again := claim(t0.Add(30*time.Second), "tok-2"); len(again) != 0 {
			t.Fatal("a leased delivery was claimed again")
		}
		if n := next(); n == nil || !n.Equal(t0.Add(time.Minute)) {
			t.Fatalf("next delivery at %v, want the end of the lease", n)
		}
		// The lease ran out: another worker takes it; the first one's outcome is refused.
		late := claim(t0.Add(2*time.Minute), "tok-3")
		if len(late) != 1 || late[0].Attempt != 2 {
			t.Fatalf("claim after the lease: %+v", late)
		}
		finish := func(c Claim, state string, at time.Time, status int, msg string) bool {
			t.Helper()
			var held bool
			update(t, db, func(tx *Tx) error {
				if err := tx.LogDeliveryAttempt(ctx, c.ID, DeliveryAttempt{Attempt: c.Attempt, At: at, StatusCode: status,
					Error: msg, DurationMS: 12, Worker: c.LeaseToken}); err != nil {
					return err
				}
				var err error
				held, err = tx.FinishDelivery(ctx, c, state, at, at.Add(time.Hour), status, msg)
				return err
			})
			return held
		}
		if finish(got[0], DeliveryDelivered, t0.Add(3*time.Minute), 200, "") {
			t.Fatal("a worker that lost its lease recorded its outcome")
		}
		if !finish(late[0], DeliveryPending, t0.Add(3*time.Minute), 0, "connection refused") {
			t.Fatal("the lease holder could not record its outcome")
		}
		var one *Delivery
		view(t, db, func(tx *Tx) error {
			var err error
			one, err = tx.DeliveryByID(ctx, "d-1")
			return err
		})
		if one.State != DeliveryPending || one.Attempts != 2 || one.LastStatus != 0 || one.LastError != "connection refused" ||
			one.NextAt == nil || !one.NextAt.Equal(t0.Add(3*time.Minute+time.Hour)) || len(one.Log) != 2 ||
			one.Log[0].StatusCode != 200 || one.Log[1].Worker != "tok-3" || one.CaseCode != c.Code {
			t.Fatalf("after two attempts: %+v", one)
		}

		// Delivered, then replayed: due again with a fresh round, same id.
		ok := claim(t0.Add(2*time.Hour), "tok-4")
		if len(ok) != 1 || !finish(ok[0], DeliveryDelivered, t0.Add(2*time.Hour), 204, "") {
			t.Fatalf("deliver: %+v", ok)
		}
		update(t, db, func(tx *Tx) error { return tx.ReplayDelivery(ctx, "d-1", t0.Add(3*time.Hour)) })
		re := claim(t0.Add(3*time.Hour), "tok-5")
		if len(re) != 1 || re[0].Attempt != 4 || re[0].Tries != 1 || !re[0].RoundStart.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("replayed claim: %+v", re)
		}
		// A replay while a worker holds it: the worker's outcome is refused.
		update(t, db, func(tx *Tx) error { return tx.ReplayDelivery(ctx, "d-1", t0.Add(3*time.Hour)) })
		if finish(re[0], DeliveryDead, t0.Add(3*time.Hour), 500, "HTTP 500") {
			t.Fatal("an outcome recorded over a replay")
		}
		wantCode(t, db.Update(ctx, func(tx *Tx) error { return tx.ReplayDelivery(ctx, "nope", t0) }), gridloop.ENOTFOUND)

		var list []Delivery
		var total int
		view(t, db, func(tx *Tx) error {
			var err error
			list, total, err = tx.Deliveries(ctx, w.ID, "", 10, 0)
			return err
		})
		if total != 1 || len(list) != 1 || len(list[0].Log) != 4 {
			t.Fatalf("deliveries: %d %+v", total, list)
		}
		view(t, db, func(tx *Tx) error {
			var err error
			list, total, err = tx.Deliveries(ctx, w.ID, DeliveryDead, 10, 0)
			return err
		})
		if total != 0 || len(list) != 0 {
			t.Fatalf("dead deliveries: %d", total)
		}

		// Purge takes finished deliveries only; delete takes the subscription's all.
		re = claim(t0.Add(4*time.Hour), "tok-6")
		finish(re[0], DeliveryDead, t0.Add(4*time.Hour), 500, "HTTP 500")
		var purged int64
		update(t, db, func(tx *Tx) error {
			var err error
			purged, err = tx.PurgeDeliveries(ctx, t0.Add(time.Second))
			return err
		})
		if purged != 1 {
			t.Fatalf("purged %d, want the dead one", purged)
		}
		update(t, db, func(tx *Tx) error { return tx.DeleteWebhook(ctx, off.ID) })
		wantCode(t, db.Update(ctx, func(tx *Tx) error { return tx.DeleteWebhook(ctx, off.ID) }), gridloop.ENOTFOUND)
		view(t, db, func(tx *Tx) error {
			_, err := tx.DeliveryByID(ctx, "d-off")
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})
	})
}
