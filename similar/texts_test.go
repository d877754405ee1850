package similar

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
)

// mapTexts is an Options.Texts backed by m: it returns the texts of the ids asked for that
// m has, and records each call's ids in calls (when not nil).
func mapTexts(m map[int64]string, calls *[][]int64) func([]int64) map[int64]string {
	var mu sync.Mutex
	return func(ids []int64) map[int64]string {
		if calls != nil {
			mu.Lock()
			*calls = append(*calls, slices.Clone(ids))
			mu.Unlock()
		}
		out := make(map[int64]string, len(ids))
		for _, id := range ids {
			if s, ok := m[id]; ok {
				out[id] = s
			}
		}
		return out
	}
}

// TestPairsThroughLoader: the labelled pairs give the same scores, to the bit, and so the
// same precision and recall, when the index loads its texts through Options.Texts.
func TestPairsThroughLoader(t *testing.T) {
	for _, pessimistic := range []bool{false, true} {
		kept := scorePairs(t, pessimistic, false)
		loaded := scorePairs(t, pessimistic, true)
		if len(kept) != len(loaded) {
			t.Fatalf("pessimistic %v: %d pairs kept, %d loaded", pessimistic, len(kept), len(loaded))
		}
		for i := range kept {
			if kept[i] != loaded[i] {
				t.Errorf("pessimistic %v: pair %v: texts kept %+v, loaded %+v", pessimistic, kept[i].pair, kept[i], loaded[i])
			}
		}
		found := func(s scoredPair) float64 { return map[bool]float64{true: 1}[s.found] }
		for _, m := range []struct {
			name string
			f    func(scoredPair) float64
			th   float64
		}{{"TextSim", textOf, TextThreshold}, {"Score", scoreOf, DefaultMinScore}, {"default index", found, 0.5}} {
			a, b := prAt(kept, m.th, m.f), prAt(loaded, m.th, m.f)
			if a != b {
				t.Errorf("pessimistic %v: %s at %.2f: texts kept %+v, loaded %+v", pessimistic, m.name, m.th, a, b)
			}
			if !pessimistic {
				t.Logf("%s at %.2f, texts kept and loaded: P %.3f R %.3f (TP %d FP %d FN %d)", m.name, m.th, b.p, b.r, b.tp, b.fp, b.fn)
			}
		}
	}
}

// loaderCity is a dense neighbourhood of generated reports sharing places and problems,
// with a hot spot of more cases than a query compares exactly.
func loaderCity(r *rand.Rand) []Doc {
	places := []string{"曙光路", "杭大路", "文三路", "天目山路", "教工路", "黄龙路", "西溪路", "古墩路"}
	things := []string{"路灯不亮", "井盖缺失", "人行道地砖松动", "垃圾满溢", "占道经营", "机动车乱停放", "路面坑洼", "下水道堵塞"}
	var docs []Doc
	for i := range 1500 {
		north, east := r.Float64()*1200-600, r.Float64()*1200-600
		if i%5 == 0 { // the hot spot
			north, east = r.Float64()*60, r.Float64()*60
		}
		lat, lng := offset(hzLat, hzLng, north, east)
		text := fmt.Sprintf("%s%d号附近%s，已经%d天了，请尽快处理。", places[r.IntN(len(places))], r.IntN(50),
			things[r.IntN(len(things))], 1+r.IntN(9))
		switch i % 7 {
		case 0:
			text = randomText(r, 40)
		case 1:
			text += lampText
		}
		docs = append(docs, Doc{ID: int64(i + 1), Code: fmt.Sprintf("C%05d", i+1), Lat: lat, Lng: lng,
			CategoryCode: fmt.Sprintf("01%02d", r.IntN(4)), Text: text})
	}
	return docs
}

