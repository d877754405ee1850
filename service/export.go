package service

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
)

// Exports: cases as CSV and the monthly evaluation workbook (xlsx), streamed to the
// caller, or written by a background job to a temporary file whose progress the caller
// polls. Everything is read through read-only transactions, one page of cases at a
// time, so an export never holds the SQLite writer, and honours the caller's scope.

// ExportPage is how many cases one page of an export reads.
const ExportPage = 1000

// Export kinds.
const (
	ExportCasesCSV       = "cases.csv"
	ExportEvaluationXLSX = "evaluation.xlsx"
)

// caseCSVHeader is the CSV's header row.
var caseCSVHeader = []string{"案件编号", "状态", "来源渠道", "问题类别编码", "问题类别", "紧急", "问题描述", "地址",
	"经度", "纬度", "区域代码", "区域", "单元网格", "责任网格", "主办部门", "协办部门", "是否超期", "处置时限",
	"上报时间", "立案时间", "派遣时间", "处置时间", "结案时间", "满意度", "问题已解决", "返工次数", "重新办理次数",
	"退回次数", "延期次数", "督办次数"}

var satisfactionLabels = map[gl.Satisfaction]string{gl.Satisfied: "满意", gl.Basic: "基本满意", gl.Unsatisfied: "不满意"}

// ExportCasesCSV writes the cases f selects inside p's scope as CSV to w: UTF-8 with a
// byte-order mark (so that Excel reads the Chinese), a Chinese header row, one row per
// case in case order. Reporters' names and phone numbers are not exported. progress,
// if set, is told the rows written and the total after every page. It returns the
// number of rows written.
func (s *Service) ExportCasesCSV(ctx context.Context, p *Principal, f store.CaseFilter, w io.Writer, progress func(done, total int)) (int, error) {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return 0, gl.FieldError("status", "未知的案件状态「%s」", st)
		}
	}
	f = p.scope(f)
	total := 0
	var catNames map[string]string
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if total, err = tx.CountCasesMatching(ctx, f); err != nil {
			return err
		}
		cats, err := tx.Categories(ctx)
		catNames = map[string]string{}
		for _, c := range cats {
			catNames[c.Code] = c.Name
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes
	if err := cw.Write(caseCSVHeader); err != nil {
		return 0, err
	}
	loc, tree, l := s.evalLoc(), s.Depts(), s.loc()
	tm := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	yesNo := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	deptName := func(id int64) string {
		if d, ok := tree.Get(id); ok {
			return d.Name
		}
		return strconv.FormatInt(id, 10)
	}
	done := 0
	var after int64
	record := make([]string, len(caseCSVHeader))
	for {
		var page []gl.Case
		err := s.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			page, err = tx.CasesPage(ctx, f, after, ExportPage)
			return err
		})
		if err != nil {
			return done, err
		}
		for i := range page {
			c := &page[i]
			var co []string
			lead := ""
			for _, a := range c.Assignments {
				if a.Lead {
					lead = deptName(a.DeptID)
				} else {
					co = append(co, deptName(a.DeptID))
				}
			}
			area := ""
			if a, ok := l.areas[c.AreaCode]; ok {
				area = a.Name
			}
			fixed := ""
			if c.Fixed != nil {
				fixed = yesNo(*c.Fixed)
			}
			record = append(record[:0], c.Code, c.Status.Label("zh"), c.Channel.Label("zh"), c.CategoryCode,
				catNames[c.CategoryCode], yesNo(c.Urgent), c.Description, c.Address,
				strconv.FormatFloat(c.Lng, 'f', 6, 64), strconv.FormatFloat(c.Lat, 'f', 6, 64),
				c.AreaCode, area, c.GridCode, c.RespGridCode, lead, strings.Join(co, "、"), yesNo(c.Overdue),
				tm(c.Due), tm(&c.CreatedAt), tm(c.RegisteredAt), tm(c.DispatchedAt), tm(c.HandledAt), tm(c.ClosedAt),
				satisfactionLabels[c.Satisfaction], fixed, strconv.Itoa(c.ReworkCount), strconv.Itoa(c.ReopenCount),
				strconv.Itoa(c.ReturnCount), strconv.Itoa(c.ExtensionCount), strconv.Itoa(c.UrgeCount))
			for j := range record {
				record[j] = cellText(record[j])
			}
			if err := cw.Write(record); err != nil {
				return done, err
			}
			done++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return done, err
		}
		if progress != nil {
			progress(done, max(total, done))
		}
		if len(page) < ExportPage {
			break
		}
		after = page[len(page)-1].ID
		if err := ctx.Err(); err != nil {
			return done, err
		}
	}
	return done, bw.Flush()
}

