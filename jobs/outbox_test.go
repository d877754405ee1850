package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failed int
		want   time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute},
		{7, 64 * time.Minute}, {8, 2 * time.Hour}, {50, 2 * time.Hour},
	} {
		if got := backoff(time.Minute, 2*time.Hour, tc.failed); got != tc.want {
			t.Errorf("backoff after %d failures = %s, want %s", tc.failed, got, tc.want)
		}
	}
}

// TestWorkClaims: every claim is worked, never more than the concurrency at once, and
// an error is reported without stopping the others.
func TestWorkClaims(t *testing.T) {
	var running, most, done atomic.Int32
	claims := make([]int, 40)
	for i := range claims {
		claims[i] = i
	}
	boom := errors.New("boom")
	err := workClaims(context.Background(), claims, 3, func(_ context.Context, c int) error {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		done.Add(1)
		if c == 17 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || done.Load() != 40 || most.Load() > 3 {
		t.Fatalf("err %v, %d of 40 worked, %d at once at the most (want at most 3)", err, done.Load(), most.Load())
	}
}
