package bench

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ComplaintsFile is the shared file of real citizen messages (see ../shared/data/README.md:
// 4,326 messages from the 2020 TipDM Cup "智慧政务" task, places anonymised as "A市").
const ComplaintsFile = "complaints.csv"

// maxDescription is the intake limit on a description, in characters (service.ReportInput).
const maxDescription = 4000

// samples are used when the shared data is absent: short reports in the style of real ones.
var samples = []string{
	"曙光路人行道上井盖缺失，行人容易踩空，请尽快处理。",
	"文三路与学院路交叉口路灯连续三晚不亮，夜间通行存在安全隐患。",
	"小区门口垃圾桶满溢，垃圾散落一地，气味很大，已经好几天没人清运了。",
	"天目山路公交站旁有人占道经营，摆摊卖水果，影响行人通行。",
	"西溪路施工工地夜间十一点后仍在施工，噪音扰民，影响居民休息。",
	"保俶路沿街店铺油烟直排，周边居民意见较大。",
	"延安路一处雨水井盖破损下陷，车辆经过时声响很大。",
	"体育场路人行道上共享单车乱停乱放，堵住了盲道。",
	"湖滨路绿化带内树木倒伏，压住了路边的护栏。",
	"东坡路一小区外墙有大量小广告，清理后又被重新张贴。",
	"龙游路道路积水严重，下雨后行人无法通过，排水不畅。",
	"杨公堤附近有人焚烧垃圾，烟雾很大，周边居民无法开窗。",
}

// Texts are report descriptions: real complaints when the shared data is there, the
// built-in samples otherwise.
type Texts struct {
	Items  []string
	Source string // the file they came from, or "built-in samples"
}

// DataDir finds the shared data directory holding complaints.csv: $GRIDLOOP_DATA, else
// ../shared/data or ../../shared/data from the working directory; "" when none has it.
func DataDir() string {
	var dirs []string
	if d := os.Getenv("GRIDLOOP_DATA"); d != "" {
		dirs = append(dirs, d)
	}
	dirs = append(dirs, filepath.Join("..", "shared", "data"), filepath.Join("..", "..", "shared", "data"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ComplaintsFile)); err == nil {
			return d
		}
	}
	return ""
}

// LoadTexts reads the complaints in dir ("" or a missing file: the built-in samples).
func LoadTexts(dir string) (*Texts, error) {
	if dir == "" {
		return builtin(), nil
	}
	path := filepath.Join(dir, ComplaintsFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return builtin(), nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	items, err := ParseComplaints(f)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return builtin(), nil
	}
	return &Texts{Items: items, Source: path}, nil
}

func builtin() *Texts { return &Texts{Items: samples, Source: "built-in samples"} }

// ParseComplaints reads complaints.csv (id,subject,time,detail,against,likes) and returns
// one description per message: "subject：detail", whitespace tidied, cut to the intake limit.
func ParseComplaints(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	subject, detail := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "subject":
			subject = i
		case "detail":
			detail = i
		}
	}
	if subject < 0 || detail < 0 {
		return nil, errors.New("bench: complaints file needs subject and detail columns")
	}
	var out []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if len(rec) <= max(subject, detail) {
			continue
		}
		s, d := tidy(rec[subject]), tidy(rec[detail])
		text := s
		if d != "" && d != s {
			text = s + "：" + d
		}
		if text == "" {
			continue
		}
		if utf8.RuneCountInString(text) > maxDescription {
			text = string([]rune(text)[:maxDescription])
		}
		out = append(out, text)
	}
	return out, nil
}

// tidy folds runs of whitespace (including the messages' line breaks) into one space.
func tidy(s string) string { return strings.Join(strings.Fields(s), " ") }
