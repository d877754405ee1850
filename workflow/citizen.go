package workflow

import (
	gl "github.com/gridloop/gridloop"
)

// The citizen's side actions (gl.SideActions): no state changes, an event each.

// meToo counts one more citizen with the same problem (Case.Interest). The service
// subscribes them to the case; the event is public, without their name.
func meToo(c *gl.Case, _ Actor, _ Input, _ Env, _ *gl.Event) (data, error) {
	c.Interest++
	return data{"interest": c.Interest}, nil
}

// Follow-up answers an unanswered follow-up (回访) can be counted as, by the city's policy.
const (
	CountedSatisfied   = "satisfied"   // as a "fixed, satisfied" rating
	CountedUnsatisfied = "unsatisfied" // as a "not fixed, unsatisfied" rating (never reopens)
	CountedExcluded    = "excluded"    // as nothing: left out of 解决率 and 满意率
)

// followUp records that the reporter did not answer the follow-up after a closing and
// how the city counts that: in.Satisfaction and in.Fixed carry the answer it stands for
// (both empty: excluded). It ends the rating round of this closing, as a rating does
// (RatedAt), without setting the case's Satisfaction: nobody said it. A reporter can
// still say "not fixed" with reopen, within the reopen window.
func followUp(c *gl.Case, _ Actor, in Input, env Env, _ *gl.Event) (data, error) {
	d := data{"answered": false}
	switch {
	case in.Satisfaction == "" && in.Fixed == nil:
		d["counted_as"] = CountedExcluded
	case !in.Satisfaction.Valid():
		return nil, gl.FieldError("satisfaction", "请选择满意、基本满意或不满意")
	case in.Fixed == nil:
		return nil, gl.FieldError("fixed", "请说明按未解决还是已解决计")
	default:
		d["counted_as"] = string(in.Satisfaction)
		d["satisfaction"] = in.Satisfaction
		d["fixed"] = *in.Fixed
	}
	c.RatedAt = ptr(env.Now)
	return d, nil
}
