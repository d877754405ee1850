package demo_test

import (
	"context"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/demo"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/store"
)

// TestSeedInTimeOrder seeds the small demo city and checks that the store recorded it
// as a live system would: events, in-app messages and each day's case numbers in the
// order of their (simulated) times, none in the future, and the cases spread over the
// loop's states. Seeded case by case, a handler's inbox read 12-06, 11-19, 12-07, 12-02.
func TestSeedInTimeOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc := servicetest.New(t, b)
		db := svc.DB
		before := time.Now()
		progress := 0
		err := demo.Seed(ctx, svc, demo.Options{Cases: 80, Seed: 3, Progress: func(done, total int) {
			if done != progress+1 || total != 80 {
				t.Errorf("progress %d/%d after %d", done, total, progress)
			}
			progress = done
		}})
		if err != nil {
			t.Fatal(err)
		}
		if progress != 80 {
			t.Errorf("progress ended at %d of 80", progress)
		}
		if svc.Now().Before(before) {
			t.Errorf("the service's clock was left at %v", svc.Now())
		}

		var events []gl.Event
		var messages []store.Notification
		err = db.View(ctx, func(tx *store.Tx) error {
			var err error
			if events, err = tx.EventsAfter(ctx, 0, 100_000); err != nil {
				return err
			}
			for off := 0; ; off += store.MaxLimit {
				page, _, err := tx.NotificationLog(ctx, store.NotificationFilter{Channel: "inapp", Limit: store.MaxLimit, Offset: off})
				if err != nil {
					return err
				}
				messages = append(messages, page...)
				if len(page) < store.MaxLimit {
					return nil
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) < 300 || len(messages) < 50 {
			t.Fatalf("%d events, %d in-app messages: the demo drove too little to check", len(events), len(messages))
		}
		for i := 1; i < len(events); i++ {
			if events[i].At.Before(events[i-1].At) {
				t.Fatalf("event %d (%s at %v) is recorded after event %d (%s at %v)",
					events[i].ID, events[i].Action, events[i].At, events[i-1].ID, events[i-1].Action, events[i-1].At)
			}
		}
		// The deadline clock ran on the simulated clock too: cases went overdue over the
		// weeks, not all when the seeding ended.
		early, late := 0, 0
		for _, e := range events {
			if e.Action == gl.ActionFlagOverdue {
				if e.At.Before(before.Add(-24 * time.Hour)) {
					early++
				} else {
					late++
				}
			}
		}
		t.Logf("flag_overdue: %d more than a day before the seeding, %d since", early, late)
		if early == 0 {
			t.Errorf("no case was flagged overdue before the last day (%d since)", late)
		}
		if last := events[len(events)-1].At; last.After(time.Now()) {
			t.Errorf("the last event is in the future: %v", last)
		}
		for i := 1; i < len(messages); i++ { // newest first
			if messages[i].CreatedAt.After(messages[i-1].CreatedAt) {
				t.Fatalf("message %d (%v) comes before message %d (%v)",
					messages[i].ID, messages[i].CreatedAt, messages[i-1].ID, messages[i-1].CreatedAt)
			}
		}
		// Case codes are the day and its sequence number: reported later, numbered later.
		codes := map[int64]string{}
		statuses := map[gl.Status]int{}
		err = db.View(ctx, func(tx *store.Tx) error {
			cs, _, err := tx.ListCases(ctx, store.CaseFilter{Limit: store.MaxLimit})
			for _, c := range cs {
				codes[c.ID] = c.Code
				statuses[c.Status]++
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var prev string
		for _, e := range events {
			if e.Action != gl.ActionReport {
				continue
			}
			code := codes[e.CaseID]
			if prev != "" && code[:8] == prev[:8] && code < prev {
				t.Errorf("case %s was reported after case %s the same day", code, prev)
			}
			prev = code
		}
		if len(codes) != 80 || len(statuses) < 8 {
			t.Errorf("%d cases in %d states (%v): want 80 over most of the loop", len(codes), len(statuses), statuses)
		}
	})
}
