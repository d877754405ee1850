package gridloop

import (
	"encoding/json"
	"time"
)

// Event is one immutable step in a case's history: the audit trail and the basis of
// every evaluation figure. The event log is append-only.
type Event struct {
	ID      int64  `json:"id"`
	CaseID  int64  `json:"case_id"`
	Seq     int    `json:"seq"` // 1, 2, 3… within the case
	Action  Action `json:"action"`
	ActorID int64  `json:"actor_id,omitempty"`
	Actor   string `json:"actor"` // display name at the time
	Role    Role   `json:"role"`
	From    Status `json:"from,omitempty"`
	To      Status `json:"to"`
	DeptID  int64  `json:"dept_id,omitempty"` // the department the action concerns, if any
	Note    string `json:"note,omitempty"`
	// Public events appear on the reporter's tracking page; internal notes do not.
	Public bool            `json:"public"`
	Data   json.RawMessage `json:"data,omitempty"`
	At     time.Time       `json:"at"`
}
