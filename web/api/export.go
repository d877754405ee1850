package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// Reports and exports (docs/evaluation.md): the monthly evaluation workbook, CSV of
// cases streamed or as a background job with progress.

// exportFilter reads the case filters of GET /api/v1/cases (status, category, q,
// department, overdue) and a range of report dates (from, to: 2006-01-02, inclusive,
// Asia/Shanghai).
func exportFilter(q url.Values) (store.CaseFilter, error) {
	f := store.CaseFilter{CategoryCode: q.Get("category"), Query: q.Get("q")}
	for _, s := range q["status"] {
		for _, part := range strings.Split(s, ",") {
			if part != "" {
				f.Statuses = append(f.Statuses, gl.Status(part))
			}
		}
	}
	if v := q.Get("department"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, gl.FieldError("department", "部门须为数字 id")
		}
		f.DeptIDs = []int64{id}
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, gl.FieldError("overdue", "overdue 须为 true 或 false")
		}
		f.Overdue = &b
	}
	loc := worktime.Default().Location()
	for _, d := range []struct {
		name string
		dst  **time.Time
		days int
	}{{"from", &f.Since, 0}, {"to", &f.Until, 1}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return f, gl.FieldError(d.name, "%s 须为 YYYY-MM-DD 格式的日期", d.name)
		}
		t = t.AddDate(0, 0, d.days)
		*d.dst = &t
	}
	return f, nil
}

// writeTracker records whether anything was written, so that an error before the first
// byte can still be answered as JSON.
type writeTracker struct {
	http.ResponseWriter
	wrote bool
}

func (t *writeTracker) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

func (t *writeTracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func (a *API) exportCasesCSV(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	f, err := exportFilter(r.URL.Query())
	if err != nil {
		return err
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{}) // a long export outlives the write timeout
	name := "cases-" + time.Now().In(worktime.Default().Location()).Format("20060102-150405") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	tw := &writeTracker{ResponseWriter: w}
	if _, err := a.Svc.ExportCasesCSV(r.Context(), p, f, tw, nil); err != nil {
		if !tw.wrote {
			w.Header().Del("Content-Disposition")
			return err
		}
		// Mid-stream: the status is sent; break the connection so the client sees a
		// truncated download rather than a complete-looking file.
		if r.Context().Err() == nil {
			a.Log.Error("csv export failed mid-stream", "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (a *API) evaluationWorkbook(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	q := r.URL.Query()
	month := q.Get("month")
	if month == "" {
		month = time.Now().In(worktime.Default().Location()).Format("2006-01")
	}
	if _, err := service.ParseMonth(month); err != nil {
		return err
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="evaluation-`+month+`.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	tw := &writeTracker{ResponseWriter: w}
	if err := a.Svc.EvaluationWorkbook(r.Context(), p, month, workbookBy(q.Get("by")), tw); err != nil {
		if !tw.wrote {
			w.Header().Del("Content-Disposition")
			return err
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportView is a job as the API shows it, with the URL of its file once done.
type exportView struct {
	*service.ExportJob
	URL     string `json:"url"`
	FileURL string `json:"file_url,omitempty"`
}

func viewExport(j *service.ExportJob) exportView {
	v := exportView{ExportJob: j, URL: "/api/v1/exports/" + j.ID}
	if j.Status == service.JobDone {
		v.FileURL = v.URL + "/file"
	}
	return v
}

func (a *API) startExport(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	q := r.URL.Query()
	req := service.ExportRequest{Kind: q.Get("kind"), Month: q.Get("month"), By: workbookBy(q.Get("by"))}
	if req.Kind == "" {
		req.Kind = service.ExportCasesCSV
	}
	if req.Kind == service.ExportEvaluationXLSX && req.Month == "" {
		req.Month = time.Now().In(worktime.Default().Location()).Format("2006-01")
	}
	var err error
	if req.Filter, err = exportFilter(q); err != nil {
		return err
	}
	job, err := a.Svc.StartExport(p, req)
	if err != nil {
		return err
	}
	v := viewExport(job)
	w.Header().Set("Location", v.URL)
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (a *API) getExport(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	job, err := a.Svc.Export(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, viewExport(job))
	return nil
}

func (a *API) exportFile(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	f, job, err := a.Svc.ExportFile(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer f.Close()
	ct := "text/csv; charset=utf-8"
	if job.Kind == service.ExportEvaluationXLSX {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+job.Filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	modified := job.CreatedAt
	if job.FinishedAt != nil {
		modified = *job.FinishedAt
	}
	http.ServeContent(w, r, job.Filename, modified, f)
	return nil
}
