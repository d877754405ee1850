package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// newIntakeService is a service on a fresh store with the default categories and no
// grids (reports are unlocated), for intake tests.
func newIntakeService(t *testing.T, b dbtest.Backend) *service.Service {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

func intakeInput(i int, category string) service.ReportInput {
	lat, lng := 30.25+float64(i%100)*0.0001, 120.15
	return service.ReportInput{Description: fmt.Sprintf("井盖破损 %d", i), Lat: &lat, Lng: &lng, CategoryCode: category, Channel: gl.ChannelHotline}
}

// TestGroupCommit: many concurrent reports are batched, yet each gets its own case, a
// unique code, its report event, and its own error; a repeated Idempotency-Key in
// flight gets the first answer; a hook failing for one report fails that report only.
func TestGroupCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc := newIntakeService(t, b)
		svc.Intake.MaxWait = 5 * time.Millisecond // make batches likely
		var cat string
		for _, c := range gl.DefaultCategories() {
			cat = c.Code
			break
		}
		// A hook that refuses one description: its report must fail alone.
		svc.OnEvent(func(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
			if after.Description == "井盖破损 13" {
				return gl.Errorf(gl.EINVALID, "hook refuses report 13")
			}
			return nil
		})
		p := &service.Principal{}
		const n = 200
		type answer struct {
			res *service.ReportResult
			err error
		}
		answers := make([]answer, n)
		var wg sync.WaitGroup
		// The refused report is sent once the first batch is written: the committer
		// does not wait for company for the first report of a run, and report 13 alone
		// in a batch would have no batch to retry (a rare flake, seen in CI once).
		firstDone := make(chan struct{})
		var firstOnce sync.Once
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 13 {
					<-firstDone
				} else {
					defer firstOnce.Do(func() { close(firstDone) })
				}
				category, key := cat, ""
				if i%10 == 7 {
					category = "no-such-category"
				}
				if i%20 == 3 || i%20 == 4 {
					key = fmt.Sprintf("key-%d", i/20) // two reports share each key
				}
				res, err := svc.Report(ctx, p, intakeInput(i, category), key)
				answers[i] = answer{res, err}
			}()
		}
		wg.Wait()

		codes := map[string]int{}
		for i, a := range answers {
			switch {
			case i%10 == 7:
				if gl.ErrorCode(a.err) != gl.EINVALID {
					t.Errorf("report %d (unknown category): err %v, want invalid", i, a.err)
				}
				continue
			case i == 13:
				if gl.ErrorCode(a.err) != gl.EINVALID || a.res != nil {
					t.Errorf("report 13 (hook refuses): %v, %v, want the hook's error", a.res, a.err)
				}
				continue
			case a.err != nil:
				t.Errorf("report %d: %v", i, a.err)
				continue
			}
			if a.res.Case.ID == 0 || a.res.Case.Code == "" || a.res.TrackingToken == "" {
				t.Errorf("report %d: incomplete answer %+v", i, a.res)
			}
			if i%20 == 4 {
				// The same key as report i-1: the same case and token.
				f := answers[i-1].res
				if f == nil || f.Case.Code != a.res.Case.Code || f.TrackingToken != a.res.TrackingToken {
					t.Errorf("reports %d and %d share a key but got %v and %v", i-1, i, f, a.res)
				}
				continue
			}
			if j, dup := codes[a.res.Case.Code]; dup {
				t.Errorf("reports %d and %d got the same code %s", j, i, a.res.Case.Code)
			}
			codes[a.res.Case.Code] = i
		}

		// Every case answered is stored, with exactly its report event; nothing else is.
		err := svc.DB.View(ctx, func(tx *store.Tx) error {
			for code, i := range codes {
				c, err := tx.CaseByCode(ctx, code)
				if err != nil {
					return fmt.Errorf("report %d: case %s: %w", i, code, err)
				}
				evs, err := tx.Events(ctx, c.ID)
				if err != nil {
					return err
				}
				if len(evs) != 1 || evs[0].Action != gl.ActionReport || evs[0].Seq != 1 {
					return fmt.Errorf("case %s: events %+v, want one report event", code, evs)
				}
			}
			_, total, err := tx.ListCases(ctx, store.CaseFilter{})
			if err != nil {
				return err
			}
			if total != len(codes) {
				return fmt.Errorf("%d cases stored, %d answered", total, len(codes))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		st := svc.IntakeStats()
		t.Logf("intake: %+v", st)
		if st.Batches >= st.Reports {
			t.Errorf("no batching: %+v", st)
		}
		if st.Retried == 0 {
			t.Errorf("the batch of the refused report was not retried report by report: %+v", st)
		}

		// A retry after the fact replays the first answer.
		again, err := svc.Report(ctx, p, intakeInput(3, cat), "key-0")
		if err != nil {
			t.Fatal(err)
		}
		if first := answers[3].res; again.Case.Code != first.Case.Code || again.TrackingToken != first.TrackingToken {
			t.Errorf("replay of key-0: %s, want %s", again.Case.Code, first.Case.Code)
		}
	})
}

