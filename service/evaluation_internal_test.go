package service

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gridloop/gridloop/evaluation"
)

// TestRankRowsOf: the fast ranking equals evaluation.Rank, ties and unscored rows
// included.
func TestRankRowsOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{5, 300, 2000} {
		rows := map[string]evaluation.Counters{}
		for i := range n {
			var c evaluation.Counters
			if rng.IntN(10) > 0 { // some rows without data
				c.ShouldHandle = int64(1 + rng.IntN(3))
				c.Handled = int64(rng.IntN(int(c.ShouldHandle) + 1))
				c.HandledOnTime = int64(rng.IntN(int(c.Handled) + 1))
			}
			id := fmt.Sprint(rng.IntN(5 * n))
			if i%7 == 0 {
				id = fmt.Sprintf("g%03d", rng.IntN(n))
			}
			rows[id] = c
		}
		w := evaluation.DefaultWeights("department")
		var want []rankedRow
		for _, r := range evaluation.Rank(rows, w) {
			want = append(want, rankedRow{ID: r.ID, Rank: r.Rank, Score: r.Score, Scored: r.Scored})
		}
		if got := rankRowsOf(rows, w); !reflect.DeepEqual(got, want) {
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("%d rows: row %d: got %+v, want %+v", n, i, got[i], want[i])
				}
			}
			t.Fatalf("%d rows differ", n)
		}
	}
}