// cellText keeps a spreadsheet from reading text as a formula (CSV injection): text
// that starts with = + - @ or a control character gets a leading apostrophe. Numbers
// ("-3", "120.150000") are left alone.
func cellText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}

// Workbook sheets: what each "by" puts in the evaluation workbook.
var workbookSheets = map[string][]struct {
	name string
	q    EvalQuery
}{
	"department": {
		{"单位（含下级）", EvalQuery{Dim: evaluation.DimDepartment, Subtree: true, Top: true}},
		{"部门明细", EvalQuery{Dim: evaluation.DimDepartment}},
	},
	"area": {
		{"区县", EvalQuery{Dim: evaluation.DimArea, Level: "district"}},
		{"街道", EvalQuery{Dim: evaluation.DimArea, Level: "street"}},
		{"社区", EvalQuery{Dim: evaluation.DimArea, Level: "community"}},
	},
	"grid_member": {
		{"网格员", EvalQuery{Dim: evaluation.DimGridMember}},
	},
}

// WorkbookBy are the accepted values of the workbook's "by".
var WorkbookBy = []string{"department", "area", "grid_member"}

// workbookCounters are the counts the workbook shows after the indicators.
var workbookCounters = []struct{ field, name string }{
	{"reported", "上报数"}, {"registered", "立案数"}, {"dispatched", "派遣数"}, {"should_handle", "应处置数"},
	{"handled", "处置数"}, {"should_close", "应结案数"}, {"closed", "结案数"}, {"overdue", "超期数"},
	{"rework", "返工数"}, {"returned", "退回数"}, {"rated", "评价数"},
}

// ParseMonth checks a month given as 2006-01 and returns its first day.
func ParseMonth(month string) (string, error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", gl.FieldError("month", "月份须为 YYYY-MM 格式，如 2026-11")
	}
	return t.Format("2006-01-02"), nil
}

// EvaluationWorkbook writes the monthly evaluation workbook of month (2006-01) to w: a
// sheet per dimension of by (department: units with their subtrees and every
// department; area: districts, streets, communities; grid_member) with every
// indicator, the composite score and the rank, inside p's scope, and a sheet defining
// the indicators and the weights. The sheets are written with excelize's
// StreamWriter, row by row.
func (s *Service) EvaluationWorkbook(ctx context.Context, p *Principal, month string, by []string, w io.Writer) error {
	start, err := ParseMonth(month)
	if err != nil {
		return err
	}
	if len(by) == 0 {
		by = []string{"department", "area"}
	}
	for _, b := range by {
		if _, ok := workbookSheets[b]; !ok {
			return gl.FieldError("by", "by 须为 %s", strings.Join(WorkbookBy, "、"))
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newWorkbookStyles(f)
	if err != nil {
		return err
	}
	weights := map[string]evaluation.Weights{}
	first := true
	for _, b := range by {
		for _, sh := range workbookSheets[b] {
			q := sh.q
			q.Period, q.Start = evaluation.Month, start
			ev, err := s.Evaluate(ctx, p, q)
			if err != nil {
				return err
			}
			weights[ev.WeightsFor] = ev.Weights
			if first {
				if err := f.SetSheetName("Sheet1", sh.name); err != nil {
					return err
				}
				first = false
			} else if _, err := f.NewSheet(sh.name); err != nil {
				return err
			}
			if err := writeEvalSheet(f, st, sh.name, month, ev); err != nil {
				return err
			}
		}
	}
	if _, err := f.NewSheet("指标说明"); err != nil {
		return err
	}
	if err := writeDefinitions(f, st, weights); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

type workbookStyles struct{ title, header, percent, score, text int }

func newWorkbookStyles(f *excelize.File) (*workbookStyles, error) {
	var st workbookStyles
	var err error
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return nil, err
	}
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}}); err != nil {
		return nil, err
	}
	if st.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return nil, err
	}
	if st.score, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil { // 0.00
		return nil, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return nil, err
	}
	return &st, nil
}

