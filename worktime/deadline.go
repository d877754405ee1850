package worktime

import "time"

// LimitDuration returns how much time l allows, in l's own measure:
// working time for working units, natural time otherwise. A work_day is
// WorkingHoursPerDay of working time, so "1 work_day" started at 10:00 ends
// at 10:00 on the next working day. An invalid limit (see Limit.Validate)
// has zero duration.
func (c *Calendar) LimitDuration(l Limit) time.Duration {
	n := time.Duration(l.Value)
	switch l.Unit {
	case Minute:
		return n * time.Minute
	case Hour, WorkHour:
		return n * time.Hour
	case Day:
		return n * 24 * time.Hour
	case WorkDay:
		return n * c.dayTotal
	}
	return 0
}

// Deadline returns when a limit l that starts at start runs out.
func (c *Calendar) Deadline(start time.Time, l Limit) time.Time {
	return c.Add(start, c.LimitDuration(l), l.Unit.Working())
}

// Resume returns the new deadline of a case that was suspended (挂账) at
// suspendedAt and resumed at resumedAt: the time that was left at
// suspension, Elapsed(suspendedAt, due, working), starts running again at
// resumedAt.
//
// If no time was left, because the case was already overdue when it was
// suspended, the deadline stands rather than jumping to resumedAt: the
// case stays late, as it is counted.
func (c *Calendar) Resume(suspendedAt, due, resumedAt time.Time, working bool) time.Time {
	remaining := c.Elapsed(suspendedAt, due, working)
	if remaining == 0 {
		return due.In(c.loc)
	}
	return c.Add(resumedAt, remaining, working)
}

// Extend returns the deadline after an approved extension (延期) by l: the
// extension is added to the current deadline, whether or not it has passed.
func (c *Calendar) Extend(due time.Time, l Limit) time.Time {
	return c.Add(due, c.LimitDuration(l), l.Unit.Working())
}
