package worktime

import "time"

// Light is the traffic light shown for a running time limit.
type Light string

// The lights, in order of urgency.
const (
	Green  Light = "green"  // under 80 % of the limit used
	Yellow Light = "yellow" // 80 % to 100 % used: due soon
	Red    Light = "red"    // past the deadline
)

// Label returns the light's display name, Chinese by default, English when
// lang is "en" or an English variant.
func (l Light) Label(lang string) string {
	en := isEnglish(lang)
	switch l {
	case Green:
		return pick(en, "on time", "正常")
	case Yellow:
		return pick(en, "due soon", "即将超期")
	case Red:
		return pick(en, "overdue", "已超期")
	}
	return string(l)
}

func pick(english bool, en, zh string) string {
	if english {
		return en
	}
	return zh
}

// LightAt returns the light at now for a limit that started at start and is
// due at due, measured in working time if working is true. It is red once
// now is after due, yellow from 80 % of the limit used up to and including
// due itself, and green before that.
//
// Red is decided by the instants, not the working time used: at 18:00 on
// the day of a 17:30 deadline no working time has passed since, yet the
// case is overdue.
func (c *Calendar) LightAt(start, due, now time.Time, working bool) Light {
	return c.LightAtPaused(start, due, now, 0, working)
}

// LightAtPaused is LightAt for a case that has been suspended for paused in
// total (measured like the limit: Elapsed(suspendedAt, resumedAt, working)
// summed over its suspensions). Resume moved the deadline on by the pause,
// so the pause is taken out of both the time used and the time allowed;
// without that a paused case would turn yellow early.
//
// While a case is suspended its deadline has not moved yet; show the light
// as it was at the suspension, LightAtPaused(start, due, suspendedAt, ...).
func (c *Calendar) LightAtPaused(start, due, now time.Time, paused time.Duration, working bool) Light {
	if now.After(due) {
		return Red
	}
	used := c.Elapsed(start, now, working) - paused
	allowed := c.Elapsed(start, due, working) - paused
	return LightOf(used, allowed)
}

// LightOf returns the light for used out of allowed time, for callers that
// measure time themselves. It is red only when used exceeds allowed; see
// LightAt for why the deadline instant should decide red when it is known.
func LightOf(used, allowed time.Duration) Light {
	switch {
	case used > allowed:
		return Red
	// used >= 80 % of allowed, in integers: what is left is at most a fifth.
	// This is exact, and cannot overflow as multiplying by 5 could.
	case allowed-used <= allowed/5:
		return Yellow
	default:
		return Green
	}
}
