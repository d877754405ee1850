package demo

import (
	"container/heap"
	"errors"
	"time"

	"github.com/gridloop/gridloop/service"
)

// timeline runs the demo's cases side by side on the simulated clock. Each case is a
// goroutine, and one runs at a time: the one whose next step is earliest, with the
// service's clock set to that step's time. So the store records everything (case
// codes, events, messages) in the order of the simulated clock, as a live system
// does, and inboxes, timelines and the day's case numbers read in time order. Run
// case by case, every case's whole history was written before the next case's
// report, and a handler's inbox mixed last month with last night.
type timeline struct {
	svc     *service.Service
	queue   wakeups
	seq     int           // ties at one instant run in the order they were queued
	yielded chan struct{} // the running case has queued its next step or finished
	aborted bool          // a case failed: the others stop at their next step
}

// errAborted ends a case whose timeline stopped because another case failed.
var errAborted = errors.New("demo: stopped after another case failed")

type wakeup struct {
	at   time.Time
	seq  int
	wake chan struct{}
}

func newTimeline(svc *service.Service) *timeline {
	return &timeline{svc: svc, yielded: make(chan struct{})}
}

// start runs fn on a goroutine of its own from the simulated time at. Call it before run.
func (tl *timeline) start(at time.Time, fn func(wake chan struct{})) {
	wake := make(chan struct{})
	tl.schedule(at, wake)
	go func() {
		<-wake
		fn(wake)
		tl.yielded <- struct{}{}
	}()
}

// wait is called by the running case: it lets the others run until the simulated time
// at, and reports whether the timeline goes on.
func (tl *timeline) wait(at time.Time, wake chan struct{}) bool {
	tl.schedule(at, wake)
	tl.yielded <- struct{}{}
	<-wake
	return !tl.aborted
}

func (tl *timeline) schedule(at time.Time, wake chan struct{}) {
	heap.Push(&tl.queue, wakeup{at: at, seq: tl.seq, wake: wake})
	tl.seq++
}

// run wakes the earliest case, one at a time, until every case has finished.
func (tl *timeline) run() {
	for tl.queue.Len() > 0 {
		w := heap.Pop(&tl.queue).(wakeup)
		at := w.at
		tl.svc.Now = func() time.Time { return at }
		w.wake <- struct{}{}
		<-tl.yielded
	}
}

// wakeups is a heap of wake-ups, earliest first.
type wakeups []wakeup

func (w wakeups) Len() int { return len(w) }
func (w wakeups) Less(i, j int) bool {
	if !w[i].at.Equal(w[j].at) {
		return w[i].at.Before(w[j].at)
	}
	return w[i].seq < w[j].seq
}
func (w wakeups) Swap(i, j int) { w[i], w[j] = w[j], w[i] }
func (w *wakeups) Push(x any)   { *w = append(*w, x.(wakeup)) }
func (w *wakeups) Pop() any {
	old := *w
	x := old[len(old)-1]
	*w = old[:len(old)-1]
	return x
}
