package similar

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Normalize prepares a complaint text for n-gram comparison: full-width forms become
// half-width (ＡＢＣ１２３ → abc123), Latin letters are lower-cased, and every rune that is
// not a letter or a digit (punctuation, symbols and emoji, whitespace including the
// ideographic space, control and combining marks) is dropped. Chinese needs no
// segmentation: the n-grams are taken over the remaining runes (the first MaxRunes of them;
// Normalize itself does not cut).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r = foldRune(r); r >= 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldRune maps r to its normalised form, or -1 when it is to be dropped.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII variants
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		return -1
	}
	if r >= 0x4E00 && r <= 0x9FFF { // CJK Unified Ideographs: letters without case
		return r
	}
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A')
		}
		return -1
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return unicode.ToLower(r)
	}
	return -1
}

// MaxRunes is how much of a text is compared: the first 1,000 runes after normalisation
// (a long letter states its problem early; it bounds the work per case).
const MaxRunes = 1000

// normRunes is Normalize, cut at MaxRunes, returning runes appended to buf.
func normRunes(s string, buf []rune) []rune {
	n := 0
	for _, r := range s {
		if r = foldRune(r); r >= 0 {
			if n == MaxRunes {
				break
			}
			buf = append(buf, r)
			n++
		}
	}
	return buf
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvRunes is FNV-1a (64-bit) with runes, not bytes, as the units: h = (h ^ r) · prime.
// The 3-gram's hash continues its leading 2-gram's, so both cost three multiplications.
func fnvRunes(rs []rune) uint64 {
	h := uint64(fnvOffset)
	for _, r := range rs {
		h = (h ^ uint64(r)) * fnvPrime
	}
	return h
}

// appendShingles appends the hash of every character 2-gram and 3-gram of the normalised
// runes, in text order, repeats included. A text of one rune is its own only shingle; an
// empty text has none. A hash of 0 (which marks an empty slot in a table) becomes zeroKey.
func appendShingles(norm []rune, out []uint64) []uint64 {
	if len(norm) == 1 {
		return append(out, nonzero(fnvRunes(norm)))
	}
	for i := 0; i+2 <= len(norm); i++ {
		h2 := ((fnvOffset^uint64(norm[i]))*fnvPrime ^ uint64(norm[i+1])) * fnvPrime
		out = append(out, nonzero(h2))
		if i+3 <= len(norm) {
			out = append(out, nonzero((h2^uint64(norm[i+2]))*fnvPrime))
		}
	}
	return out
}

func nonzero(h uint64) uint64 {
	if h == 0 {
		return zeroKey
	}
	return h
}

// shingles returns the sorted, de-duplicated shingle hashes of the normalised runes,
// appended to out[:0].
func shingles(norm []rune, out []uint64) []uint64 {
	out = appendShingles(norm, out[:0])
	slices.Sort(out)
	return slices.Compact(out)
}

// shingleSet is shingles of a raw text.
func shingleSet(s string) []uint64 {
	return shingles(normRunes(s, make([]rune, 0, len(s)/2)), nil)
}

// intersect counts the common elements of two sorted, de-duplicated slices.
func intersect(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// jaccard is |a∩b| / |a∪b| of two sorted sets; 0 when both are empty.
func jaccard(a, b []uint64) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	in := intersect(a, b)
	return float64(in) / float64(len(a)+len(b)-in)
}

// TextSimilarity is the exact Jaccard similarity of the normalised 2- and 3-gram sets of a
// and b: 1 for texts equal after normalisation, 0 for texts with no n-gram in common (or
// both empty).
func TextSimilarity(a, b string) float64 {
	return jaccard(shingleSet(a), shingleSet(b))
}

// minSetSize is the least size the smaller n-gram set counts as in TextOverlap: about a
// five-character text. Two or three characters in common never make a match alone.
const minSetSize = 8

// overlap is the containment of the smaller set in the larger, |A∩B| / max(min(|A|,|B|), 8).
func overlap(in, na, nb int) float64 {
	if in == 0 {
		return 0
	}
	return min(1, float64(in)/float64(max(min(na, nb), minSetSize)))
}

// TextOverlap is the text similarity Similar scores with: the share of the shorter text's
// normalised 2- and 3-grams that also occur in the other text, |A∩B| / min(|A|,|B|), the
// smaller set counted as at least 8 n-grams. Unlike Jaccard it does not punish a short
// report of a problem that a long message describes too ("XX路路灯不亮" against a letter
// about the same lamps); 1 when one text of six characters or more is contained in the
// other (after normalisation).
func TextOverlap(a, b string) float64 {
	sa, sb := shingleSet(a), shingleSet(b)
	return overlap(intersect(sa, sb), len(sa), len(sb))
}

// table is a text's shingle set as an open-addressing hash set, built straight from the
// text without sorting. Built for a query, it counts exactly how many distinct shingles a
// candidate text shares with it (scanning the candidate once: no sort, no allocation).
type table struct {
	keys  []uint64 // 0 marks an empty slot; a real 0 hash is stored as zeroKey
	stamp []uint32 // stamp[i] == gen: slot i already counted for the current candidate
	gen   uint32
	stale bool // stamp does not fit keys yet
	mask  int
	n     int      // distinct shingles
	runes []rune   // scratch
	hs    []uint64 // scratch
}

const zeroKey = 0x8000_0000_0000_0001 // stand-in for a shingle hashing to 0

var tables = sync.Pool{New: func() any { return new(table) }}

// build fills t with the shingles of text (normalised, cut at MaxRunes) and returns the
// text's MinHash signature.
func (t *table) build(text string) (sig signature) {
	rs := normRunes(text, t.runes[:0])
	t.runes = rs
	size := 16
	for size < 4*len(rs) { // 2 shingles per rune, load factor <= 1/2
		size <<= 1
	}
	if cap(t.keys) >= size {
		t.keys = t.keys[:size]
		clear(t.keys)
	} else {
		t.keys = make([]uint64, size)
	}
	t.mask, t.n, t.stale = size-1, 0, true
	for i := range sig {
		sig[i] = math.MaxUint32
	}
	t.hs = appendShingles(rs, t.hs[:0])
next:
	for _, h := range t.hs {
		x := splitmix(h)
		i := int(x) & t.mask
		for t.keys[i] != 0 {
			if t.keys[i] == h {
				continue next // seen: the signature already has it
			}
			i = (i + 1) & t.mask
		}
		t.keys[i] = h
		t.n++
		sig.add(x)
	}
	return sig
}

// intersect counts the distinct shingles of text that are in t.
func (t *table) intersect(text string) int {
	if t.stale {
		if cap(t.stamp) >= len(t.keys) {
			t.stamp = t.stamp[:len(t.keys)]
			clear(t.stamp)
		} else {
			t.stamp = make([]uint32, len(t.keys))
		}
		t.gen, t.stale = 0, false
	}
	t.gen++
	if t.gen == 0 { // wrapped: forget all stamps
		clear(t.stamp)
		t.gen = 1
	}
	rs := normRunes(text, t.runes[:0])
	t.runes = rs
	t.hs = appendShingles(rs, t.hs[:0])
	n := 0
	for _, h := range t.hs {
		for i := int(splitmix(h)) & t.mask; ; i = (i + 1) & t.mask {
			k := t.keys[i]
			if k == h {
				if t.stamp[i] != t.gen {
					t.stamp[i] = t.gen
					n++
				}
				break
			}
			if k == 0 {
				break
			}
		}
	}
	return n
}
