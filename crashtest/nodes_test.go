package crashtest

import (
	"context"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/demo"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// TestManyNodes: two `gridloop serve` processes on one PostgreSQL database.
//
//   - Both take reports at once from the same clients: case codes come from one shared
//     per-day counter and must never repeat.
//   - Their deadline clocks start together over the same overdue cases (and a third clock
//     runs in the test process): every overdue case is flagged, each exactly once.
//   - One node is killed with SIGKILL mid-load: nothing acknowledged by either is lost,
//     and the survivor replays the dead node's acknowledged keys with the same codes.
func TestManyNodes(t *testing.T) {
	build(t)
	b := dbtest.Postgres(t)
	ctx := context.Background()
	gridloop(t, "migrate", "-db", b.DSN)

	// A demo city with cases in every state; then the deadlines of the open cases being
	// handled are moved into the past, so that the nodes' clocks find them due.
	db, err := store.Open(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := demo.Seed(ctx, svc, demo.Options{Cases: 240, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	token, err := svc.IssueToken(ctx, "operator", "nodes", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sqldb, _ := openSQL(t, b.DSN)
	res, err := sqldb.ExecContext(ctx, `UPDATE cases SET due = now() - interval '1 day'
		WHERE NOT overdue AND status IN ('dispatched', 'handling')`)
	if err != nil {
		t.Fatal(err)
	}
	due, _ := res.RowsAffected()
	if due < 10 {
		t.Fatalf("only %d open cases to make overdue", due)
	}
	var base int
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	c := &city{dsn: b.DSN, token: token}

	// Both nodes start at once: each runs its deadline clock as soon as it listens.
	n1, n2 := c.startAsync(t), c.startAsync(t)
	clock := make(chan error, 1)
	go func() { _, err := svc.FlagOverdue(ctx); clock <- err }()
	n1.wait(t)
	n2.wait(t)
	if err := <-clock; err != nil && gl.ErrorCode(err) != gl.ECONFLICT {
		t.Errorf("in-process deadline clock: %v", err)
	}

	l := &load{token: c.token, nodes: []*node{n1, n2}, workers: 24, prefix: "nodes"}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { l.run(stop); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(l.acked()) < 200 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n2.kill()
	killedAt := len(l.acked())
	time.Sleep(700 * time.Millisecond) // the survivor goes on alone
	close(stop)
	<-done
	acks := l.acked()
	if len(acks) <= killedAt {
		t.Errorf("no report acknowledged after node 2 died (%d before)", killedAt)
	}

	// Every overdue case flagged, once.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var left int
		if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM cases
			WHERE NOT overdue AND status IN ('dispatched', 'handling') AND due < now()`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d overdue cases still unflagged", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var twice, flagged int
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT case_id FROM events
		WHERE action = 'flag_overdue' GROUP BY case_id HAVING count(*) > 1) x`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("%d cases flagged overdue more than once", twice)
	}
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE action = 'flag_overdue'`).Scan(&flagged); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE overdue`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if flagged != twice {
		t.Errorf("%d flag_overdue events for %d overdue cases", flagged, twice)
	}

	// Nothing acknowledged lost; codes unique; answers whole; replays on the survivor.
	cases := checkStoreBase(t, c.dsn, acks, base)
	checkReplays(t, []*node{n1}, c.token, acks, 300)
	checkRollups(t, c.dsn)
	t.Logf("%d overdue cases flagged once each; %d reports acknowledged by two nodes (%d before node 2 was killed); %d cases",
		due, len(acks), killedAt, cases)
}
