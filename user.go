package gridloop

import (
	"slices"
	"time"
)

// User is a staff account. Scope limits what the user sees: areas (by code prefix) and
// departments (with their subtrees). An empty scope means the whole city.
type User struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"` // login name
	DisplayName string    `json:"display_name"`
	Roles       []Role    `json:"roles"`
	AreaScope   []string  `json:"area_scope,omitempty"`
	DeptScope   []int64   `json:"dept_scope,omitempty"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// HasRole reports whether u holds r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Token is an API token; only its hash is stored.
type Token struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	Hash      string     `json:"-"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}