// TestTextsLoaderSameMatches: over a dense neighbourhood, under several Options, an index
// that loads its texts returns exactly the matches (cases, scores, distances, texts) of
// one that keeps them, and calls the loader once per query that compares anything.
func TestTextsLoaderSameMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	docs := loaderCity(r)
	texts := map[int64]string{}
	for _, d := range docs {
		texts[d.ID] = d.Text
	}
	var qs []Doc
	for i := range 300 {
		d := docs[r.IntN(len(docs))]
		lat, lng := offset(d.Lat, d.Lng, r.NormFloat64()*50, r.NormFloat64()*50)
		q := Doc{Lat: lat, Lng: lng, CategoryCode: d.CategoryCode, Text: typos(r, d.Text, 15)}
		if i%3 == 0 {
			q.ID = d.ID // a case's own register page
		}
		if i%10 == 0 {
			q.CategoryCode = ""
		}
		qs = append(qs, q)
	}
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"defaults", Options{}},
		{"no threshold, no cap", Options{MinScore: -1, Limit: -1}},
		{"per-category radius", Options{RadiusMeters: func(c string) float64 { return map[string]float64{"0101": 500, "0102": 50}[c] }, Limit: 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept := NewIndex(tc.opt)
			var calls [][]int64
			lopt := tc.opt
			lopt.Texts = mapTexts(texts, &calls)
			loaded := NewIndex(lopt)
			for _, d := range docs {
				kept.Add(d)
				loaded.Add(d)
			}
			matches, compared := 0, 0
			for i, q := range qs {
				calls = calls[:0]
				var st queryStats
				a, b := kept.Similar(q), loaded.similar(q, loaded.opt.Texts, &st)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("query %d: texts kept %+v\nloaded %+v", i, a, b)
				}
				matches += len(b)
				switch {
				case st.refined == 0 && len(calls) != 0:
					t.Fatalf("query %d: nothing to compare, loader called %d times", i, len(calls))
				case st.refined > 0 && (len(calls) != 1 || len(calls[0]) != st.refined):
					t.Fatalf("query %d: %d compared, loader calls %v", i, st.refined, calls)
				}
				if st.refined > 0 {
					compared++
				}
			}
			t.Logf("%d queries, %d compared something, %d matches", len(qs), compared, matches)
			if matches < len(qs) || compared < len(qs)/2 {
				t.Fatalf("too few matches (%d) or comparisons (%d) to tell", matches, compared)
			}
		})
	}
}

// TestTextsLoader: with Options.Texts the index keeps no text, asks for the texts of the
// candidates it compares exactly, once per query and only theirs, skips a candidate whose
// text does not come back, and compares a text changed since Add as loaded.
func TestTextsLoader(t *testing.T) {
	near := func(north float64) (float64, float64) { return offset(hzLat, hzLng, north, 0) }
	const (
		other   = "小区门口垃圾桶满了没人清理，臭味很大"
		short   = "解放路交叉口东南角路灯不亮"
		lampCat = "0101"
	)
	type add struct {
		id    int64
		north float64
		cat   string
		text  string
	}
	base := []add{
		{1, 0, lampCat, lampText},        // the same report
		{2, 50, lampCat, lampText},       // the same, 50 m on
		{3, 100, lampCat, short},         // a short report of it
		{4, 150, "0202", other},          // another problem in another category: pruned unread
		{5, 5000, lampCat, lampText},     // the same text, 5 km away: outside the radius
		{6, 20, lampCat, lampText + "。"}, // the same text again
	}
	hot := slices.Clone(base)
	for i := range 2 * maxRefine {
		hot = append(hot, add{int64(100 + i), float64(i % 90), lampCat, lampText + fmt.Sprint(i)})
	}
	for _, tc := range []struct {
		name    string
		adds    []add
		q       Doc
		texts   map[int64]string // what the loader has; nil: the texts added
		want    []int64          // matches, best first; nil with some: any
		some    bool
		calls   int
		asked   []int64          // the ids of the one call (sorted), when checked
		nAsked  int              // how many, when checked
		wantSim map[int64]string // a match's TextSim and Jaccard are those against this text
	}{
		{name: "compared only", adds: base, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			want: []int64{1, 6, 2, 3}, calls: 1, asked: []int64{1, 2, 3, 6}},
		{name: "own case left out", adds: base, q: Doc{ID: 1, Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			want: []int64{6, 2, 3}, calls: 1, asked: []int64{2, 3, 6}},
		{name: "a text not returned", adds: base, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			texts: map[int64]string{1: lampText, 3: short, 6: lampText + "。"},
			want:  []int64{1, 6, 3}, calls: 1, asked: []int64{1, 2, 3, 6}},
		{name: "load failed", adds: base, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			texts: map[int64]string{}, want: nil, calls: 1, asked: []int64{1, 2, 3, 6}},
		{name: "text changed since Add", adds: base, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			texts: map[int64]string{1: lampText, 2: "东南角路灯不亮好几天了", 3: short, 6: lampText + "。"},
			want:  []int64{1, 6, 3, 2}, calls: 1, asked: []int64{1, 2, 3, 6}, wantSim: map[int64]string{2: "东南角路灯不亮好几天了"}},
		{name: "nothing within the radius", adds: base, q: Doc{Lat: hzLat, Lng: hzLng + 0.02, CategoryCode: lampCat, Text: lampText},
			want: nil, calls: 0},
		{name: "nothing worth comparing", adds: base, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: "0303", Text: "公园里的健身器材坏了好几个"},
			want: nil, calls: 0},
		{name: "hot spot", adds: hot, q: Doc{Lat: hzLat, Lng: hzLng, CategoryCode: lampCat, Text: lampText},
			some: true, calls: 1, nAsked: maxRefine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			texts := tc.texts
			if texts == nil {
				texts = map[int64]string{}
				for _, a := range tc.adds {
					texts[a.id] = a.text
				}
			}
			var calls [][]int64
			ix := NewIndex(Options{Limit: -1, Texts: mapTexts(texts, &calls)})
			for _, a := range tc.adds {
				lat, lng := near(a.north)
				ix.Add(Doc{ID: a.id, Lat: lat, Lng: lng, CategoryCode: a.cat, Text: a.text})
			}
			for _, e := range ix.entries {
				if e.doc.Text != "" {
					t.Fatalf("case %d: the index kept its text", e.doc.ID)
				}
			}
			ms := ix.Similar(tc.q)
			if len(calls) != tc.calls {
				t.Fatalf("loader called %d times (%v), want %d", len(calls), calls, tc.calls)
			}
			if tc.calls == 1 {
				got := slices.Sorted(slices.Values(calls[0]))
				if tc.asked != nil && !slices.Equal(got, tc.asked) {
					t.Errorf("loader asked for %v, want %v", got, tc.asked)
				}
				if tc.nAsked != 0 && len(got) != tc.nAsked {
					t.Errorf("loader asked for %d ids, want %d", len(got), tc.nAsked)
				}
				if len(got) > maxRefine || len(slices.Compact(got)) != len(calls[0]) {
					t.Errorf("loader asked for %d ids (%d distinct), at most %d distinct allowed", len(calls[0]), len(slices.Compact(got)), maxRefine)
				}
			}
			if tc.some {
				if len(ms) == 0 {
					t.Errorf("no matches")
				}
			} else if got := ids(ms); !slices.Equal(got, tc.want) {
				t.Errorf("matches %v, want %v", got, tc.want)
			}
			for _, m := range ms {
				want, ok := tc.wantSim[m.Doc.ID]
				if !ok {
					want = texts[m.Doc.ID]
				}
				if m.Doc.Text != texts[m.Doc.ID] {
					t.Errorf("case %d: Match.Doc.Text %q, want the loaded %q", m.Doc.ID, m.Doc.Text, texts[m.Doc.ID])
				}
				if ts, j := TextOverlap(tc.q.Text, want), TextSimilarity(tc.q.Text, want); math.Abs(m.TextSim-ts) > 1e-12 || math.Abs(m.Jaccard-j) > 1e-12 {
					t.Errorf("case %d: TextSim %.4f Jaccard %.4f, want %.4f %.4f (against %q)", m.Doc.ID, m.TextSim, m.Jaccard, ts, j, want)
				}
			}
		})
	}
}

