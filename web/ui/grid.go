package ui

import (
	"net/http"
	"net/url"
	"slices"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// The grid worker's phone view: my verify and check tasks, a compact page per task,
// and the patrol report.

// taskStatuses are the states in which a case waits for a grid worker.
var taskStatuses = []gl.Status{gl.StatusVerifying, gl.StatusChecking}

// taskActions are the actions a task page offers, by state.
var taskActions = map[gl.Status]gl.Action{gl.StatusVerifying: gl.ActionVerify, gl.StatusChecking: gl.ActionCheck}

type gridTasksData struct {
	Rows  []caseRow
	Total int
}

// TotalText is the total as shown: "2000+" past store.CountCap.
func (d gridTasksData) TotalText() string { return countText(d.Total) }

func (u *UI) gridTasks(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	list, total, err := u.svc.Cases(r.Context(), p, store.CaseFilter{Statuses: taskStatuses, Limit: store.MaxLimit, Order: store.OrderUpdatedDesc})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.categoryNames(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// A task's clock is its stage's (verify, check: minutes of natural time); the most
	// urgent first, those without a stage deadline last.
	d := gridTasksData{Total: total}
	now := u.svc.Now()
	slices.SortStableFunc(list, func(a, b gl.Case) int {
		switch {
		case a.StageDue == nil && b.StageDue == nil:
			return 0
		case a.StageDue == nil:
			return 1
		case b.StageDue == nil:
			return -1
		}
		return a.StageDue.Compare(*b.StageDue)
	})
	for _, c := range list {
		d.Rows = append(d.Rows, caseRow{Case: c, CategoryName: names[c.CategoryCode],
			Light: u.stageLight(&c, now)})
	}
	u.render(w, r, http.StatusOK, "grid", "grid.title", d)
}

type gridTaskData struct {
	Case         *gl.Case
	StageLight   worktime.Light // the task's clock
	CategoryName string
	Action       gl.Action // verify or check; "" when the case no longer waits for this user
	Map          mapConfig
	Form         form
	Photos       formPhotos
}

func (u *UI) gridTask(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showGridTask(w, r, p, http.StatusOK, nil, formPhotos{}, &page{})
}

func (u *UI) showGridTask(w http.ResponseWriter, r *http.Request, p *service.Principal, status int, f form, photos formPhotos, pg *page) {
	c, err := u.svc.Case(r.Context(), p, r.PathValue("code"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.categoryNames(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	photos.Capture = true
	d := &gridTaskData{Case: c, CategoryName: names[c.CategoryCode], Form: f, Photos: photos, Map: u.caseMap(r, c),
		StageLight: u.stageLight(c, u.svc.Now())}
	if a, ok := taskActions[c.Status]; ok && slices.Contains(u.svc.Available(p, c), a) {
		d.Action = a
	}
	pg.Title, pg.Data = T(langOf(r), "grid.task_title", c.Code), d
	u.renderPage(w, r, status, "grid_task", pg)
}

// caseMap is the small map of a case: its point and its unit grid.
func (u *UI) caseMap(r *http.Request, c *gl.Case) mapConfig {
	m := u.mapConfig(r, "case")
	m.Point, m.GridCode, m.RespGrid = []float64{c.Lat, c.Lng}, c.GridCode, c.RespGridCode
	return m
}

func (u *UI) gridTaskAct(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, files, err := parseUpload(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	action := gl.Action(f.V("action"))
	if action != gl.ActionVerify && action != gl.ActionCheck {
		u.fail(w, r, gl.Errorf(gl.EINVALID, "未知操作「%s」", action))
		return
	}
	code := r.PathValue("code")
	photos, err := u.savePhotos(r.Context(), f, files)
	if err == nil {
		in, version, ierr := actionInput(action, f)
		in.Photos = photos.URLs()
		if err = ierr; err == nil {
			var res *service.ActResult
			if res, err = u.svc.Act(r.Context(), p, code, in, version); err == nil {
				if aerr := u.svc.AttachPhotos(r.Context(), res.Case.ID, in.Photos); aerr != nil {
					u.log.Error("ui: attach photos", "case", code, "err", aerr)
				}
			}
		}
	}
	if err != nil {
		if pg, status := u.actionFault(w, r, err); pg != nil {
			u.showGridTask(w, r, p, status, f, photos, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "grid.task_done", action.Label(langOf(r)), code))
	redirect(w, r, "/grid")
}

type patrolData struct {
	Groups []catGroup
	Form   form
	Photos formPhotos
}

func (u *UI) patrolForm(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showPatrol(w, r, http.StatusOK, form{"idem": {newKey()}}, formPhotos{}, &page{})
}

func (u *UI) showPatrol(w http.ResponseWriter, r *http.Request, status int, f form, photos formPhotos, pg *page) {
	groups, err := u.categoryGroups(r.Context(), langOf(r))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	photos.Capture = true
	pg.Title, pg.Data = T(langOf(r), "patrol.title"), patrolData{Groups: groups, Form: f, Photos: photos}
	u.renderPage(w, r, status, "patrol", pg)
}

// patrolSubmit files a grid worker's own finding: channel patrol, no verification.
func (u *UI) patrolSubmit(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, files, err := parseUpload(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	fields := map[string]string{}
	photos, err := u.savePhotos(r.Context(), f, files)
	if err != nil {
		field, msg, status := formError(err)
		if status >= 500 {
			u.fail(w, r, err)
			return
		}
		fields[field] = msg
	}
	in := service.ReportInput{CategoryCode: f.V("category_code"), Address: f.V("address"),
		Channel: gl.ChannelPatrol, Photos: photos.URLs()}
	readPlace(f, lang, T(lang, "report.err_description"), &in, fields)
	if len(fields) == 0 {
		res, err := u.svc.Report(r.Context(), p, in, idemKey(f))
		if err == nil {
			if err := u.svc.AttachPhotos(r.Context(), res.Case.ID, in.Photos); err != nil {
				u.log.Error("ui: attach photos", "case", res.Case.Code, "err", err)
			}
			u.flash(r, T(lang, "patrol.done", res.Case.Code))
			redirect(w, r, "/grid?reported="+url.QueryEscape(res.Case.Code))
			return
		}
		if pg, status := u.reportFault(w, r, err, fields); pg != nil {
			u.showPatrol(w, r, status, f, photos, pg)
		}
		return
	}
	u.showPatrol(w, r, http.StatusUnprocessableEntity, f, photos, &page{Err: T(lang, "form.fix_errors"), Fields: fields})
}
