package evaluation

// Counters are additive event counts for one bucket. Rollups keep them by adding the
// increments of each event (Deltas) and sum them across buckets (days into a month,
// communities into a street, a section into its bureau). Every rate in Indicators is a
// ratio of two of them, and both are counted at the same event, so a numerator never
// exceeds its denominator in any bucket. docs/indicators.md says exactly which event
// increments each one.
type Counters struct {
	// Intake (受理与立案).
	Reported         int64 `json:"reported"`           // 上报数: report events
	Registered       int64 `json:"registered"`         // 立案数: register events
	RegisteredOnTime int64 `json:"registered_on_time"` // 按时立案数: registered within the intake stage limit
	Rejected         int64 `json:"rejected"`           // 不予立案数
	Merged           int64 `json:"merged"`             // 合并数 (duplicates)
	Withdrawn        int64 `json:"withdrawn"`          // 撤回数

	// Dispatch and signing (派遣与签收).
	Dispatched       int64 `json:"dispatched"`         // 派遣数: dispatch events
	DispatchedOnTime int64 `json:"dispatched_on_time"` // 按时派遣数: within the dispatch stage limit
	Overrode         int64 `json:"overrode"`           // 改派数: dispatches that did not take the suggested department
	Signed           int64 `json:"signed"`             // 签收数: sign events, lead and co-handlers
	SignedOnTime     int64 `json:"signed_on_time"`     // 按时签收数: signed within the response limit
	Accepted         int64 `json:"accepted"`           // 主办签收数: signs by the lead department
	Responded        int64 `json:"responded"`          // 按时响应数: lead signs within the response limit
	Unresponded      int64 `json:"unresponded"`        // 超期未签收数: overdue flags on cases the lead had not signed
	Returned         int64 `json:"returned"`           // 退回数: approved returns

	// Handling (处置).
	ShouldHandle  int64 `json:"should_handle"`   // 应处置数: cases reaching handled + overdue flags
	Handled       int64 `json:"handled"`         // 处置数: cases reaching handled (every department fed back)
	HandledOnTime int64 `json:"handled_on_time"` // 按期处置数: … by the handling deadline
	Extended      int64 `json:"extended"`        // 延期处置数: ShouldHandle items of cases that had an approved extension
	Extensions    int64 `json:"extensions"`      // 批准延期数: approved extension requests
	Suspended     int64 `json:"suspended"`       // 挂账数: approved suspension requests
	Overdue       int64 `json:"overdue"`         // 超期数: flag_overdue events
	Urged         int64 `json:"urged"`           // 督办数: urge events

	// Check and closing (核查与结案).
	CheckTasks     int64 `json:"check_tasks"`     // 核查数: check events
	CheckedOnTime  int64 `json:"checked_on_time"` // 按时核查数: within the check stage limit
	Rework         int64 `json:"rework"`          // 返工数: failed checks
	ShouldClose    int64 `json:"should_close"`    // 应结案数: closings + overdue flags
	Closed         int64 `json:"closed"`          // 结案数: close events
	ClosedOnTime   int64 `json:"closed_on_time"`  // 按期结案数: closed and never late (close's on_time)
	ClosedPromptly int64 `json:"closed_promptly"` // 及时结案数: closed within the close stage limit

	// The reporter's verdict (回访评价).
	Rated     int64 `json:"rated"`     // 评价数: rate events
	Resolved  int64 `json:"resolved"`  // 已解决数: ratings with fixed = true
	Satisfied int64 `json:"satisfied"` // 满意数
	Basic     int64 `json:"basic"`     // 基本满意数
	Reopened  int64 `json:"reopened"`  // 重新办理数: reopen events and ratings that reopened

	// Grid workers (监督员/网格员).
	Patrol         int64 `json:"patrol"`           // 巡查上报受理数: intake decisions on patrol reports
	PatrolValid    int64 `json:"patrol_valid"`     // 有效上报数: … that were registered
	VerifyTasks    int64 `json:"verify_tasks"`     // 核实数: verify events
	VerifiedOnTime int64 `json:"verified_on_time"` // 按时核实数: within the verify stage limit
}

