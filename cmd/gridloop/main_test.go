package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// TestDemoSeedAndToken seeds the demo city on each backend, checks every state of the loop
// is present, that a second run reuses the store, and that `user token` prints a token
// that authenticates.
func TestDemoSeedAndToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		var out, errs bytes.Buffer
		m := NewMain(strings.NewReader(""), &out, &errs)
		defer m.Close()
		svc, err := m.openService(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.seed(ctx, svc, 260); err != nil {
			t.Fatalf("seed: %v\n%s", err, errs.String())
		}
		var counts map[gl.Status]int
		err = svc.DB.View(ctx, func(tx *store.Tx) error {
			counts, err = tx.CountByStatus(ctx, store.CaseFilter{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range gl.Statuses {
			if counts[s] == 0 {
				t.Errorf("no demo case in state %s (%v)", s, counts)
			}
			total += counts[s]
		}
		if total != 260 {
			t.Errorf("%d demo cases, want 260", total)
		}
		out.Reset()
		if err := m.seed(ctx, svc, 260); err != nil || !strings.Contains(out.String(), "reusing") {
			t.Fatalf("second seed must reuse the store: %v %q", err, out.String())
		}

		m2 := NewMain(strings.NewReader(""), &out, &errs)
		defer m2.Close()
		out.Reset()
		if err := m2.Run(ctx, []string{"user", "token", "-db", b.DSN, "dispatcher"}); err != nil {
			t.Fatal(err)
		}
		token := strings.TrimSpace(out.String())
		if strings.Contains(token, "\n") || !strings.HasPrefix(token, "glt_") {
			t.Fatalf("user token must print the token alone: %q", out.String())
		}
		p, err := svc.Authenticate(ctx, token)
		if err != nil || p.User.Name != "dispatcher" {
			t.Fatalf("printed token does not authenticate: %v", err)
		}
	})
}

func TestUsageAndHelp(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"demo", "-h"}, {"migrate", "-h"}, {"user", "-h"}, {"user", "add", "-h"}, {"user", "token", "-h"}} {
		var out, errs bytes.Buffer
		m := NewMain(strings.NewReader(""), &out, &errs)
		err := m.Run(context.Background(), args)
		if err == nil || !strings.Contains(errs.String(), "Usage") {
			t.Errorf("%v: want usage on stderr and a help error, got %v %q", args, err, errs.String())
		}
	}
	var out, errs bytes.Buffer
	if err := NewMain(nil, &out, &errs).Run(context.Background(), []string{"frobnicate"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

func TestCalendarImport(t *testing.T) {
	dir := t.TempDir()
	csv := dir + "/days.csv"
	if err := os.WriteFile(csv, []byte("date,kind,name\n2027-01-01,休,元旦\n2027-01-04,班,调休\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := dir + "/bad.csv"
	os.WriteFile(bad, []byte("date,kind,name\n2027-02-30,holiday,x\n"), 0o644)
	db := dir + "/g.db"
	var out, errs bytes.Buffer
	m := NewMain(nil, &out, &errs)
	defer m.Close()
	if err := m.Run(context.Background(), []string{"calendar", "import", "-db", db, bad}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad date must be refused with its line: %v", err)
	}
	if err := m.Run(context.Background(), []string{"calendar", "import", "-db", db, csv}); err != nil {
		t.Fatal(err)
	}
	m2 := NewMain(nil, &out, &errs)
	defer m2.Close()
	out.Reset()
	if err := m2.Run(context.Background(), []string{"calendar", "list", "-db", db}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2027-01-01  holiday") || !strings.Contains(out.String(), "2027-01-04  workday") {
		t.Fatalf("imported days not in force:\n%s", out.String())
	}
}
