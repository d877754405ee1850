package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb/geojson"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// Imports of divisions, boundaries and grids run in the background: the form uploads
// the file, a goroutine imports it, and the job page shows a progress bar fed by
// polling the job's progress (or by reloading, without JavaScript). Jobs live in this
// node's memory; the last maxJobs are kept.

const (
	maxJobs = 20
	// maxImportBytes bounds an uploaded file (a city's community boundaries run to tens of MB).
	maxImportBytes = 512 << 20
	// importTimeout bounds one import.
	importTimeout = 30 * time.Minute
)

// importKinds are the imports the page offers.
var importKinds = []string{"divisions", "boundaries", "grids", "respgrids"}

// importJob is one import, running or finished.
type importJob struct {
	ID, Kind, File string
	Total          int64        // bytes of the file (0 when there is no file)
	read           atomic.Int64 // bytes read so far
	done           atomic.Int64 // features or rows handled so far

	mu      sync.Mutex
	state   string // running, done, failed
	lines   []string
	err     string
	started time.Time
	ended   time.Time
}

// jobStatus is a job as the page and the progress endpoint show it.
type jobStatus struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	File    string   `json:"file,omitempty"`
	State   string   `json:"state"`
	Read    int64    `json:"read"`
	Total   int64    `json:"total"`
	Done    int64    `json:"done"`
	Percent int      `json:"percent"` // -1 when unknown
	Lines   []string `json:"lines"`
	Error   string   `json:"error,omitempty"`
	Seconds float64  `json:"seconds"`
}

func (j *importJob) status() jobStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := jobStatus{ID: j.ID, Kind: j.Kind, File: j.File, State: j.state, Read: j.read.Load(), Total: j.Total,
		Done: j.done.Load(), Percent: -1, Lines: append([]string{}, j.lines...), Error: j.err}
	end := j.ended
	if end.IsZero() {
		end = time.Now()
	}
	s.Seconds = end.Sub(j.started).Round(100 * time.Millisecond).Seconds()
	switch {
	case j.state != "running":
		s.Percent = 100
	case j.Total > 0:
		s.Percent = int(min(99, s.Read*100/j.Total))
	}
	return s
}

func (j *importJob) finish(lines []string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines, j.ended = lines, time.Now()
	if err != nil {
		j.state, j.err = "failed", gl.ErrorMessage(err)
		if gl.ErrorCode(err) == gl.EINTERNAL {
			j.err = err.Error()
		}
		return
	}
	j.state = "done"
}

// countingReader counts the bytes read into n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

type adminImportsData struct {
	Jobs   []jobStatus
	Levels []gl.AreaLevel
	Form   form
	Kind   string // the form that failed
}

func (u *UI) adminImports(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showImports(w, r, http.StatusOK, "", form{"size": {"300"}}, &page{})
}

func (u *UI) showImports(w http.ResponseWriter, r *http.Request, status int, kind string, f form, pg *page) {
	d := adminImportsData{Levels: []gl.AreaLevel{gl.LevelDistrict, gl.LevelStreet, gl.LevelCommunity, gl.LevelCity},
		Form: f, Kind: kind}
	u.jobsMu.Lock()
	for _, j := range u.jobs {
		d.Jobs = append(d.Jobs, j.status())
	}
	u.jobsMu.Unlock()
	slices.SortFunc(d.Jobs, func(a, b jobStatus) int { return strings.Compare(b.ID, a.ID) }) // newest first
	pg.Title, pg.Data = T(langOf(r), "admin.imports"), d
	u.renderPage(w, r, status, "admin_imports", pg)
}

var jobSeq atomic.Int64

