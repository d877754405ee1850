package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "138****5678", "+86 13812345678": "+86********5678", "0571-8888": "05*****88", "12345": "***45",
		"12": "**", "": "",
	} {
		if got := service.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"王小明": "王**", "王": "王*", "Alice Smith": "A**********", "": "", " 李四 ": "李*"} {
		if got := service.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

// newPIIService is a service on a fresh store with the default categories, a street
// department, a handler of it and an operator.
func newPIIService(t *testing.T, b dbtest.Backend) (*service.Service, map[string]*service.Principal) {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	d := &gl.Department{Code: "S", Name: "街道", Kind: gl.DeptStreet}
	if err := svc.AddDepartment(ctx, d); err != nil {
		t.Fatal(err)
	}
	ps := map[string]*service.Principal{}
	for _, u := range []*gl.User{{Name: "operator", Roles: []gl.Role{gl.RoleOperator}},
		{Name: "handler", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{d.ID}},
		{Name: "supervisor", Roles: []gl.Role{gl.RoleSupervisor}, DeptScope: []int64{d.ID}}} {
		if err := svc.AddUser(ctx, u, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		ps[u.Name] = svc.NewPrincipal(u)
	}
	return svc, ps
}

func TestRevealAndAnonymise(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc, ps := newPIIService(t, b)
		report := func(desc string) (string, string) {
			lat, lng := 30.259, 120.151
			res, err := svc.Report(ctx, ps["operator"], service.ReportInput{Description: desc, Lat: &lat, Lng: &lng,
				ReporterName: "王小明", ReporterPhone: "13812345678", Channel: gl.ChannelHotline}, "")
			if err != nil {
				t.Fatal(err)
			}
			return res.Case.Code, res.TrackingToken
		}
		done, token := report("撤回的案件")
		open, _ := report("仍在办理的案件")

		// Reveal: only with pii.reveal, only in scope, always audited.
		if _, err := svc.RevealReporter(ctx, ps["handler"], open, ""); gl.ErrorCode(err) != gl.EFORBIDDEN {
			t.Errorf("a handler revealing: %v", err)
		}
		if _, err := svc.RevealReporter(ctx, ps["supervisor"], open, ""); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Errorf("a street's supervisor revealing an undispatched case: %v", err)
		}
		rep, err := svc.RevealReporter(service.WithAddress(ctx, "10.1.2.3"), ps["operator"], open, "回访")
		if err != nil || rep.Name != "王小明" || rep.Phone != "13812345678" {
			t.Fatalf("reveal: %+v %v", rep, err)
		}
		sys := &service.Principal{System: true}
		entries, _, err := svc.AuditLog(ctx, sys, store.AuditFilter{Action: service.AuditReveal})
		if err != nil || len(entries) != 1 || entries[0].Actor != "operator" || entries[0].CaseCode != open ||
			entries[0].Address != "10.1.2.3" || !strings.Contains(entries[0].Details, "回访") {
			t.Fatalf("reveal audit: %+v %v", entries, err)
		}
		if _, _, err := svc.AuditLog(ctx, ps["operator"], store.AuditFilter{}); gl.ErrorCode(err) != gl.EFORBIDDEN {
			t.Errorf("an operator reading the audit log: %v", err)
		}

		// Anonymise: the withdrawn case, once it is older than the retention.
		if _, err := svc.ActAsReporter(ctx, token, workflow.Input{Action: gl.ActionWithdraw}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Anonymise(ctx, nil, time.Hour); gl.ErrorCode(err) != gl.EINVALID {
			t.Errorf("a retention of an hour: %v", err)
		}
		if n, err := svc.Anonymise(ctx, nil, 365*24*time.Hour); err != nil || n != 0 {
			t.Errorf("nothing is a year old yet: %d %v", n, err)
		}
		base := time.Now()
		svc.Now = func() time.Time { return base.Add(400 * 24 * time.Hour) }
		n, err := svc.Anonymise(ctx, nil, 365*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("anonymise: %d %v", n, err)
		}
		for code, blank := range map[string]bool{done: true, open: false} {
			c, err := svc.Case(ctx, sys, code)
			if err != nil {
				t.Fatal(err)
			}
			if (c.ReporterName == "" && c.ReporterPhone == "") != blank {
				t.Errorf("%s: reporter %q %q", code, c.ReporterName, c.ReporterPhone)
			}
		}
		entries, _, _ = svc.AuditLog(ctx, sys, store.AuditFilter{Action: service.AuditAnonymise})
		if len(entries) != 2 || !strings.Contains(entries[0].Details, `"cases":1`) || entries[0].Actor != "system" {
			t.Errorf("anonymise audit: %+v", entries)
		}
	})
}
