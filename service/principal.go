package service

import (
	"slices"
	"strings"

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

// Can reports whether the principal holds permission perm: a staff user through its
// roles (and its token's permissions, if it came with a narrowed token); the system
// everything; a reporter nothing but what is public.
func (p *Principal) Can(perm gl.Permission) bool {
	switch {
	case perm == gl.PermPublic:
		return true
	case p == nil:
		return false
	case p.System:
		return true
	case p.User == nil:
		return false
	}
	return p.User.Can(perm)
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
	if p.System {
		return f
	}
	if p.User == nil {
		// A reporter lists nothing: it sees its one case through its tracking token.
		f.DeptIDs = []int64{-1}
		return f
	}
	if len(p.User.DeptScope) > 0 {
		switch {
		case len(p.Depts) == 0:
			// None of the scope's departments exists any more: an empty list would
			// mean "no limit", so ask for a department that cannot exist.
			f.DeptIDs = []int64{-1}
		case len(f.DeptIDs) == 0:
			f.DeptIDs = p.Depts
		default:
			f.DeptIDs = slices.DeleteFunc(slices.Clone(f.DeptIDs), func(id int64) bool { return !slices.Contains(p.Depts, id) })
			if len(f.DeptIDs) == 0 {
				f.DeptIDs = []int64{-1}
			}
		}
	}
	if len(p.User.AreaScope) > 0 {
		f.AreaPrefixes = intersectPrefixes(f.AreaPrefixes, p.User.AreaScope)
	}
	return f
}

// noArea is an area prefix no area code has (codes are digits): a scope that has
// become empty must not read as "the whole city".
const noArea = "none"

// intersectPrefixes returns the area prefixes inside both asked (empty: anywhere)
// and scope: the narrower of each overlapping pair.
func intersectPrefixes(asked, scope []string) []string {
	if len(asked) == 0 {
		return scope
	}
	var out []string
	for _, a := range asked {
		for _, s := range scope {
			switch {
			case strings.HasPrefix(a, s):
				out = append(out, a)
			case strings.HasPrefix(s, a):
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return []string{noArea}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CanSee reports whether c is inside the principal's scope.
func (p *Principal) CanSee(c *gl.Case) bool { return p.canSee(c) }

// canSee reports whether c is inside the principal's scope.
func (p *Principal) canSee(c *gl.Case) bool {
	switch {
	case p == nil:
		return false
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
