package demo

import (
	"context"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// demoUsers are the principals the simulation acts as.
type demoUsers struct {
	byRole map[gl.Role]*service.Principal
	// handlers holds one handler principal per department, for the departments that
	// have no demo account of their own.
	handlers map[int64]*service.Principal
}

func seedUsers(ctx context.Context, svc *service.Service, dd *demoDepts) (*demoUsers, error) {
	du := &demoUsers{byRole: map[gl.Role]*service.Principal{}, handlers: map[int64]*service.Principal{}}
	for _, a := range Accounts {
		u := &gl.User{Name: a.Name, DisplayName: a.Display, Roles: []gl.Role{a.Role}}
		if a.Role == gl.RoleHandler {
			u.DeptScope = []int64{dd.byCode["CGJ"]}
		}
		if err := svc.AddUser(ctx, u, Password); err != nil {
			return nil, err
		}
		du.byRole[a.Role] = svc.NewPrincipal(u)
	}
	// One handler account per other top-level unit, so every history names a real user.
	for _, s := range deptSpecs {
		if s.code == "CGJ" {
			continue
		}
		u := &gl.User{Name: "handler_" + lower(s.code), DisplayName: s.name + " 经办人", Roles: []gl.Role{gl.RoleHandler},
			DeptScope: []int64{dd.byCode[s.code]}}
		if err := svc.AddUser(ctx, u, Password); err != nil {
			return nil, err
		}
		du.handlers[dd.byCode[s.code]] = svc.NewPrincipal(u)
	}
	du.handlers[dd.byCode["CGJ"]] = du.byRole[gl.RoleHandler]
	if len(dd.streets) > 0 {
		// One account for the street offices' handling: its scope is every street department.
		u := &gl.User{Name: "handler_street", DisplayName: "街道综合执法队 经办人", Roles: []gl.Role{gl.RoleHandler}, DeptScope: dd.streets}
		if err := svc.AddUser(ctx, u, Password); err != nil {
			return nil, err
		}
		p := svc.NewPrincipal(u)
		for _, id := range dd.streets {
			du.handlers[id] = p
		}
	}
	return du, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '-':
			b[i] = '_'
		}
	}
	return string(b)
}
