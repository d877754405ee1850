package evaluation

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/workflow"
)

// Options tune Recompute for a city whose policy or data differ from the defaults.
type Options struct {
	// StageLimits are the natural-time stage limits the cases ran under (the service's
	// workflow.Policy.StageLimits); nil means workflow.DefaultPolicy's. Verify, check,
	// register, dispatch and close events do not record whether they were on time, so
	// Recompute derives each stage's deadline from the time the case entered the stage.
	StageLimits map[gl.Status]time.Duration
	// Place, when set, gives a case's area, unit grid and responsibility grid (from the
	// cases table), for histories whose report events do not carry them.
	Place func(caseID int64) (area, grid, respGrid string, ok bool)
}

// Recompute folds whole histories (one slice of events per case, in seq order) into
// buckets, replaying each case from its events alone. It is the reference that
// incremental rollups (the sum of Deltas over the same events) must equal, and what a
// rebuild writes. It uses workflow.DefaultPolicy's stage limits; see RecomputeWith.
func Recompute(histories [][]gl.Event, loc *time.Location) map[Key]Counters {
	return RecomputeWith(histories, loc, Options{})
}

// RecomputeWith is Recompute with options.
func RecomputeWith(histories [][]gl.Event, loc *time.Location, opt Options) map[Key]Counters {
	if opt.StageLimits == nil {
		opt.StageLimits = workflow.DefaultPolicy().StageLimits
	}
	out := map[Key]Counters{}
	for _, h := range histories {
		if !slices.IsSortedFunc(h, bySeq) {
			h = slices.Clone(h)
			slices.SortStableFunc(h, bySeq)
		}
		var r replay
		for _, ev := range h {
			r.step(ev, opt, out, loc)
		}
	}
	return out
}

func bySeq(a, b gl.Event) int { return cmp.Compare(a.Seq, b.Seq) }

// replay is what Recompute knows of a case from its events so far.
type replay struct {
	status               gl.Status
	entered              time.Time // when the case entered status
	area, grid, respGrid string
	channel              gl.Channel
	reporter             int64
	lead                 int64 // the lead department, 0 before dispatch and after a return
	extensions           int   // approved extensions so far
}

// stageOnTime reports whether at is within the limit of the stage the case is in.
func (r *replay) stageOnTime(at time.Time, limits map[gl.Status]time.Duration) bool {
	d, ok := limits[r.status]
	return !ok || d <= 0 || !at.After(r.entered.Add(d))
}

