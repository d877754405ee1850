package gridloop

import (
	"os"
	"strings"
	"testing"
)

// TestSecurityDocTable: the permissions table of docs/security.md is the code's.
func TestSecurityDocTable(t *testing.T) {
	b, err := os.ReadFile("docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	var roles []Role
	seen := map[Permission]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) < 3 {
			continue
		}
		if cells[0] == "permission" && cells[1] == "what it opens" {
			for _, c := range cells[2:] {
				roles = append(roles, Role(c))
			}
			continue
		}
		if roles == nil || !strings.HasPrefix(cells[0], "`") {
			continue
		}
		p := Permission(strings.Trim(cells[0], "`"))
		if !p.Valid() {
			t.Errorf("docs/security.md names unknown permission %q", p)
			continue
		}
		seen[p] = true
		if len(cells) != 2+len(roles) {
			t.Errorf("%s: %d cells", p, len(cells))
			continue
		}
		for i, r := range roles {
			if got, want := cells[2+i] == "Y", r.Can(p); got != want {
				t.Errorf("docs/security.md says %s holds %s: %v; the code says %v", r, p, got, want)
			}
		}
		if len(seen) == len(Permissions) {
			break
		}
	}
	if len(roles) != len(StaffRoles) {
		t.Fatalf("the table's roles %v, want %v", roles, StaffRoles)
	}
	for i, r := range StaffRoles {
		if roles[i] != r {
			t.Errorf("column %d is %s, want %s", i, roles[i], r)
		}
	}
	for _, p := range Permissions {
		if !seen[p] {
			t.Errorf("docs/security.md lacks permission %s", p)
		}
	}
}

func TestPermissions(t *testing.T) {
	for r, perms := range RolePermissions {
		if !r.IsStaff() {
			t.Errorf("%s is not a staff role", r)
		}
		for _, p := range perms {
			if !p.Valid() || p == PermPublic {
				t.Errorf("%s holds %q", r, p)
			}
		}
	}
	for _, r := range StaffRoles {
		if len(RolePermissions[r]) == 0 {
			t.Errorf("%s holds nothing", r)
		}
	}
	u := &User{Roles: []Role{RoleOperator}}
	if !u.Can(PermPIIReveal) || u.Can(PermAdminUsers) || !u.Can(PermPublic) {
		t.Error("operator")
	}
	u.TokenPerms = []Permission{PermCaseRead}
	if u.Can(PermPIIReveal) || !u.Can(PermCaseRead) {
		t.Error("a token narrowed to case.read")
	}
	u.Disabled = true
	if u.Can(PermCaseRead) {
		t.Error("a disabled user")
	}
	if !PermAdminUsers.IsAdmin() || PermAuditRead.IsAdmin() {
		t.Error("IsAdmin")
	}
}
