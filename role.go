package gridloop

import "slices"

// Role is a named set of duties (DESIGN.md "Who uses it").
type Role string

const (
	RoleCitizen    Role = "citizen"
	RoleGridMember Role = "grid_member"
	RoleOperator   Role = "operator"
	RoleShiftLead  Role = "shift_lead"
	RoleDispatcher Role = "dispatcher"
	RoleHandler    Role = "handler"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	// RoleSystem is the background jobs' role (deadline clock); never given to a user.
	RoleSystem Role = "system"
)

// StaffRoles are the roles a user account may hold.
var StaffRoles = []Role{RoleGridMember, RoleOperator, RoleShiftLead, RoleDispatcher, RoleHandler, RoleSupervisor, RoleAdmin}

// AllRoles are every role an actor may act in, including the citizen and the system.
var AllRoles = append([]Role{RoleCitizen}, append(slices.Clone(StaffRoles), RoleSystem)...)

var roleLabels = map[Role][2]string{
	RoleCitizen:    {"市民", "Citizen"},
	RoleGridMember: {"网格员", "Grid worker"},
	RoleOperator:   {"受理员", "Intake operator"},
	RoleShiftLead:  {"值班长", "Shift lead"},
	RoleDispatcher: {"派遣员", "Dispatcher"},
	RoleHandler:    {"处置人员", "Department handler"},
	RoleSupervisor: {"督办人员", "Supervisor"},
	RoleAdmin:      {"管理员", "Administrator"},
	RoleSystem:     {"系统", "System"},
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// Label is the role's name in lang ("zh" or "en").
func (r Role) Label(lang string) string { return label(roleLabels[r], lang, string(r)) }

// IsStaff reports whether r may be held by a user account.
func (r Role) IsStaff() bool { return slices.Contains(StaffRoles, r) }

func label(l [2]string, lang, fallback string) string {
	if l[0] == "" {
		return fallback
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
}
