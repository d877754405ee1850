package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/gridloop/gridloop/service"
)

const rollupsUsage = `Usage: gridloop rollups <rebuild|check> -db STORE [flags]

  rebuild  recompute the evaluation rollups from the event log and swap them in
  check    recompute them and compare with the live table, changing nothing

The rollups (docs/evaluation.md) are kept in the transaction of every event; rebuild them
after restoring a backup, after changing the stage limits, or when check finds differences.
The server may keep running: events recorded during a rebuild are folded in at the swap.

Flags:
  -db STORE   SQLite file path or postgres:// URL (env GRIDLOOP_DB)
  -batch N    cases read and folded at a time (default 2000)
`

// rollups runs `gridloop rollups rebuild|check`.
func (m *Main) rollups(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stderr, rollupsUsage)
		return flag.ErrHelp
	}
	cmd := args[0]
	if cmd != "rebuild" && cmd != "check" {
		fmt.Fprint(m.Stderr, rollupsUsage)
		return fmt.Errorf("unknown rollups command %q", cmd)
	}
	summary := "Recompute the evaluation rollups from the event log and swap them in, in one transaction."
	if cmd == "check" {
		summary = "Recompute the evaluation rollups and compare them with the live table; change nothing.\nExits with an error when they differ."
	}
	fs := m.flags("rollups "+cmd, summary)
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	batch := fs.Int("batch", 2000, "cases read and folded at a time")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	start := time.Now()
	var last time.Time
	progress := func(done, total int64) {
		if time.Since(last) < 500*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(m.Stdout, "\r汇总重建 rollups %s: %d/%d cases (%.1f%%) %s   ", cmd, done, total, pct,
			time.Since(start).Round(100*time.Millisecond))
	}
	res, err := svc.RebuildRollups(ctx, service.RebuildOptions{Batch: *batch, Progress: progress, Verify: cmd == "check"})
	fmt.Fprintln(m.Stdout)
	if err != nil {
		return fmt.Errorf("rollups %s: %w", cmd, err)
	}
	took := time.Since(start).Round(time.Millisecond)
	if cmd == "rebuild" {
		fmt.Fprintf(m.Stdout, "汇总已重建 rollups rebuilt in %s: %v\n", took, res)
		return nil
	}
	fmt.Fprintf(m.Stdout, "汇总已核对 rollups checked in %s: %v\n", took, res)
	if res.DiffCount == 0 && res.CategoryDiffs == 0 {
		fmt.Fprintln(m.Stdout, "一致 the live rollups equal the recomputation")
		return nil
	}
	if res.CategoryDiffs > 0 {
		fmt.Fprintf(m.Stdout, "  category_months differs from the cases in %d (month, category) rows\n", res.CategoryDiffs)
	}
	for _, d := range res.Differences {
		fmt.Fprintf(m.Stdout, "  %s %s %s %s\n    live       %+v\n    recomputed %+v\n",
			d.Key.Dim, d.Key.ID, d.Key.Period, d.Key.Start, d.Live, d.Recomputed)
	}
	return fmt.Errorf("rollups differ from the event log in %d buckets (%d category rows): run `gridloop rollups rebuild`",
		res.DiffCount, res.CategoryDiffs)
}