func writeEvalSheet(f *excelize.File, st *workbookStyles, sheet, month string, ev *Evaluation) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	nInd := len(evaluation.Indicators)
	if err := sw.SetColWidth(1, 1, 6); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 24); err != nil {
		return err
	}
	if err := sw.SetColWidth(3, 3, 16); err != nil {
		return err
	}
	if err := sw.SetColWidth(4, 4+nInd+len(workbookCounters), 11); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 2, YSplit: 3, TopLeftCell: "C4", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	title := fmt.Sprintf("%s 综合评价 · %s（%s 至 %s）", month, sheet, ev.Start, ev.End)
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: title}}); err != nil {
		return err
	}
	note := "综合得分按「指标说明」页的权重计算（0–100）；无数据的指标记为空白，不计入得分。"
	if err := sw.SetRow("A2", []any{note}); err != nil {
		return err
	}
	header := []any{"排名", "名称", "编码", "综合得分"}
	for _, ind := range evaluation.Indicators {
		header = append(header, ind.Name)
	}
	for _, c := range workbookCounters {
		header = append(header, c.name)
	}
	for i := range header {
		header[i] = excelize.Cell{StyleID: st.header, Value: header[i]}
	}
	if err := sw.SetRow("A3", header, excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	for i, r := range ev.Rows {
		row := make([]any, 0, len(header))
		if r.Rank > 0 {
			row = append(row, r.Rank)
		} else {
			row = append(row, nil)
		}
		row = append(row, r.Name, r.ID)
		if r.Score != nil {
			row = append(row, excelize.Cell{StyleID: st.score, Value: *r.Score})
		} else {
			row = append(row, nil)
		}
		for _, v := range r.Indicators {
			if v.Value != nil {
				row = append(row, excelize.Cell{StyleID: st.percent, Value: *v.Value})
			} else {
				row = append(row, nil)
			}
		}
		fields := r.Counters.Fields()
		for _, c := range workbookCounters {
			row = append(row, *fields[counterPos[c.field]])
		}
		cell, _ := excelize.CoordinatesToCellName(1, 4+i)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

var counterPos = func() map[string]int {
	m := map[string]int{}
	for i, f := range evaluation.CounterFields {
		m[f] = i
	}
	return m
}()

func writeDefinitions(f *excelize.File, st *workbookStyles, weights map[string]evaluation.Weights) error {
	sw, err := f.NewStreamWriter("指标说明")
	if err != nil {
		return err
	}
	for i, w := range []float64{14, 22, 70, 22, 26, 10} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	subjects := make([]string, 0, len(weights))
	for s := range weights {
		if s != "" {
			subjects = append(subjects, s)
		}
	}
	slices.Sort(subjects)
	header := []any{"指标", "英文", "定义", "分子", "分母", "越低越好"}
	for _, s := range subjects {
		header = append(header, "权重·"+s)
	}
	for i := range header {
		header[i] = excelize.Cell{StyleID: st.header, Value: header[i]}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for i, ind := range evaluation.Indicators {
		lower := ""
		if ind.LowerIsBetter {
			lower = "是"
		}
		row := []any{ind.Name, ind.NameEn, excelize.Cell{StyleID: st.text, Value: ind.Definition}, ind.Numerator, ind.Denominator, lower}
		for _, s := range subjects {
			if wt, ok := weights[s][ind.ID]; ok && wt > 0 {
				row = append(row, wt)
			} else {
				row = append(row, nil)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, 2+i)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// Export jobs: a long export runs in a goroutine of its own, writing to a temporary
// file; the caller polls its progress and downloads the file when it is done. Jobs live
// in this node's memory (a load balancer must send the polls to the same node) and
// their files are removed ExportKeep after they finish.

// Limits of export jobs.
const (
	MaxExportJobs        = 2 // running at once on a node
	MaxExportJobsPerUser = 1 // running at once per user
	ExportKeep           = time.Hour
	exportTimeout        = 30 * time.Minute
)

// ExportRequest is what an export job exports.
type ExportRequest struct {
	Kind   string           // ExportCasesCSV or ExportEvaluationXLSX
	Filter store.CaseFilter // cases.csv
	Month  string           // evaluation.xlsx: 2006-01
	By     []string         // evaluation.xlsx
}

// ExportJob is an export running or done.
type ExportJob struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"` // running, done, failed
	RowsDone   int        `json:"rows_done"`
	RowsTotal  int        `json:"rows_total"`
	Bytes      int64      `json:"bytes"`
	Filename   string     `json:"filename"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`

	owner int64
	path  string
}

// Export job states.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

type exportJobs struct {
	mu   sync.Mutex
	jobs map[string]*ExportJob
}

// StartExport starts an export job for p and returns it at once.
func (s *Service) StartExport(p *Principal, req ExportRequest) (*ExportJob, error) {
	if p == nil || p.User == nil {
		return nil, gl.Errorf(gl.EUNAUTHORIZED, "导出需要登录")
	}
	ext := ".csv"
	switch req.Kind {
	case ExportCasesCSV:
		for _, st := range req.Filter.Statuses {
			if !st.Valid() {
				return nil, gl.FieldError("status", "未知的案件状态「%s」", st)
			}
		}
	case ExportEvaluationXLSX:
		if _, err := ParseMonth(req.Month); err != nil {
			return nil, err
		}
		ext = ".xlsx"
	default:
		return nil, gl.FieldError("kind", "导出类型须为 %s 或 %s", ExportCasesCSV, ExportEvaluationXLSX)
	}
	j := &s.exports
	j.mu.Lock()
	defer j.mu.Unlock()
	s.expireExports()
	running, mine := 0, 0
	for _, job := range j.jobs {
		if job.Status == JobRunning {
			running++
			if job.owner == p.User.ID {
				mine++
			}
		}
	}
	if mine >= MaxExportJobsPerUser {
		return nil, gl.Errorf(gl.ECONFLICT, "您已有一个导出任务正在进行，请等待其完成")
	}
	if running >= MaxExportJobs {
		return nil, gl.Errorf(gl.ECONFLICT, "导出任务较多，请稍后再试")
	}
	file, err := os.CreateTemp("", "gridloop-export-*"+ext)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	id := make([]byte, 12)
	rand.Read(id)
	stamp := s.now().In(s.evalLoc()).Format("20060102-150405")
	job := &ExportJob{ID: hex.EncodeToString(id), Kind: req.Kind, Status: JobRunning, CreatedAt: s.now(),
		owner: p.User.ID, path: file.Name()}
	if req.Kind == ExportCasesCSV {
		job.Filename = "cases-" + stamp + ".csv"
	} else {
		job.Filename = "evaluation-" + req.Month + ".xlsx"
		job.RowsTotal = 1
	}
	if j.jobs == nil {
		j.jobs = map[string]*ExportJob{}
	}
	j.jobs[job.ID] = job
	go s.runExport(job, file, p, req)
	return job.snapshot(), nil
}

func (s *Service) runExport(job *ExportJob, file *os.File, p *Principal, req ExportRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	cw := &countingWriter{w: file}
	var err error
	switch req.Kind {
	case ExportCasesCSV:
		_, err = s.ExportCasesCSV(ctx, p, req.Filter, cw, func(done, total int) {
			s.exports.mu.Lock()
			job.RowsDone, job.RowsTotal, job.Bytes = done, total, cw.n
			s.exports.mu.Unlock()
		})
	case ExportEvaluationXLSX:
		err = s.EvaluationWorkbook(ctx, p, req.Month, req.By, cw)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	now := s.now()
	s.exports.mu.Lock()
	defer s.exports.mu.Unlock()
	job.FinishedAt, job.Bytes = &now, cw.n
	if err != nil {
		job.Status, job.Error = JobFailed, gl.ErrorMessage(err)
		if gl.ErrorCode(err) == gl.EINTERNAL {
			s.Logger.Error("export failed", "job", job.ID, "kind", job.Kind, "err", err)
		}
		os.Remove(job.path)
		return
	}
	job.Status = JobDone
	if req.Kind == ExportEvaluationXLSX {
		job.RowsDone = job.RowsTotal
	}
}

// expireExports forgets finished jobs older than ExportKeep and removes their files.
// The caller holds s.exports.mu.
func (s *Service) expireExports() {
	now := s.now()
	for id, job := range s.exports.jobs {
		if job.FinishedAt != nil && now.Sub(*job.FinishedAt) > ExportKeep {
			os.Remove(job.path)
			delete(s.exports.jobs, id)
		}
	}
}

func (j *ExportJob) snapshot() *ExportJob {
	c := *j
	return &c
}

// Export returns p's export job with id.
func (s *Service) Export(p *Principal, id string) (*ExportJob, error) {
	s.exports.mu.Lock()
	defer s.exports.mu.Unlock()
	s.expireExports()
	job, ok := s.exports.jobs[id]
	if !ok || p == nil || p.User == nil || job.owner != p.User.ID {
		return nil, gl.Errorf(gl.ENOTFOUND, "导出任务不存在或已过期")
	}
	return job.snapshot(), nil
}

// ExportFile opens the file of p's finished export job with id.
func (s *Service) ExportFile(p *Principal, id string) (*os.File, *ExportJob, error) {
	job, err := s.Export(p, id)
	if err != nil {
		return nil, nil, err
	}
	switch job.Status {
	case JobRunning:
		return nil, nil, gl.Errorf(gl.EINVALIDSTATE, "导出尚未完成（%d/%d）", job.RowsDone, job.RowsTotal)
	case JobFailed:
		return nil, nil, gl.Errorf(gl.EINVALIDSTATE, "导出失败：%s", job.Error)
	}
	f, err := os.Open(job.path)
	if err != nil {
		return nil, nil, gl.Errorf(gl.ENOTFOUND, "导出文件已过期")
	}
	return f, job, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
