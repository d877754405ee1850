package gridloop

// Status is a case's place in the closed loop (DESIGN.md "The closed loop").
type Status string

const (
	StatusReported   Status = "reported"   // 待受理
	StatusVerifying  Status = "verifying"  // 待核实
	StatusRegistered Status = "registered" // 已立案, waiting for dispatch
	StatusDispatched Status = "dispatched" // 待签收
	StatusHandling   Status = "handling"   // 处置中
	StatusHandled    Status = "handled"    // 已处置, waiting for a check
	StatusChecking   Status = "checking"   // 核查中
	StatusChecked    Status = "checked"    // 核查通过, waiting for the shift lead to close
	StatusClosed     Status = "closed"     // 已结案
	StatusRejected   Status = "rejected"   // 不予立案
	StatusMerged     Status = "merged"     // 已合并
	StatusWithdrawn  Status = "withdrawn"  // 已撤回
	StatusSuspended  Status = "suspended"  // 挂账
)

// Statuses lists every status in loop order.
var Statuses = []Status{
	StatusReported, StatusVerifying, StatusRegistered, StatusDispatched, StatusHandling,
	StatusHandled, StatusChecking, StatusChecked, StatusClosed, StatusRejected, StatusMerged,
	StatusWithdrawn, StatusSuspended,
}

var statusLabels = map[Status][2]string{
	StatusReported:   {"待受理", "Reported"},
	StatusVerifying:  {"待核实", "Verifying"},
	StatusRegistered: {"已立案", "Registered"},
	StatusDispatched: {"待签收", "Dispatched"},
	StatusHandling:   {"处置中", "Handling"},
	StatusHandled:    {"已处置", "Handled"},
	StatusChecking:   {"核查中", "Checking"},
	StatusChecked:    {"待结案", "Checked"},
	StatusClosed:     {"已结案", "Closed"},
	StatusRejected:   {"不予立案", "Rejected"},
	StatusMerged:     {"已合并", "Merged"},
	StatusWithdrawn:  {"已撤回", "Withdrawn"},
	StatusSuspended:  {"挂账", "Suspended"},
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := statusLabels[s]; return ok }

// Label is the status name in lang ("zh" or "en").
func (s Status) Label(lang string) string { return label(statusLabels[s], lang, string(s)) }

// Final reports whether no further work happens in s (closed can still be reopened).
func (s Status) Final() bool {
	switch s {
	case StatusClosed, StatusRejected, StatusMerged, StatusWithdrawn:
		return true
	}
	return false
}

// Open reports whether the case still awaits work.
func (s Status) Open() bool { return s.Valid() && !s.Final() }
