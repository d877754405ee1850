// Package worktime does deadline arithmetic for cases on a working-time
// calendar.
//
// # Measures
//
// Every limit is measured one of two ways. Natural time (units minute,
// hour, day) is wall-clock time: 30 minutes is 30 minutes, night or not.
// Working time (units work_hour, work_day) only runs inside the working
// periods of working days (by default 08:30–12:00 and 13:30–17:30, Monday
// to Friday, except official holidays, plus make-up workdays (调休) that
// fall on weekends). A work_day is the calendar's working hours per day of
// working time, so 1 work_day started at 10:00 Tuesday ends at 10:00
// Wednesday, and 2 work_hour started at 16:30 Friday ends at 09:30 Monday.
//
// Calendar.Add moves forward by an amount of time in either measure;
// Calendar.Elapsed measures the time between two instants. They are
// inverses: Elapsed(a, Add(a, d, w), w) == d.
//
// # Suspension and extension
//
// The service applies these rules, with the measure of the case's limit:
//
//   - Suspension (挂账) at s pauses the clock: the time left is
//     Elapsed(s, due, working).
//   - Resumption at r restarts it: the new deadline is Add(r, left, working).
//     Calendar.Resume does both steps. A case that had no time left when
//     suspended keeps its deadline, and stays late.
//   - An approved extension (延期) by limit L moves the deadline to
//     Add(due, LimitDuration(L), L.Unit.Working()); see Calendar.Extend.
//
// # Lights
//
// A running limit shows green while under 80 % of it is used, yellow from
// 80 % up to the deadline itself, and red once the deadline has passed; see
// Calendar.LightAt and, for cases that have been suspended,
// Calendar.LightAtPaused.
//
// # Calendar data
//
// Default returns a calendar for mainland China with the State Council's
// holiday schedule for 2025 and 2026 embedded (holidays_cn.csv). Later
// years must be added, with Calendar.SetDay or a CSV file read by ParseCSV,
// when the State Council publishes them each November; beyond the known
// years every Monday to Friday counts as a working day.
//
// Working periods are wall-clock times in the calendar's location and may
// not cross midnight. Where a daylight-saving change falls inside a working
// period (not in China, and rarely anywhere during office hours) that day's
// working time is the real time between the period's start and end.
package worktime
