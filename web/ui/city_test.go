package ui_test

import (
	"context"
	"net/http/httptest"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web"
)

const testPassword = "a-long-test-password"

// city is a small city over a real server: categories, departments and staff with passwords.
type city struct {
	url  string
	svc  *service.Service
	dept map[string]int64 // department code → id
}

func newCity(t *testing.T, b dbtest.Backend) *city {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	c := &city{svc: svc, dept: map[string]int64{}}
	for _, d := range []struct{ code, name, parent string }{{"A", "市政管理局", ""}, {"A1", "市政一所", "A"}, {"B", "园林绿化局", ""}} {
		dep := &gl.Department{Code: d.code, Name: d.name, Kind: gl.DeptBureau, ParentID: c.dept[d.parent]}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		c.dept[d.code] = dep.ID
	}
	for _, u := range []struct {
		name, display string
		role          gl.Role
		dept          string
	}{
		{"operator", "受理员 李敏", gl.RoleOperator, ""}, {"shift_lead", "值班长 王强", gl.RoleShiftLead, ""},
		{"dispatcher", "派遣员 刘洋", gl.RoleDispatcher, ""}, {"handler_a", "市政 张伟", gl.RoleHandler, "A"},
		{"grid_member", "网格员 陈静", gl.RoleGridMember, ""}, {"supervisor", "督办 赵磊", gl.RoleSupervisor, ""},
		{"admin", "管理员 周敏", gl.RoleAdmin, ""}, {"disabled", "停用账号", gl.RoleOperator, ""},
	} {
		user := &gl.User{Name: u.name, DisplayName: u.display, Roles: []gl.Role{u.role}}
		if u.dept != "" {
			user.DeptScope = []int64{c.dept[u.dept]}
		}
		if err := svc.AddUser(ctx, user, testPassword); err != nil {
			t.Fatal(err)
		}
		if u.name == "disabled" {
			user.Disabled = true
			if err := svc.UpdateUser(ctx, user); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewServer((&web.Server{Svc: svc, Log: svc.Logger}).Handler())
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}
