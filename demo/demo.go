// Package demo fills a new store with a demo city: departments, the default categories,
// one account per role and a few hundred cases spread over every state of the loop, each
// driven through the real workflow so that its history is genuine, side by side on one
// simulated clock (timeline.go) so that the store holds them in time order.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// Password is every demo account's password.
const Password = "gridloop-demo"

// Accounts are the demo users, one per role, named after the role.
var Accounts = []struct {
	Name, Display string
	Role          gl.Role
}{
	{"operator", "受理员 王敏", gl.RoleOperator},
	{"shift_lead", "值班长 李强", gl.RoleShiftLead},
	{"dispatcher", "派遣员 张伟", gl.RoleDispatcher},
	{"handler", "市城管局 刘洋", gl.RoleHandler},
	{"grid_member", "网格员 陈静", gl.RoleGridMember},
	{"supervisor", "督办 赵磊", gl.RoleSupervisor},
	{"admin", "管理员 孙丽", gl.RoleAdmin},
}

const seededKey = "demo_seeded_at"

// overdueTick is how often the simulated deadline clock looks for overdue cases.
const overdueTick = time.Hour

// Seeded reports whether the store already holds the demo city.
func Seeded(ctx context.Context, db *store.DB) (bool, error) {
	var ok bool
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		_, ok, err = tx.Setting(ctx, seededKey)
		return err
	})
	return ok, err
}

// Options shape the demo city.
type Options struct {
	Cases    int    // how many cases; default 400
	Seed     uint64 // random seed, for repeatable demos
	Progress func(done, total int)
	// DataDir holds the shared Hangzhou data (see DataDir); empty means the small
	// hand-made city with random points.
	DataDir string
	// Say reports what the seeder is doing.
	Say func(string)
}

// Seed builds the demo city in svc's store. It is not idempotent: call Seeded first.
func Seed(ctx context.Context, svc *service.Service, opt Options) error {
	if opt.Cases == 0 {
		opt.Cases = 400
	}
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			return fmt.Errorf("category %s: %w", c.Code, err)
		}
	}
	say := func(format string, args ...any) {
		if opt.Say != nil {
			opt.Say(fmt.Sprintf(format, args...))
		}
	}
	var city *City
	if opt.DataDir != "" {
		say("deriving the Hangzhou city from %s", opt.DataDir)
		var err error
		if city, err = BuildHangzhou(opt.DataDir, func(s string) { say("%s", s) }); err != nil {
			return err
		}
	}
	depts, err := seedDepartments(ctx, svc, city == nil)
	if err != nil {
		return err
	}
	var pl *places
	if city != nil {
		if pl, err = seedCity(ctx, svc, city, depts, say); err != nil {
			return err
		}
		say("%s", Counts(svc))
	}
	users, err := seedUsers(ctx, svc, depts)
	if err != nil {
		return err
	}
	realNow := svc.Now
	defer func() { svc.Now = realNow }()
	sim := &simulation{svc: svc, users: users, depts: depts, places: pl, rng: rand.New(rand.NewPCG(opt.Seed, 7)), now: realNow()}
	sim.tl = newTimeline(svc)
	var failed error
	fail := func(err error) {
		if failed == nil {
			failed = err
			sim.tl.aborted = true
		}
	}
	done := 0
	first := sim.now
	for i := range opt.Cases {
		target, at := sim.plan()
		if at.Before(first) {
			first = at
		}
		sim.tl.start(at, func(wake chan struct{}) {
			if err := sim.oneCase(ctx, target, at, wake); err != nil && !errors.Is(err, errAborted) {
				fail(fmt.Errorf("demo case %d: %w", i, err))
			}
			done++
			if opt.Progress != nil {
				opt.Progress(done, opt.Cases)
			}
		})
	}
	// The deadline clock, as serve's job runs it: a case is flagged overdue about when
	// it is, not all cases together when the seeding ends.
	sim.tl.start(first, func(wake chan struct{}) {
		for at := first; ; {
			if _, err := svc.FlagOverdue(ctx); err != nil {
				fail(fmt.Errorf("demo deadline clock: %w", err))
				return
			}
			if at = at.Add(overdueTick); at.After(sim.now) || !sim.tl.wait(at, wake) {
				return
			}
		}
	})
	sim.tl.run()
	svc.Now = realNow
	if failed != nil {
		return failed
	}
	if _, err := svc.FlagOverdue(ctx); err != nil {
		return err
	}
	return svc.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.PutSetting(ctx, seededKey, realNow().UTC().Format(time.RFC3339))
	})
}
