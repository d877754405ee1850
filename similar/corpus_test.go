package similar

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// dataDir is where the real citizen messages live, seen from this package's directory
// (the repository is checked out next to ../shared). See /work/shared/data/README.md:
// 2020 TipDM Cup "智慧政务" attachments, for evaluation only, never copied into the repo.
const dataDir = "../../shared/data"

// complaint is one real message: subject line and body. src says which file it is from:
// 'c' complaints.csv (4,326 unlabelled), 'l' complaints-labelled.csv (495, level-1 class).
type complaint struct {
	ID       int64
	Subject  string
	Detail   string
	Level1   string // only for 'l'
	District string // the one "A3区"/"A7县"/"A9市" the text names, or "" if none or several
}

// Full is the text a case would carry: subject line, then the body.
func (c *complaint) Full() string { return c.Subject + "\n" + c.Detail }

type corpus struct {
	c, l       map[int64]*complaint
	cIDs, lIDs []int64 // in file order
}

func (k *corpus) get(src string, id int64) *complaint {
	if src == "l" {
		return k.l[id]
	}
	return k.c[id]
}

// districtRe finds the anonymised district names of the competition data: "A3区", "A7县",
// "A9市" (but not the city "A市" itself).
var districtRe = regexp.MustCompile(`A\d+[区县市]`)

func district(s string) string {
	found := ""
	for _, d := range districtRe.FindAllString(s, -1) {
		if found != "" && d != found {
			return ""
		}
		found = d
	}
	return found
}

// loadCorpus reads ../../shared/data. Without it the test is skipped, except on CI
// (CI=true), where missing data is a failure.
func loadCorpus(tb testing.TB) *corpus {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(dataDir, "complaints.csv")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("real complaint data missing on CI: %v", err)
		}
		tb.Skipf("real complaint data not available: %v", err)
	}
	k := &corpus{c: map[int64]*complaint{}, l: map[int64]*complaint{}}
	k.cIDs = readComplaints(tb, "complaints.csv", k.c, false)
	k.lIDs = readComplaints(tb, "complaints-labelled.csv", k.l, true)
	return k
}

func readComplaints(tb testing.TB, name string, into map[int64]*complaint, labelled bool) []int64 {
	f, err := os.Open(filepath.Join(dataDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	var ids []int64
	for _, rec := range recs[1:] { // id,subject,time,detail,(against,likes | level1)
		id, err := strconv.ParseInt(rec[0], 10, 64)
		if err != nil {
			tb.Fatalf("%s: bad id %q", name, rec[0])
		}
		c := &complaint{ID: id, Subject: rec[1], Detail: rec[3]}
		if labelled {
			c.Level1 = rec[4]
		}
		c.District = district(c.Subject + c.Detail)
		into[id] = c
		ids = append(ids, id)
	}
	return ids
}
