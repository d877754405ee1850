package ui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// dayRow is a special day of the calendar in force, and whether it was set here (and
// may be deleted) or comes with gridloop (the official schedule).
type dayRow struct {
	worktime.SpecialDay
	Stored bool
}

type adminCalendarData struct {
	Year   int
	Years  []int
	Days   []dayRow
	Form   form
	Import string // the import's error, with its line number
}

func (u *UI) adminCalendar(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showCalendar(w, r, http.StatusOK, form{"kind": {string(worktime.Holiday)}}, "", &page{})
}

func (u *UI) showCalendar(w http.ResponseWriter, r *http.Request, status int, f form, importErr string, pg *page) {
	var stored []worktime.SpecialDay
	err := u.svc.DB.View(r.Context(), func(tx *store.Tx) error {
		var err error
		stored, err = tx.SpecialDays(r.Context())
		return err
	})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	isStored := map[string]bool{}
	for _, d := range stored {
		isStored[d.Date] = true
	}
	d := adminCalendarData{Form: f, Import: importErr}
	d.Year, _ = strconv.Atoi(r.URL.Query().Get("year"))
	if d.Year == 0 {
		d.Year = u.svc.Now().In(u.svc.Calendar().Location()).Year()
	}
	for _, day := range u.svc.Calendar().Days() {
		y, _ := strconv.Atoi(day.Date[:4])
		if !slices.Contains(d.Years, y) {
			d.Years = append(d.Years, y)
		}
		if y == d.Year {
			d.Days = append(d.Days, dayRow{SpecialDay: day, Stored: isStored[day.Date]})
		}
	}
	if !slices.Contains(d.Years, d.Year) {
		d.Years = append(d.Years, d.Year)
	}
	slices.Sort(d.Years)
	pg.Title, pg.Data = T(langOf(r), "admin.calendar"), d
	u.renderPage(w, r, status, "admin_calendar", pg)
}

func (u *UI) adminCalendarAdd(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	day := worktime.SpecialDay{Date: strings.TrimSpace(f.V("date")), Kind: worktime.DayKind(f.V("kind")), Name: strings.TrimSpace(f.V("name"))}
	if _, perr := time.Parse(time.DateOnly, day.Date); perr != nil {
		err = gl.FieldError("date", "日期须为 YYYY-MM-DD 格式")
	} else if day.Kind != worktime.Holiday && day.Kind != worktime.Workday {
		err = gl.FieldError("kind", "请选择休息日或调休上班日")
	} else {
		err = u.svc.PutSpecialDays(r.Context(), []worktime.SpecialDay{day})
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showCalendar(w, r, status, f, "", pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.day_saved", day.Date))
	redirect(w, r, "/admin/calendar?year="+day.Date[:4])
}

func (u *UI) adminCalendarDelete(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	date := r.PathValue("date")
	// The service has no use case for it yet: delete the stored day and reload.
	err := u.svc.DB.Update(r.Context(), func(tx *store.Tx) error { return tx.DeleteSpecialDay(r.Context(), date) })
	if err == nil {
		err = u.svc.Reload(r.Context())
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(langOf(r), "admin.day_deleted", date))
	year := ""
	if len(date) >= 4 {
		year = "?year=" + date[:4]
	}
	redirect(w, r, "/admin/calendar"+year)
}

// maxCalendarCSV bounds an uploaded holiday file (a year is about 40 lines).
const maxCalendarCSV = 1 << 20

// adminCalendarImport reads a holiday CSV (date,kind,name) and puts every day in force;
// a bad line is reported with its number and nothing is stored.
func (u *UI) adminCalendarImport(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxCalendarCSV+64<<10)
	showErr := func(msg string) {
		u.showCalendar(w, r, http.StatusUnprocessableEntity, form{"kind": {string(worktime.Holiday)}}, msg,
			&page{Err: T(lang, "admin.import_failed")})
	}
	if err := r.ParseMultipartForm(maxCalendarCSV); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			showErr(T(lang, "admin.csv_too_large"))
			return
		}
		showErr(T(lang, "admin.csv_missing"))
		return
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 || fhs[0].Size == 0 {
		showErr(T(lang, "admin.csv_missing"))
		return
	}
	file, err := fhs[0].Open()
	if err != nil {
		showErr(T(lang, "admin.csv_missing"))
		return
	}
	defer file.Close()
	days, err := worktime.ParseCSV(file)
	if err != nil {
		showErr(strings.TrimPrefix(err.Error(), "worktime: "))
		return
	}
	if len(days) == 0 {
		showErr(T(lang, "admin.csv_empty"))
		return
	}
	if err := u.svc.PutSpecialDays(r.Context(), days); err != nil {
		if _, msg, status, ok := u.formFailureMsg(err); ok && status < 500 {
			showErr(msg)
			return
		}
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(lang, "admin.days_imported", len(days)))
	redirect(w, r, "/admin/calendar?year="+days[0].Date[:4])
}

// formFailureMsg splits err like formError, reporting whether it is a user's mistake.
func (u *UI) formFailureMsg(err error) (field, msg string, status int, ok bool) {
	field, msg, status = formError(err)
	return field, msg, status, gl.ErrorCode(err) == gl.EINVALID
}