// CounterFields are the counters' names, in the order of Fields: the JSON names, fit
// for column names.
var CounterFields = []string{
	"reported", "registered", "registered_on_time", "rejected", "merged", "withdrawn",
	"dispatched", "dispatched_on_time", "overrode", "signed", "signed_on_time", "accepted",
	"responded", "unresponded", "returned",
	"should_handle", "handled", "handled_on_time", "extended", "extensions", "suspended",
	"overdue", "urged",
	"check_tasks", "checked_on_time", "rework", "should_close", "closed", "closed_on_time",
	"closed_promptly",
	"rated", "resolved", "satisfied", "basic", "reopened",
	"patrol", "patrol_valid", "verify_tasks", "verified_on_time",
}

// counterIndexes maps each name of CounterFields to its position.
var counterIndexes = func() map[string]int {
	m := make(map[string]int, len(CounterFields))
	for i, f := range CounterFields {
		m[f] = i
	}
	return m
}()

// CounterIndex is the position of the counter named name in CounterFields (and
// Fields); ok is false for an unknown name.
func CounterIndex(name string) (i int, ok bool) {
	i, ok = counterIndexes[name]
	return i, ok
}

// Fields returns pointers to every counter, in the order of CounterFields, for
// scanning from and writing to a row.
func (c *Counters) Fields() []*int64 {
	return []*int64{
		&c.Reported, &c.Registered, &c.RegisteredOnTime, &c.Rejected, &c.Merged, &c.Withdrawn,
		&c.Dispatched, &c.DispatchedOnTime, &c.Overrode, &c.Signed, &c.SignedOnTime, &c.Accepted,
		&c.Responded, &c.Unresponded, &c.Returned,
		&c.ShouldHandle, &c.Handled, &c.HandledOnTime, &c.Extended, &c.Extensions, &c.Suspended,
		&c.Overdue, &c.Urged,
		&c.CheckTasks, &c.CheckedOnTime, &c.Rework, &c.ShouldClose, &c.Closed, &c.ClosedOnTime,
		&c.ClosedPromptly,
		&c.Rated, &c.Resolved, &c.Satisfied, &c.Basic, &c.Reopened,
		&c.Patrol, &c.PatrolValid, &c.VerifyTasks, &c.VerifiedOnTime,
	}
}

// Add adds d to c, counter by counter.
func (c *Counters) Add(d Counters) {
	c.Reported += d.Reported
	c.Registered += d.Registered
	c.RegisteredOnTime += d.RegisteredOnTime
	c.Rejected += d.Rejected
	c.Merged += d.Merged
	c.Withdrawn += d.Withdrawn
	c.Dispatched += d.Dispatched
	c.DispatchedOnTime += d.DispatchedOnTime
	c.Overrode += d.Overrode
	c.Signed += d.Signed
	c.SignedOnTime += d.SignedOnTime
	c.Accepted += d.Accepted
	c.Responded += d.Responded
	c.Unresponded += d.Unresponded
	c.Returned += d.Returned
	c.ShouldHandle += d.ShouldHandle
	c.Handled += d.Handled
	c.HandledOnTime += d.HandledOnTime
	c.Extended += d.Extended
	c.Extensions += d.Extensions
	c.Suspended += d.Suspended
	c.Overdue += d.Overdue
	c.Urged += d.Urged
	c.CheckTasks += d.CheckTasks
	c.CheckedOnTime += d.CheckedOnTime
	c.Rework += d.Rework
	c.ShouldClose += d.ShouldClose
	c.Closed += d.Closed
	c.ClosedOnTime += d.ClosedOnTime
	c.ClosedPromptly += d.ClosedPromptly
	c.Rated += d.Rated
	c.Resolved += d.Resolved
	c.Satisfied += d.Satisfied
	c.Basic += d.Basic
	c.Reopened += d.Reopened
	c.Patrol += d.Patrol
	c.PatrolValid += d.PatrolValid
	c.VerifyTasks += d.VerifyTasks
	c.VerifiedOnTime += d.VerifiedOnTime
}

// IsZero reports whether every counter is zero.
func (c Counters) IsZero() bool { return c == Counters{} }