// adminImportStart receives the form of one import, starts it and shows its page.
func (u *UI) adminImportStart(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	kind := r.PathValue("kind")
	lang := langOf(r)
	if !slices.Contains(importKinds, kind) {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "未知的导入类型「%s」", kind))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+1<<20)
	var f form
	var tmp string
	var job *importJob
	fail := func(field, msg string) {
		if tmp != "" {
			os.Remove(tmp)
		}
		pg := &page{Err: T(lang, "form.fix_errors"), Fields: map[string]string{kind + "_" + field: msg}}
		u.showImports(w, r, http.StatusUnprocessableEntity, kind, f, pg)
	}
	if kind == "grids" {
		var err error
		if f, err = parseForm(w, r); err != nil {
			u.fail(w, r, err)
			return
		}
	} else {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail("file", T(lang, "admin.import_too_large"))
				return
			}
			fail("file", T(lang, "admin.import_no_file"))
			return
		}
		f = form(r.MultipartForm.Value)
		fhs := r.MultipartForm.File["file"]
		if len(fhs) == 0 || fhs[0].Size == 0 {
			fail("file", T(lang, "admin.import_no_file"))
			return
		}
		// Keep the upload past the request: the multipart files are removed when it ends.
		src, err := fhs[0].Open()
		if err != nil {
			fail("file", T(lang, "admin.import_no_file"))
			return
		}
		out, err := os.CreateTemp("", "gridloop-import-*")
		if err == nil {
			tmp = out.Name()
			_, err = io.Copy(out, src)
			err = errors.Join(err, out.Close())
		}
		src.Close()
		if err != nil {
			u.fail(w, r, err)
			return
		}
		job = &importJob{Kind: kind, File: fhs[0].Filename, Total: fhs[0].Size}
	}
	if job == nil {
		job = &importJob{Kind: kind}
	}
	// Check the options before starting.
	var run func(ctx context.Context) ([]string, error)
	switch kind {
	case "divisions":
		run = func(ctx context.Context) ([]string, error) { return u.importDivisions(ctx, job, tmp) }
	case "boundaries":
		opt := service.BoundaryOptions{Level: gl.AreaLevel(f.V("level")), Match: f.V("match")}
		if opt.Level != "" && !opt.Level.Valid() {
			fail("level", T(lang, "admin.import_bad_level"))
			return
		}
		if opt.Match != "code" && opt.Match != "name" {
			fail("match", T(lang, "admin.import_bad_match"))
			return
		}
		run = func(ctx context.Context) ([]string, error) { return u.importBoundaries(ctx, job, tmp, opt) }
	case "respgrids":
		run = func(ctx context.Context) ([]string, error) { return u.importRespGrids(ctx, job, tmp) }
	case "grids":
		area := strings.TrimSpace(f.V("area"))
		size, err := strconv.ParseFloat(strings.TrimSpace(f.V("size")), 64)
		if area == "" {
			fail("area", T(lang, "admin.import_no_area"))
			return
		}
		if err != nil || size < 10 {
			fail("size", T(lang, "admin.import_bad_size"))
			return
		}
		run = func(ctx context.Context) ([]string, error) {
			n, err := u.svc.GenerateGrids(ctx, area, size)
			return []string{fmt.Sprintf("区划 %s：生成单元网格 %d 个（边长 %.0f 米）", area, n, size)}, err
		}
	}
	job.ID = fmt.Sprintf("%d-%04d", time.Now().Unix(), jobSeq.Add(1))
	job.state, job.started = "running", time.Now()
	u.addJob(job)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
		defer cancel()
		defer func() {
			if tmp != "" {
				os.Remove(tmp)
			}
			if v := recover(); v != nil {
				u.log.Error("ui: import panicked", "kind", kind, "panic", v)
				job.finish(nil, fmt.Errorf("内部错误: %v", v))
			}
		}()
		lines, err := run(ctx)
		if err != nil && gl.ErrorCode(err) == gl.EINTERNAL {
			u.log.Error("ui: import", "kind", kind, "file", job.File, "err", err)
		}
		job.finish(lines, err)
	}()
	redirect(w, r, "/admin/imports/jobs/"+job.ID)
}

func (u *UI) addJob(j *importJob) {
	u.jobsMu.Lock()
	defer u.jobsMu.Unlock()
	u.jobs[j.ID] = j
	for len(u.jobs) > maxJobs {
		var oldest *importJob
		for _, o := range u.jobs {
			if o.status().State != "running" && (oldest == nil || o.started.Before(oldest.started)) {
				oldest = o
			}
		}
		if oldest == nil {
			break
		}
		delete(u.jobs, oldest.ID)
	}
}

func (u *UI) importDivisions(ctx context.Context, job *importJob, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	areas, err := service.ReadDivisionsCSV(countingReader{f, &job.read})
	if err != nil {
		return nil, gl.Errorf(gl.EINVALID, "%v", err)
	}
	job.done.Store(int64(len(areas)))
	if err := u.svc.ImportAreas(ctx, areas); err != nil {
		return nil, err
	}
	counts := map[gl.AreaLevel]int{}
	for _, a := range areas {
		counts[a.Level]++
	}
	return []string{fmt.Sprintf("导入区划 %d 个：市 %d、区县 %d、街道 %d、社区 %d", len(areas),
		counts[gl.LevelCity], counts[gl.LevelDistrict], counts[gl.LevelStreet], counts[gl.LevelCommunity])}, nil
}

