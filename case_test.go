package gridloop_test

import (
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

// TestStageLight: a stage's clock (natural time) is green below 80 % of its limit,
// yellow to 100 %, red past it, and off without a stage deadline.
func TestStageLight(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	due := start.Add(30 * time.Minute)
	for _, tt := range []struct {
		name  string
		due   *time.Time
		limit time.Duration
		at    time.Duration // after the stage began
		want  worktime.Light
	}{
		{"no stage deadline", nil, 30 * time.Minute, time.Minute, ""},
		{"no limit known", &due, 0, time.Minute, ""},
		{"just begun", &due, 30 * time.Minute, 0, worktime.Green},
		{"under 80 %", &due, 30 * time.Minute, 23 * time.Minute, worktime.Green},
		{"at 80 %", &due, 30 * time.Minute, 24 * time.Minute, worktime.Yellow},
		{"at the deadline", &due, 30 * time.Minute, 30 * time.Minute, worktime.Yellow},
		{"past it", &due, 30 * time.Minute, 30*time.Minute + time.Second, worktime.Red},
		{"days past it", &due, 30 * time.Minute, 72 * time.Hour, worktime.Red},
	} {
		c := gl.Case{StageDue: tt.due}
		if got := c.StageLight(tt.limit, start.Add(tt.at)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
