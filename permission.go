package gridloop

import "slices"

// Permission is one named thing a caller may do. A role is a named set of permissions
// (RolePermissions, the one table that says who may do what); every route of the web
// layer declares the permission it needs, and a user's scope (areas, departments) then
// limits which cases it applies to.
type Permission string

const (
	// PermPublic is the pseudo-permission of routes anyone may call without signing in
	// (citizens' pages; reporter routes authenticate by their tracking token instead).
	PermPublic Permission = "public"

	PermAccountSelf  Permission = "account.self"  // one's own account: profile, sessions, API tokens
	PermCaseRead     Permission = "case.read"     // case lists, details, history and the case map, in scope
	PermCaseAct      Permission = "case.act"      // workflow actions on cases in scope (the workflow further limits by role)
	PermReportCreate Permission = "report.create" // file a case through the API or Open311 as staff
	PermGridWork     Permission = "grid.work"     // the grid worker's pages: tasks and patrol reports
	PermRefRead      Permission = "ref.read"      // reference data: categories, departments, areas, grids, locating a point
	PermPIIReveal    Permission = "pii.reveal"    // reveal a reporter's name and phone (logged in the audit log)
	PermEvalRead     Permission = "evaluation.read"
	PermExportCases  Permission = "export.cases" // CSV exports and export jobs, in scope
	PermAuditRead    Permission = "audit.read"

	PermAdminConsole     Permission = "admin.console" // the admin pages' home
	PermAdminCategories  Permission = "admin.categories"
	PermAdminDepartments Permission = "admin.departments"
	PermAdminUsers       Permission = "admin.users"
	PermAdminRouting     Permission = "admin.routing"
	PermAdminCalendar    Permission = "admin.calendar"
	PermAdminImports     Permission = "admin.imports"
	PermAdminWebhooks    Permission = "admin.webhooks"
	PermAdminEvaluation  Permission = "admin.evaluation" // evaluation weights
)

// Permissions are every permission, PermPublic first, in the order of the docs.
var Permissions = []Permission{
	PermPublic, PermAccountSelf, PermCaseRead, PermCaseAct, PermReportCreate, PermGridWork, PermRefRead,
	PermPIIReveal, PermEvalRead, PermExportCases, PermAuditRead,
	PermAdminConsole, PermAdminCategories, PermAdminDepartments, PermAdminUsers, PermAdminRouting,
	PermAdminCalendar, PermAdminImports, PermAdminWebhooks, PermAdminEvaluation,
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return slices.Contains(Permissions, p) }

// IsAdmin reports whether p is one of the admin.* permissions: every successful
// change made under one is written to the audit log.
func (p Permission) IsAdmin() bool { return len(p) > 6 && p[:6] == "admin." }

// everyStaff is what every staff account may do.
var everyStaff = []Permission{PermAccountSelf, PermCaseRead, PermRefRead, PermEvalRead}

// RolePermissions is the one table of who may do what: each staff role and its
// permissions. Citizens and the system hold none (citizens use public routes; the
// system is the background jobs). docs/security.md prints this table.
var RolePermissions = map[Role][]Permission{
	RoleGridMember: append(slices.Clone(everyStaff), PermCaseAct, PermReportCreate, PermGridWork),
	RoleOperator:   append(slices.Clone(everyStaff), PermCaseAct, PermReportCreate, PermPIIReveal, PermExportCases),
	RoleShiftLead:  append(slices.Clone(everyStaff), PermCaseAct, PermReportCreate, PermPIIReveal, PermExportCases),
	RoleDispatcher: append(slices.Clone(everyStaff), PermCaseAct, PermReportCreate, PermExportCases),
	RoleHandler:    append(slices.Clone(everyStaff), PermCaseAct, PermExportCases),
	RoleSupervisor: append(slices.Clone(everyStaff), PermCaseAct, PermPIIReveal, PermExportCases),
	RoleAdmin: append(slices.Clone(everyStaff), PermExportCases, PermAuditRead,
		PermAdminConsole, PermAdminCategories, PermAdminDepartments, PermAdminUsers, PermAdminRouting,
		PermAdminCalendar, PermAdminImports, PermAdminWebhooks, PermAdminEvaluation),
}

// Can reports whether role r holds permission p. Every role "holds" PermPublic.
func (r Role) Can(p Permission) bool {
	return p == PermPublic || slices.Contains(RolePermissions[r], p)
}

// Can reports whether u may do p: one of its roles holds p and, when u was
// authenticated by an API token restricted to some permissions, p is one of them.
// A disabled user may do nothing but what is public.
func (u *User) Can(p Permission) bool {
	if p == PermPublic {
		return true
	}
	if u == nil || u.Disabled {
		return false
	}
	if u.TokenPerms != nil && !slices.Contains(u.TokenPerms, p) {
		return false
	}
	return slices.ContainsFunc(u.Roles, func(r Role) bool { return r.Can(p) })
}

// PermissionsOf lists the permissions u's roles hold, in the order of Permissions,
// without PermPublic.
func PermissionsOf(roles []Role) []Permission {
	var out []Permission
	for _, p := range Permissions[1:] {
		if slices.ContainsFunc(roles, func(r Role) bool { return r.Can(p) }) {
			out = append(out, p)
		}
	}
	return out
}
