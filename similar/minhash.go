package similar

import "math"

// numHashes is the number of MinHash permutations per signature. With 64, the standard
// error of an estimated Jaccard J is sqrt(J(1−J)/64) ≤ 0.0625; the estimate only ranks
// and prunes candidates, the score itself comes from the exact sets.
const numHashes = 64

// signature is a MinHash signature: for each of the numHashes hash functions, the least
// (top 32 bits of the) hash over the text's shingles.
type signature [numHashes]uint32

// hashA, hashB are the multipliers (odd) and addends of h_i(x) = a_i·x + b_i mod 2⁶⁴,
// applied to the mixed shingle hash; fixed, so signatures are comparable across runs.
var hashA, hashB [numHashes]uint64

func init() {
	s := uint64(0x9E3779B97F4A7C15)
	for i := range numHashes {
		s = splitmix(s)
		hashA[i] = s | 1
		s = splitmix(s)
		hashB[i] = s
	}
}

// splitmix is the SplitMix64 finaliser: a cheap, well-mixing bijection of uint64.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// minhash computes the signature of a shingle set. An empty set gets all ones, which
// matches only other empty sets (and those are never compared: see Similar).
func minhash(set []uint64) (sig signature) {
	for i := range sig {
		sig[i] = math.MaxUint32
	}
	for _, h := range set {
		sig.add(splitmix(h))
	}
	return sig
}

// add takes the shingle with mixed hash x into the signature.
func (sig *signature) add(x uint64) {
	for i := range sig {
		if v := uint32((x*hashA[i] + hashB[i]) >> 32); v < sig[i] {
			sig[i] = v
		}
	}
}

// estimate is the fraction of equal slots: an unbiased estimate of the Jaccard similarity
// of the two sets.
func (s *signature) estimate(o *signature) float64 {
	n := 0
	for i := range s {
		if s[i] == o[i] {
			n++
		}
	}
	return float64(n) / numHashes
}
