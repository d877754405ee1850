package evaluation

import (
	"sync"
	"time"
)

// Dimension is what a bucket is about.
type Dimension string

const (
	// DimCity is the whole installation: every event's counts land here (ID CityID).
	DimCity Dimension = "city"
	// DimArea is an area of the case's area code, by code prefix: district (6 digits),
	// street (9) and community (12). A case counts in each level it has.
	DimArea Dimension = "area"
	// DimGrid is the case's unit grid (单元网格); DimRespGrid its responsibility grid (责任网格).
	DimGrid     Dimension = "grid"
	DimRespGrid Dimension = "resp_grid"
	// DimDepartment is the department the event concerns (ID: the department id). It is
	// not rolled up the department tree: sum the subtree's buckets for a bureau's total.
	DimDepartment Dimension = "department"
	// DimGridMember is a grid worker (ID: user id): the checks and verifications they
	// made, their patrol reports and the intake decisions on those reports.
	DimGridMember Dimension = "grid_member"
	// DimUser is the staff member who acted (ID: user id), whatever the role.
	DimUser Dimension = "user"
	// DimRole is the role the actor acted in (ID: the role, e.g. "dispatcher").
	DimRole Dimension = "role"
)

// Dimensions lists every dimension.
var Dimensions = []Dimension{DimCity, DimArea, DimGrid, DimRespGrid, DimDepartment, DimGridMember, DimUser, DimRole}

// CityID is the ID of the one DimCity bucket.
const CityID = "all"

// AreaPrefixes are the lengths of the area codes a case's area rolls up to: district,
// street, community (GB/T 2260 + 3 + 3).
var AreaPrefixes = []int{6, 9, 12}

// Period is the length of a bucket.
type Period string

const (
	Day   Period = "day"
	Week  Period = "week" // ISO week, Monday to Sunday
	Month Period = "month"
)

// Periods lists every period.
var Periods = []Period{Day, Week, Month}

// Key identifies one rollup bucket: a dimension's member over one period. Start is the
// period's first day in the evaluation time zone (Asia/Shanghai), as 2006-01-02.
type Key struct {
	Dim    Dimension `json:"dim"`
	ID     string    `json:"id"`
	Period Period    `json:"period"`
	Start  string    `json:"start"`
}

const dateLayout = "2006-01-02"

// PeriodStart returns the first day of the period of p that contains t, in loc
// (Asia/Shanghai when loc is nil), as midnight in loc.
func PeriodStart(p Period, t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = shanghai()
	}
	t = t.In(loc)
	y, m, d := t.Date()
	switch p {
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// periodStarts returns the Start of the day, week and month that contain t, in the
// order of Periods.
func periodStarts(t time.Time, loc *time.Location) [3]string {
	if loc == nil {
		loc = shanghai()
	}
	y, m, d := t.In(loc).Date()
	return dayStarts(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// dayStarts returns the Start of the day, week and month of day's date (in day's own
// location).
func dayStarts(day time.Time) [3]string {
	y, m, d := day.Date()
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return [3]string{
		day.Format(dateLayout),
		time.Date(y, m, d-back, 12, 0, 0, 0, time.UTC).Format(dateLayout),
		time.Date(y, m, 1, 12, 0, 0, 0, time.UTC).Format(dateLayout),
	}
}

var shanghai = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60) // no DST since 1991: same answers
	}
	return loc
})

// member is one bucket an event touches, before periods are applied.
type member struct {
	dim Dimension
	id  string
}

// members collects the buckets of one event without duplicates.
type members struct {
	list [16]member
	n    int
}

func (m *members) add(dim Dimension, id string) {
	if id == "" {
		return
	}
	for i := range m.n {
		if m.list[i].dim == dim && m.list[i].id == id {
			return
		}
	}
	if m.n < len(m.list) {
		m.list[m.n] = member{dim, id}
		m.n++
	}
}

// addPlace adds the city, the area levels and the grids of a case.
func (m *members) addPlace(area, grid, respGrid string) {
	m.add(DimCity, CityID)
	for _, n := range AreaPrefixes {
		if len(area) >= n {
			m.add(DimArea, area[:n])
		}
	}
	m.add(DimGrid, grid)
	m.add(DimRespGrid, respGrid)
}
