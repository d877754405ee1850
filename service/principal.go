package service

import (
	"slices"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// Principal is who is calling: a staff user, or the reporter of one case (authenticated
// by its tracking token), or the system.
type Principal struct {
	User *gl.User
	// Depts is the user's department scope with all descendants.
	Depts []int64
	// ReporterOf is the id of the case whose tracking token authenticated a citizen.
	ReporterOf int64
	System     bool
}

// NewPrincipal expands u's department scope over the current tree.
func (s *Service) NewPrincipal(u *gl.User) *Principal {
	return &Principal{User: u, Depts: s.Depts().Subtree(u.DeptScope...)}
}

// Name is how the principal appears in the case history.
func (p *Principal) Name() string {
	switch {
	case p.System:
		return "系统"
	case p.User != nil && p.User.DisplayName != "":
		return p.User.DisplayName
	case p.User != nil:
		return p.User.Name
	}
	return "报告人"
}

func (p *Principal) actor() workflow.Actor {
	switch {
	case p.System:
		return workflow.Actor{Name: p.Name(), Roles: []gl.Role{gl.RoleSystem}}
	case p.User == nil:
		return workflow.Actor{Name: p.Name(), Roles: []gl.Role{gl.RoleCitizen}}
	}
	return workflow.Actor{UserID: p.User.ID, Name: p.Name(), Roles: p.User.Roles, Depts: p.Depts}
}

// scope narrows a filter to what the principal may see: its departments' cases and its
// areas. An empty scope is the whole city.
func (p *Principal) scope(f store.CaseFilter) store.CaseFilter {
	if p.User == nil {
		return f
	}
	if len(p.User.DeptScope) > 0 {
		if len(f.DeptIDs) == 0 {
			f.DeptIDs = p.Depts
		} else {
			f.DeptIDs = slices.DeleteFunc(slices.Clone(f.DeptIDs), func(id int64) bool { return !slices.Contains(p.Depts, id) })
			if len(f.DeptIDs) == 0 {
				f.DeptIDs = []int64{-1}
			}
		}
	}
	if len(p.User.AreaScope) > 0 {
		f.AreaPrefixes = p.User.AreaScope
	}
	return f
}

// canSee reports whether c is inside the principal's scope.
func (p *Principal) canSee(c *gl.Case) bool {
	switch {
	case p.System:
		return true
	case p.User == nil:
		return c.ID == p.ReporterOf
	}
	if len(p.User.DeptScope) > 0 {
		ok := false
		for _, a := range c.Assignments {
			if slices.Contains(p.Depts, a.DeptID) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(p.User.AreaScope) > 0 {
		return slices.ContainsFunc(p.User.AreaScope, func(prefix string) bool {
			return len(c.AreaCode) >= len(prefix) && c.AreaCode[:len(prefix)] == prefix
		})
	}
	return true
}
