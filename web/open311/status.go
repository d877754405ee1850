package open311

import gl "github.com/gridloop/gridloop"

// Open311's two statuses. A request is closed when gridloop's status is final
// (gl.Status.Final: closed, rejected, merged, withdrawn) and open otherwise.
const (
	statusOpen   = "open"
	statusClosed = "closed"
)

// openClosed maps a gridloop status onto Open311's open/closed.
func openClosed(s gl.Status) string {
	if s.Final() {
		return statusClosed
	}
	return statusOpen
}

// detailedStatus maps every gridloop status onto the FixMyStreet-style extended
// statuses (mySociety "Open311 FMS Additional states"), shown with extensions=true.
// docs/open311.md carries the same table; TestStatusTable keeps the two in step.
var detailedStatus = map[gl.Status]string{
	gl.StatusReported:   "open",
	gl.StatusVerifying:  "investigating",
	gl.StatusRegistered: "action_scheduled",
	gl.StatusDispatched: "action_scheduled",
	gl.StatusHandling:   "in_progress",
	gl.StatusHandled:    "in_progress",
	gl.StatusChecking:   "in_progress",
	gl.StatusChecked:    "in_progress",
	gl.StatusSuspended:  "action_scheduled",
	gl.StatusClosed:     "fixed",
	gl.StatusRejected:   "no_further_action",
	gl.StatusMerged:     "duplicate",
	gl.StatusWithdrawn:  "closed",
}

// fmsStatuses are the statuses an external system may send in POST
// servicerequestupdates: OPEN/CLOSED of the extension and FixMyStreet's extended ones,
// in any case. They are recorded with the update, not applied (docs/open311.md).
var fmsStatuses = map[string]bool{
	"open": true, "closed": true, "fixed": true, "investigating": true, "in_progress": true,
	"action_scheduled": true, "duplicate": true, "not_councils_responsibility": true,
	"no_further_action": true, "internal_referral": true,
}

func extended(c *gl.Case) *extendedAttributes {
	return &extendedAttributes{
		GridloopStatus:      string(c.Status),
		GridloopStatusLabel: c.Status.Label("zh"),
		DetailedStatus:      detailedStatus[c.Status],
	}
}