// TestSimilarWith: a query's own loader replaces Options.Texts for that query; nil means
// Options.Texts; an index that keeps its texts calls neither.
func TestSimilarWith(t *testing.T) {
	texts := map[int64]string{1: lampText, 2: "解放路交叉口东南角路灯不亮", 3: "小区门口垃圾桶满了没人清理"}
	q := Doc{Lat: hzLat, Lng: hzLng, CategoryCode: "0101", Text: lampText}
	for _, tc := range []struct {
		name       string
		keep       bool // Options.Texts nil
		perQuery   bool
		optCalls   int
		queryCalls int
	}{
		{"per-query loader", false, true, 0, 1},
		{"nil: Options.Texts", false, false, 1, 0},
		{"texts kept", true, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var optCalls, queryCalls [][]int64
			opt := Options{}
			if !tc.keep {
				opt.Texts = mapTexts(texts, &optCalls)
			}
			ix, ref := NewIndex(opt), NewIndex(Options{})
			for id := int64(1); id <= 3; id++ {
				lat, lng := offset(hzLat, hzLng, float64(id)*30, 0)
				ix.Add(Doc{ID: id, Lat: lat, Lng: lng, CategoryCode: "0101", Text: texts[id]})
				ref.Add(Doc{ID: id, Lat: lat, Lng: lng, CategoryCode: "0101", Text: texts[id]})
			}
			var load func([]int64) map[int64]string
			if tc.perQuery {
				load = mapTexts(texts, &queryCalls)
			}
			got := ix.SimilarWith(q, load)
			if len(optCalls) != tc.optCalls || len(queryCalls) != tc.queryCalls {
				t.Errorf("Options.Texts called %d times, the query's loader %d; want %d and %d",
					len(optCalls), len(queryCalls), tc.optCalls, tc.queryCalls)
			}
			if want := ref.Similar(q); len(want) != 2 || !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v (two matches)", got, want)
			}
		})
	}
}
