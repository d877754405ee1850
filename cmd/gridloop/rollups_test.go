package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// TestRollupsCommand seeds a demo city (through the service, so the rollups are kept
// event by event), checks them against the log, damages them, and rebuilds them.
func TestRollupsCommand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		var out, errs bytes.Buffer
		m := NewMain(strings.NewReader(""), &out, &errs)
		defer m.Close()
		svc, err := m.openService(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.seed(ctx, svc, 80); err != nil {
			t.Fatalf("seed: %v\n%s", err, errs.String())
		}
		run := func(args ...string) (string, error) {
			t.Helper()
			out.Reset()
			m2 := NewMain(strings.NewReader(""), &out, &errs)
			defer m2.Close()
			err := m2.rollups(ctx, append(args, "-db", b.DSN, "-batch", "7"))
			return out.String(), err
		}
		if s, err := run("check"); err != nil || !strings.Contains(s, "一致") || !strings.Contains(s, "80/80 cases") {
			t.Fatalf("check of a fresh demo store: %v\n%s", err, s)
		}
		err = svc.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.AddRollups(ctx, map[evaluation.Key]evaluation.Counters{
				{Dim: evaluation.DimCity, ID: evaluation.CityID, Period: evaluation.Month, Start: "2026-01-01"}: {Closed: 3},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if s, err := run("check"); err == nil || !strings.Contains(err.Error(), "1 buckets") || !strings.Contains(s, "city all month 2026-01-01") {
			t.Fatalf("check of a damaged store: want an error naming the bucket, got %v\n%s", err, s)
		}
		if s, err := run("rebuild"); err != nil || !strings.Contains(s, "rollups rebuilt") {
			t.Fatalf("rebuild: %v\n%s", err, s)
		}
		if s, err := run("check"); err != nil {
			t.Fatalf("check after rebuild: %v\n%s", err, s)
		}
		if _, err := run("frobnicate"); err == nil || !strings.Contains(errs.String(), "Usage: gridloop rollups") {
			t.Errorf("unknown subcommand: %v", err)
		}
	})
}
