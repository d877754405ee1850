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
	// SessionGen is the user's session generation: signing out everywhere (or a new
	// password) moves it on, and a web session signed in under an older one is over.
	SessionGen int64 `json:"-"`
	// TokenPerms, when not nil, restricts the user to these permissions: the user was
	// authenticated by an API token that carries them (Token.Perms).
	TokenPerms []Permission `json:"-"`
}

// HasRole reports whether u holds r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Token is an API token; only its hash is stored. A token may be narrower than its
// user: an area or department scope inside the user's, and a subset of the user's
// permissions (empty: the user's own scope and permissions).
type Token struct {
	ID         int64        `json:"id"`
	UserID     int64        `json:"user_id"`
	Name       string       `json:"name"`
	Hash       string       `json:"-"`
	AreaScope  []string     `json:"area_scope,omitempty"`
	DeptScope  []int64      `json:"dept_scope,omitempty"`
	Perms      []Permission `json:"permissions,omitempty"`
	ExpiresAt  *time.Time   `json:"expires_at,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
}
