package similar

import (
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Synthetic duplicates: the same real complaint rewritten the way a second citizen (or the
// same citizen a second time) would write it. Nobody's paraphrase of somebody else's
// message is available, so each transformation is a realistic, mechanical change of the
// real text. Every transformation is deterministic given the complaint id (the fixture
// stores only id and transformation name; the text is rebuilt at test time).
//
//	subject    the subject line alone vs. the body alone (a one-line report of a problem
//	           someone else described at length)
//	sentences  full text vs. the subject plus a random half of the body's sentences
//	excerpts   subject + first 60 % of the body's sentences vs. the last 60 % (two people
//	           telling overlapping parts of the story); by characters when < 3 sentences
//	polite     full text vs. the same with greetings and polite closings removed and
//	           others added ("尊敬的领导：您好！" … "望尽快处理，谢谢！")
//	punct      full text vs. the same with punctuation changed (Chinese ↔ ASCII, dropped),
//	           letters and digits made full-width, spaces and line breaks inserted
//	typos      full text vs. the same with one edit per 25 characters: adjacent characters
//	           swapped, a character dropped, or replaced by another from the same text
//	mixed      full text vs. the body only, 70 % of its sentences, polite phrases changed,
//	           typos, punctuation changed: the hardest, most realistic rewrite
var transforms = []string{"subject", "sentences", "excerpts", "polite", "punct", "typos", "mixed"}

func transformRand(id int64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(uint64(id), h.Sum64()))
}

// synthPair returns the two texts of a synthetic duplicate pair.
func synthPair(c *complaint, name string) (a, b string) {
	r := transformRand(c.ID, name)
	full := c.Full()
	switch name {
	case "subject":
		return c.Subject, c.Detail
	case "sentences":
		return full, c.Subject + "\n" + keepSentences(r, c.Detail, 0.5)
	case "excerpts":
		first, last := excerpts(c.Detail)
		return c.Subject + "\n" + first, last
	case "polite":
		return full, c.Subject + "\n" + repolite(r, c.Detail)
	case "punct":
		return full, repunct(r, full)
	case "typos":
		return full, typos(r, full, 25)
	case "mixed":
		return full, repunct(r, typos(r, repolite(r, keepSentences(r, c.Detail, 0.7)), 25))
	}
	panic("unknown transformation " + name)
}

// sentences splits s after 。！？!?；; and line breaks, keeping the delimiters.
func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		switch r {
		case '。', '！', '？', '!', '?', '；', ';', '\n':
			end := i + utf8.RuneLen(r)
			if strings.TrimSpace(s[start:end]) != "" {
				out = append(out, s[start:end])
			}
			start = end
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		out = append(out, s[start:])
	}
	return out
}

// keepSentences keeps each sentence with probability p (in order), at least one and, with
// two or more, not all. A single sentence is cut to a random window of p of its runes.
func keepSentences(r *rand.Rand, s string, p float64) string {
	ss := sentences(s)
	if len(ss) < 2 {
		rs := []rune(s)
		n := max(1, int(float64(len(rs))*p))
		at := r.IntN(len(rs) - n + 1)
		return string(rs[at : at+n])
	}
	for {
		var b strings.Builder
		kept := 0
		for _, x := range ss {
			if r.Float64() < p {
				b.WriteString(x)
				kept++
			}
		}
		if kept > 0 && kept < len(ss) {
			return b.String()
		}
	}
}

// excerpts returns the first and the last 60 % of s, by sentences when there are at least
// three, by runes otherwise: they overlap in the middle fifth.
func excerpts(s string) (first, last string) {
	if ss := sentences(s); len(ss) >= 3 {
		n := (len(ss)*3 + 4) / 5
		return strings.Join(ss[:n], ""), strings.Join(ss[len(ss)-n:], "")
	}
	rs := []rune(s)
	n := (len(rs)*3 + 4) / 5
	return string(rs[:n]), string(rs[len(rs)-n:])
}

var (
	greetingRe = regexp.MustCompile(`^\s*((尊敬的)?[^，,：:！!。\n]{0,12}(领导|书记|市长|县长|局长|主任|政府|部门)[们]?\s*[，,：:！!]?\s*)?((您|你)好[！!，,。：:]?\s*)?`)
	closingRe  = regexp.MustCompile(`[^。！!？?\n]*(谢谢|感谢|辛苦了|盼复|恳请|望.{0,10}(处理|解决|回复)|请.{0,10}(处理|解决|重视))[^。！!？?\n]*[。！!？?]*\s*$`)
	greetings  = []string{"尊敬的领导：您好！", "领导好，", "您好！", "尊敬的市长：", "各位领导，你们好！", "你好，", "胡书记您好！"}
	closings   = []string{"望相关部门尽快处理，谢谢！", "恳请领导重视！", "盼复。", "请尽快解决，谢谢。", "希望有关部门管一管！", "辛苦了，谢谢！"}
)

// repolite drops the greeting and the polite closing a message has, and adds others.
func repolite(r *rand.Rand, s string) string {
	had := greetingRe.FindString(s)
	s = s[len(had):]
	s = closingRe.ReplaceAllString(s, "")
	g := greetings[r.IntN(len(greetings))]
	if had != "" && r.IntN(2) == 0 {
		g = "" // the first writer greeted, the second does not
	}
	return g + s + closings[r.IntN(len(closings))]
}

var punctSwap = map[rune][]string{
	'，': {",", " ", "", "。"}, '。': {".", " ", "", "！"}, '！': {"!", "", "!!!"}, '？': {"?", "", "??"},
	'：': {":", " ", ""}, '；': {";", ",", ""}, '、': {",", " ", ""}, '（': {"(", " ", ""}, '）': {")", " ", ""},
	'“': {"\"", "「", ""}, '”': {"\"", "」", ""}, ',': {"，", " "}, '.': {"。", ""}, ':': {"："},
}

// repunct changes punctuation, widens ASCII letters and digits, and inserts spaces and
// line breaks: nothing a normaliser should see.
func repunct(r *rand.Rand, s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case punctSwap[c] != nil:
			alt := punctSwap[c]
			b.WriteString(alt[r.IntN(len(alt))])
		case c > ' ' && c < 0x7f && r.IntN(2) == 0:
			b.WriteRune(c + 0xFEE0) // full-width form
		default:
			b.WriteRune(c)
		}
		if r.IntN(40) == 0 {
			b.WriteString([]string{" ", "\n", "　", "  "}[r.IntN(4)])
		}
	}
	return b.String()
}

// typos makes one edit per `every` runes on average: swap with the next rune, drop, or
// replace by a random rune of the same text.
func typos(r *rand.Rand, s string, every int) string {
	rs := []rune(s)
	pool := rs
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		if r.IntN(every) != 0 {
			out = append(out, rs[i])
			continue
		}
		switch r.IntN(3) {
		case 0: // swap
			if i+1 < len(rs) {
				out = append(out, rs[i+1], rs[i])
				i++
			} else {
				out = append(out, rs[i])
			}
		case 1: // drop
		case 2: // replace
			out = append(out, pool[r.IntN(len(pool))])
		}
	}
	return string(out)
}