func (u *UI) importBoundaries(ctx context.Context, job *importJob, path string, opt service.BoundaryOptions) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opt.Progress = func(done int, _ int64) { job.done.Store(int64(done)) }
	rep, err := u.svc.ImportBoundaries(ctx, countingReader{f, &job.read}, opt)
	if err != nil {
		if gl.ErrorCode(err) == gl.EINTERNAL && !strings.HasPrefix(err.Error(), "store:") {
			return nil, gl.Errorf(gl.EINVALID, "%v", err) // the file's fault: bad GeoJSON
		}
		return nil, err
	}
	lines := []string{fmt.Sprintf("要素 %d 个，匹配区划 %d 个，未匹配 %d 个", rep.Features, len(rep.Matched), len(rep.Unmatched))}
	for i, s := range rep.Unmatched {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("…… 另有 %d 个未匹配", len(rep.Unmatched)-20))
			break
		}
		lines = append(lines, "未匹配: "+s)
	}
	return lines, nil
}

// importRespGrids stores responsibility grids from a GeoJSON FeatureCollection: each
// feature's properties code, name, area_code and workers (user names, as a list or
// separated by commas) and its polygon. Grids with the same code are replaced. The
// service has no use case for it yet; this is what the demo seeder does, through
// UpdateGeo (one transaction that bumps the boundary version).
func (u *UI) importRespGrids(ctx context.Context, job *importJob, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var users []gl.User
	err = u.svc.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		users, err = tx.Users(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	byName := map[string]int64{}
	for _, usr := range users {
		byName[usr.Name] = usr.ID
	}
	var grids []store.RespGridShape
	var unknown []string
	err = geo.ReadFeatures(countingReader{f, &job.read}, func(ft *geojson.Feature) error {
		prop := func(k string) string {
			if v, ok := ft.Properties[k]; ok && v != nil {
				return strings.TrimSpace(fmt.Sprint(v))
			}
			return ""
		}
		g := store.RespGridShape{Code: prop("code"), Name: prop("name"), AreaCode: prop("area_code")}
		if g.Code == "" {
			return fmt.Errorf("第 %d 个要素缺少 properties.code", len(grids)+1)
		}
		mp, err := geo.AsMultiPolygon(ft.Geometry)
		if err != nil {
			return fmt.Errorf("责任网格 %s: %w", g.Code, err)
		}
		g.Geom = mp
		var names []string
		switch v := ft.Properties["workers"].(type) {
		case []any:
			for _, x := range v {
				names = append(names, fmt.Sprint(x))
			}
		case string:
			names = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })
		}
		for _, n := range names {
			if id, ok := byName[strings.TrimSpace(n)]; ok {
				g.WorkerIDs = append(g.WorkerIDs, id)
			} else {
				unknown = append(unknown, g.Code+": "+n)
			}
		}
		grids = append(grids, g)
		return nil
	}, func(done int, _ int64) { job.done.Store(int64(done)) })
	if err != nil {
		return nil, gl.Errorf(gl.EINVALID, "%v", err)
	}
	if len(grids) == 0 {
		return nil, gl.Errorf(gl.EINVALID, "文件中没有责任网格")
	}
	if err := u.svc.UpdateGeo(ctx, func(tx *store.Tx) error { return tx.PutRespGrids(ctx, grids) }); err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("导入责任网格 %d 个", len(grids))}
	for i, s := range unknown {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("…… 另有 %d 个未知账号", len(unknown)-20))
			break
		}
		lines = append(lines, "未知账号: "+s)
	}
	return lines, nil
}

func (u *UI) job(r *http.Request) (*importJob, error) {
	u.jobsMu.Lock()
	defer u.jobsMu.Unlock()
	j, ok := u.jobs[r.PathValue("id")]
	if !ok {
		return nil, gl.Errorf(gl.ENOTFOUND, "导入任务不存在（可能已被清理或服务已重启）")
	}
	return j, nil
}

func (u *UI) adminImportJob(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	j, err := u.job(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "admin_job", "admin.import_job", j.status())
}

// adminImportProgress is what the job page polls.
func (u *UI) adminImportProgress(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	j, err := u.job(r)
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	writeJSON(w, j.status())
}