// TestGroupCommitBatchesWithoutWaiting: with the defaults (the committer takes what
// queued while the previous batch was written, and waits for nothing more), callers
// reporting together still share transactions.
func TestGroupCommitBatchesWithoutWaiting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		svc := newIntakeService(t, b)
		if svc.Intake.MaxWait != 0 {
			t.Fatalf("the test service sets MaxWait %v; this test is about the default", svc.Intake.MaxWait)
		}
		const callers, each = 32, 8
		var wg sync.WaitGroup
		errs := make(chan error, callers*each)
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					_, err := svc.Report(context.Background(), &service.Principal{}, intakeInput(c*each+i, ""), "")
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		st := svc.IntakeStats()
		t.Logf("intake: %+v", st)
		if st.Reports != callers*each {
			t.Errorf("%d reports written, want %d", st.Reports, callers*each)
		}
		if st.Batches >= st.Reports {
			t.Errorf("no batching without a wait: %+v", st)
		}
	})
}

// TestSavedAnswers: a report's answer is saved under its Idempotency-Key as the case's
// id and the tracking token only (no copy of the description or the reporter's
// details), and a retry gets the case as it is now with the first token — also from an
// answer saved whole, as before 2026-12-07.
func TestSavedAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc := newIntakeService(t, b)
		p := &service.Principal{}
		in := intakeInput(1, "")
		phone := "13812345678"
		in.ReporterPhone = phone
		first, err := svc.Report(ctx, p, in, "key-new")
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		if err := svc.DB.View(ctx, func(tx *store.Tx) error {
			_, body, _, err = tx.Idempotent(ctx, "report", "key-new")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"case":{"id":%d},"tracking_token":%q}`, first.Case.ID, first.TrackingToken); string(body) != want {
			t.Errorf("saved answer %s, want %s", body, want)
		}

		// An answer saved whole, as the committer saved them before.
		second, err := svc.Report(ctx, p, intakeInput(2, ""), "")
		if err != nil {
			t.Fatal(err)
		}
		whole, err := json.Marshal(service.ReportResult{Case: second.Case, TrackingToken: second.TrackingToken})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.SaveIdempotent(ctx, "report", "key-old", 201, whole)
		}); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			key  string
			want *service.ReportResult
		}{{"key-new", first}, {"key-old", second}} {
			again, err := svc.Report(ctx, p, intakeInput(99, ""), tt.key)
			if err != nil {
				t.Fatalf("retry with %s: %v", tt.key, err)
			}
			if again.Case.ID != tt.want.Case.ID || again.Case.Code != tt.want.Case.Code ||
				again.TrackingToken != tt.want.TrackingToken || again.Case.Description != tt.want.Case.Description {
				t.Errorf("retry with %s: case %s %q token %q, want %s %q %q", tt.key, again.Case.Code,
					again.Case.Description, again.TrackingToken, tt.want.Case.Code, tt.want.Case.Description, tt.want.TrackingToken)
			}
		}
	})
}

// TestGroupCommitOff: with group commit off, reports still work one transaction each.
func TestGroupCommitOff(t *testing.T) {
	svc := newIntakeService(t, dbtest.SQLite(t))
	svc.Intake.Off = true
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Report(context.Background(), &service.Principal{}, intakeInput(i, ""), "")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestGroupCommitCanceled: a caller that gives up before its batch is written gets its
// context's error, and the others are not disturbed.
func TestGroupCommitCanceled(t *testing.T) {
	svc := newIntakeService(t, dbtest.SQLite(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := svc.Report(ctx, &service.Principal{}, intakeInput(1, ""), "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled report: %v", err)
	}
	if _, err := svc.Report(context.Background(), &service.Principal{}, intakeInput(2, ""), ""); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitPanic: a hook that panics fails its report with an internal error; the
// committer lives on and the reports around it are written.
func TestGroupCommitPanic(t *testing.T) {
	svc := newIntakeService(t, dbtest.SQLite(t))
	svc.Intake.MaxWait = 5 * time.Millisecond
	svc.OnEvent(func(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
		if after.Description == "井盖破损 5" {
			panic("hook bug")
		}
		return nil
	})
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Report(context.Background(), &service.Principal{}, intakeInput(i, ""), "")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 5) != (err != nil) {
			t.Errorf("report %d: %v", i, err)
		}
	}
	if gl.ErrorCode(errs[5]) != gl.EINTERNAL {
		t.Errorf("report 5: %v, want internal", errs[5])
	}
	if _, err := svc.Report(context.Background(), &service.Principal{}, intakeInput(30, ""), ""); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
}
