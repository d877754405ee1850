package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// anonymise runs `gridloop anonymise -db STORE -older-than 365d`: it blanks the
// reporter's name and phone of every case that finished (closed, rejected, merged,
// withdrawn) longer ago than the retention, and records the run in the audit log
// (docs/security.md). Run it from cron, e.g. nightly.
func (m *Main) anonymise(ctx context.Context, args []string) error {
	fs := m.flags("anonymise", "Blank the reporter's name and phone of cases finished longer ago than the retention,\n"+
		"and record the run in the audit log. Safe to run while the server serves, and again.")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	older := fs.String("older-than", "365d", "the retention: cases finished longer ago than this (e.g. 365d, 180d, 8760h; at least 1d)")
	dry := fs.Bool("dry-run", false, "say what the retention means, change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	retention, err := parseRetention(*older)
	if err != nil {
		return fmt.Errorf("-older-than: %w", err)
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	cutoff := svc.Now().Add(-retention)
	if *dry {
		fmt.Fprintf(m.Stdout, "将匿名化 %s 之前办结的案件的报告人信息 (would anonymise reporters of cases finished before %s)\n",
			cutoff.Format("2006-01-02 15:04"), cutoff.Format(time.RFC3339))
		return nil
	}
	n, err := svc.Anonymise(ctx, nil, retention)
	if err != nil {
		return fmt.Errorf("anonymise: %w", err)
	}
	fmt.Fprintf(m.Stdout, "已匿名化 %d 件案件的报告人姓名和电话 (anonymised the reporters of %d cases finished before %s)\n",
		n, n, cutoff.Format(time.RFC3339))
	return nil
}

// parseRetention reads a duration with days: "365d", "36h", "1d12h".
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	if i := strings.Index(s, "d"); i >= 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 100*365 {
			return 0, fmt.Errorf("%q: want a number of days such as 365d", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q: want e.g. 365d or 8760h", s)
		}
		total += d
	}
	if total < 24*time.Hour {
		return 0, fmt.Errorf("the retention must be at least a day")
	}
	return total, nil
}
