package service

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridloop/gridloop/evaluation"
)

// TestScorerIsScore: the ranking's scorer gives evaluation.Score's result to the bit,
// for every subject's default weights and for random ones.
func TestScorerIsScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var weights []evaluation.Weights
	for _, subj := range WeightSubjects {
		weights = append(weights, evaluation.DefaultWeights(subj))
	}
	for range 20 {
		w := evaluation.Weights{}
		for _, ind := range evaluation.Indicators {
			if rng.IntN(3) > 0 {
				w[ind.ID] = float64(rng.IntN(40)) / float64(1+rng.IntN(7))
			}
		}
		weights = append(weights, w)
	}
	for _, w := range weights {
		sc := scorerOf(w)
		for range 2000 {
			var c evaluation.Counters
			for _, p := range c.Fields() {
				if rng.IntN(4) > 0 {
					*p = int64(rng.IntN(50))
				}
			}
			got, want := sc.score(&c), evaluation.Score(c, w)
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("weights %v, counters %+v: scorer %v, evaluation.Score %v", w, c, got, want)
			}
		}
	}
}