// step counts one event, reading transitions (From → To) where they identify the step,
// and then moves the replayed case on.
func (r *replay) step(ev gl.Event, opt Options, out map[Key]Counters, loc *time.Location) {
	data := parseData(ev.Data)
	if ev.Action == gl.ActionReport {
		r.area, r.grid, r.respGrid = data.AreaCode, data.GridCode, data.RespGridCode
		if opt.Place != nil {
			if a, g, rg, ok := opt.Place(ev.CaseID); ok {
				r.area, r.grid, r.respGrid = a, g, rg
			}
		}
		r.channel, r.reporter = data.Channel, ev.ActorID
	}
	patrol := r.channel == gl.ChannelPatrol && r.reporter != 0
	inStage := r.stageOnTime(ev.At, opt.StageLimits)
	from, to := ev.From, ev.To
	moved := from != to

	var d Counters
	var dept, gridMember int64
	intake := func() {
		if patrol {
			d.Patrol, gridMember = 1, r.reporter
		}
	}
	switch {
	case ev.Action == gl.ActionReport:
		d.Reported = 1
		if patrol {
			gridMember = r.reporter
		}
	case from == gl.StatusVerifying && to == gl.StatusReported:
		d.VerifyTasks, d.VerifiedOnTime = 1, b2i(inStage)
	case from == gl.StatusReported && to == gl.StatusRegistered:
		d.Registered, d.RegisteredOnTime = 1, b2i(inStage)
		intake()
		d.PatrolValid = d.Patrol
	case moved && to == gl.StatusRejected:
		d.Rejected = 1
		intake()
	case moved && to == gl.StatusMerged:
		d.Merged = 1
		intake()
	case moved && to == gl.StatusWithdrawn:
		d.Withdrawn = 1
	case from == gl.StatusRegistered && to == gl.StatusDispatched:
		d.Dispatched, d.DispatchedOnTime = 1, b2i(inStage)
		d.Overrode = b2i(data.OverrodeDeptID != 0)
		dept = ev.DeptID
		r.lead = ev.DeptID
	case from == gl.StatusHandling && to == gl.StatusHandled:
		d.ShouldHandle, d.Handled, d.HandledOnTime = 1, 1, b2i(data.OnTime)
		d.Extended = b2i(r.extensions > 0)
		dept = r.lead
	case from == gl.StatusChecking && (to == gl.StatusChecked || to == gl.StatusHandling):
		d.CheckTasks, d.CheckedOnTime = 1, b2i(inStage)
		d.Rework = b2i(to == gl.StatusHandling)
		dept = r.lead
	case from == gl.StatusChecked && to == gl.StatusClosed:
		d.ShouldClose, d.Closed = 1, 1
		d.ClosedOnTime, d.ClosedPromptly = b2i(data.OnTime), b2i(inStage)
		dept = r.lead
	case moved && to == gl.StatusRegistered: // an approved return
		d.Returned = 1
		dept = ev.DeptID
		r.lead = 0
	case moved && to == gl.StatusSuspended:
		d.Suspended = 1
		dept = ev.DeptID
	}
	// Steps that do not move the case, or that share a transition with another step.
	switch ev.Action {
	case gl.ActionSign:
		d.Signed, d.SignedOnTime = 1, b2i(!data.Late)
		if data.Lead {
			d.Accepted, d.Responded = 1, b2i(!data.Late)
			r.lead = ev.DeptID
		}
		dept = ev.DeptID
	case gl.ActionSubDispatch:
		if data.FromDeptID == r.lead {
			r.lead = data.DeptID
		}
	case gl.ActionFeedback:
		if data.Lead {
			r.lead = data.DeptID
		}
	case gl.ActionRate:
		d.Rated = 1
		d.Resolved = b2i(data.Fixed != nil && *data.Fixed)
		d.Satisfied = b2i(data.Satisfaction == gl.Satisfied)
		d.Basic = b2i(data.Satisfaction == gl.Basic)
		dept = r.lead
	case gl.ActionFollowUp:
		if data.countsAsRating() {
			d.Rated = 1
			d.Resolved = b2i(data.Fixed != nil && *data.Fixed)
			d.Satisfied = b2i(data.Satisfaction == gl.Satisfied)
			d.Basic = b2i(data.Satisfaction == gl.Basic)
			dept = r.lead
		}
	case gl.ActionApprove:
		if data.Kind == gl.RequestExtension {
			d.Extensions = 1
			dept = ev.DeptID
			r.extensions++
		}
	case gl.ActionUrge:
		d.Urged = 1
		dept = r.lead
	case gl.ActionFlagOverdue:
		d.Overdue, d.ShouldHandle, d.ShouldClose = 1, 1, 1
		d.Extended = b2i(r.extensions > 0)
		d.Unresponded = b2i(from == gl.StatusDispatched)
		dept = r.lead
	}
	if from == gl.StatusClosed && to == gl.StatusHandling { // reopened, by reopen or a "not fixed" rating
		d.Reopened = 1
		dept = r.lead
	}

	if !d.IsZero() {
		inc := Increment{Counters: d, starts: periodStarts(ev.At, loc)}
		ms := &inc.members
		ms.addPlace(r.area, r.grid, r.respGrid)
		if dept != 0 {
			ms.add(DimDepartment, strconv.FormatInt(dept, 10))
		}
		addActor(ms, ev)
		if gridMember != 0 {
			ms.add(DimGridMember, strconv.FormatInt(gridMember, 10))
		}
		inc.AddTo(out)
	}
	if moved || ev.Action == gl.ActionReport {
		r.status, r.entered = to, ev.At
	}
}
