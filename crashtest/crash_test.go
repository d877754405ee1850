package crashtest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestCrashSafety: a server under concurrent reports is killed with SIGKILL at a random
// moment, three times, and restarted on the same store. After each restart every report
// the client saw acknowledged (201 with a code) is there with its report event, no case
// lacks its event and no event its case, codes are unique, each case has its saved
// answer (the transaction was whole), and replaying acknowledged keys returns the same
// codes without creating anything.
func TestCrashSafety(t *testing.T) {
	build(t)
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b.DSN)
		seed := uint64(time.Now().UnixNano())
		rng := rand.New(rand.NewPCG(seed, 8))
		t.Logf("seed %d", seed)
		var all []ack
		for round := 1; round <= 3; round++ {
			n := c.start(t)
			l := &load{token: c.token, nodes: []*node{n}, workers: 24, prefix: fmt.Sprintf("r%d", round)}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { l.run(stop); close(done) }()
			// Kill only once reports are flowing, at a random moment after that.
			deadline := time.Now().Add(20 * time.Second)
			for len(l.acked()) < 50 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(jitter(rng, 0, 800*time.Millisecond))
			n.kill()
			time.Sleep(50 * time.Millisecond) // let requests to the dead server fail
			close(stop)
			<-done
			acks := l.acked()
			if len(acks) == 0 {
				t.Fatalf("round %d: no report was acknowledged before the kill\n%s", round, n.log)
			}
			all = append(all, acks...)

			n = c.start(t)
			cases := checkStore(t, c.dsn, all)
			checkReplays(t, []*node{n}, c.token, acks, 200)
			if after := checkStore(t, c.dsn, all); after != cases {
				t.Errorf("round %d: replays created %d cases", round, after-cases)
			}
			t.Logf("round %d: %d sent, %d acknowledged before SIGKILL; store has %d cases, all %d acknowledged present",
				round, l.sent, len(acks), cases, len(all))
			n.kill()
			if t.Failed() {
				return
			}
		}
		checkRollups(t, c.dsn)
	})
}
