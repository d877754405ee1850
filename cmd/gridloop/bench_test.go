package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web"
)

// TestBench runs `gridloop bench` for real, briefly, against an in-process server on a
// temporary SQLite store: the intake mix with the baseline, then the mixed workload on
// the same store. Every request must succeed (the command fails on any error or 5xx),
// every acknowledged report must be readable afterwards over the API (-verify) and in the
// store, and the output must carry the figures.
func TestBench(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "bench.db")
	const seeded = 30
	run := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		m := NewMain(strings.NewReader(""), &out, &errs)
		defer m.Close()
		start := time.Now()
		if err := m.bench(ctx, args); err != nil {
			t.Fatalf("bench %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out.String(), errs.String())
		}
		t.Logf("bench %v (%s):\n%s", args, time.Since(start).Round(time.Millisecond), out.String())
		// The progress line comes once a second, so a 1 s run may finish before the first.
		if !strings.Contains(errs.String(), "req/s") && !slices.Contains(args, "1s") {
			t.Errorf("no progress line on stderr: %q", errs.String())
		}
		return out.String()
	}
	acked := func(out string) int {
		t.Helper()
		m := regexp.MustCompile(`reports\s+(\d+) acknowledged`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no acknowledged count in:\n%s", out)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	figures := func(out, label string) {
		t.Helper()
		i := strings.Index(out, "== "+label)
		if i < 0 {
			t.Fatalf("no %s section in:\n%s", label, out)
		}
		sec := out[i:]
		m := regexp.MustCompile(`requests\s+(\d+) in [\d.]+s = ([\d.]+) req/s`).FindStringSubmatch(sec)
		if m == nil {
			t.Fatalf("%s: no throughput line in:\n%s", label, sec)
		}
		if tp, _ := strconv.ParseFloat(m[2], 64); tp <= 0 {
			t.Errorf("%s: throughput %s", label, m[2])
		}
		if !regexp.MustCompile(`latency\s+p50 [\d.]+ms\s+p95 [\d.]+ms\s+p99 [\d.]+ms\s+max [\d.]+ms`).MatchString(sec) {
			t.Errorf("%s: no percentiles in:\n%s", label, sec)
		}
		if regexp.MustCompile(`status .*\b5\d\d:`).MatchString(sec) || strings.Contains(sec, "transport-error") {
			t.Errorf("%s: server errors in:\n%s", label, sec)
		}
	}

	out := run("-db", dsn, "-cases", strconv.Itoa(seeded), "-c", "4", "-d", "2s", "-mix", "intake", "-baseline", "-verify")
	figures(out, "gridloop")
	figures(out, "baseline")
	if !regexp.MustCompile(`throughput [\d.]+ / [\d.]+ req/s = [\d.]+×`).MatchString(out) || !strings.Contains(out, "p99 ") {
		t.Errorf("no gridloop/baseline ratios in:\n%s", out)
	}
	if !strings.Contains(out, "verified   all") {
		t.Errorf("no verification in:\n%s", out)
	}
	intake := acked(out)

	out = run("-db", dsn, "-c", "4", "-d", "2s", "-mix", "mixed", "-verify")
	figures(out, "gridloop")
	for _, op := range []string{"report", "action", "queue", "read"} {
		if !regexp.MustCompile(`(?m)^\s+` + op + `\s+[1-9]\d*\s`).MatchString(out) {
			t.Errorf("mixed: no %s requests in:\n%s", op, out)
		}
	}
	if m := regexp.MustCompile(`(\d+) driven through the loop to closed`).FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Errorf("mixed: no case driven to closed in:\n%s", out)
	}
	mixed := acked(out)

	// Every acknowledged report is in the store, beside the demo cases.
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total int
	err = db.View(ctx, func(tx *store.Tx) error {
		counts, err := tx.CountByStatus(ctx, store.CaseFilter{})
		for _, n := range counts {
			total += n
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := seeded + intake + mixed; total != want {
		t.Errorf("store holds %d cases, want %d demo + %d + %d acknowledged = %d", total, seeded, intake, mixed, want)
	}

	// Against a running server, with a token per role.
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard)
	defer m.Close()
	svc, err := m.openService(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&web.Server{Svc: svc, Log: svc.Logger}).Handler())
	defer srv.Close()
	args := []string{"-url", srv.URL, "-c", "2", "-d", "1s", "-mix", "mixed", "-verify"}
	var pairs []string
	for _, role := range []string{"operator", "shift_lead", "dispatcher", "handler", "grid_member"} {
		tok, err := svc.IssueToken(ctx, role, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if role == "operator" {
			args = append(args, "-token", tok)
		} else {
			pairs = append(pairs, role+"="+tok)
		}
	}
	figures(run(append(args, "-tokens", strings.Join(pairs, ","))...), "gridloop")
	// Without the workflow roles' tokens the mixed mix cannot act, and says so.
	var out2, errs2 bytes.Buffer
	err = NewMain(strings.NewReader(""), &out2, &errs2).bench(ctx, args)
	if err == nil || !strings.Contains(err.Error(), "-tokens shift_lead=TOKEN") {
		t.Errorf("mixed without role tokens: want a hint at -tokens, got %v", err)
	}
}

func TestBenchRefusesRemoteTargets(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://example.com:8080", "-token", "x"},
		{"-url", "http://10.0.0.8:8080", "-token", "x"},
	} {
		var out, errs bytes.Buffer
		err := NewMain(strings.NewReader(""), &out, &errs).bench(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "-allow-remote") {
			t.Errorf("%v: want a refusal naming loopback and -allow-remote, got %v", args, err)
		}
	}
	var out, errs bytes.Buffer
	if err := NewMain(strings.NewReader(""), &out, &errs).bench(context.Background(), []string{"-c", "2"}); err == nil || !strings.Contains(errs.String(), "Usage: gridloop bench") {
		t.Errorf("bench without -url or -db: want usage, got %v %q", err, errs.String())
	}
}
