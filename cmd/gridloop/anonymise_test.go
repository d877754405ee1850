package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// TestAnonymise: `gridloop anonymise -older-than 365d` blanks the reporter of a case
// withdrawn 400 days ago, not of one withdrawn yesterday, and audits the run.
func TestAnonymise(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		var out, errs bytes.Buffer
		m := NewMain(strings.NewReader(""), &out, &errs)
		defer m.Close()
		svc, err := m.openService(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		withdrawn := func(ago time.Duration) string {
			svc.Now = func() time.Time { return time.Now().Add(-ago) }
			lat, lng := 30.259, 120.151
			res, err := svc.Report(ctx, &service.Principal{}, service.ReportInput{Description: "路灯不亮", Lat: &lat, Lng: &lng,
				ReporterName: "王小明", ReporterPhone: "13812345678"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ActAsReporter(ctx, res.TrackingToken, workflow.Input{Action: gl.ActionWithdraw}); err != nil {
				t.Fatal(err)
			}
			return res.Case.Code
		}
		old, recent := withdrawn(400*24*time.Hour), withdrawn(24*time.Hour)
		svc.Now = time.Now

		for _, bad := range [][]string{{"-older-than", "12h"}, {"-older-than", "a year"}, {"extra"}} {
			if err := m.anonymise(ctx, append([]string{"-db", b.DSN}, bad...)); err == nil {
				t.Errorf("%v: no error", bad)
			}
		}
		if err := m.anonymise(ctx, []string{"-db", b.DSN, "-older-than", "365d", "-dry-run"}); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := m.anonymise(ctx, []string{"-db", b.DSN, "-older-than", "365d"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "anonymised the reporters of 1 cases") {
			t.Errorf("output: %q", out.String())
		}
		sys := &service.Principal{System: true}
		for code, blank := range map[string]bool{old: true, recent: false} {
			c, err := svc.Case(ctx, sys, code)
			if err != nil {
				t.Fatal(err)
			}
			if (c.ReporterPhone == "") != blank {
				t.Errorf("%s: phone %q", code, c.ReporterPhone)
			}
		}
		if entries, _, err := svc.AuditLog(ctx, sys, store.AuditFilter{Action: service.AuditAnonymise}); err != nil || len(entries) != 1 {
			t.Errorf("audit: %+v %v", entries, err)
		}
	})
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "12h", "d", "-1d", "1x"} {
		if _, err := parseRetention(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
