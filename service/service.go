// Package service holds gridloop's use cases. Each one is a single transaction: load,
// apply the workflow, persist the case and its event. Handlers in web/ call these.
package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

// Service is the application: the store plus the rules and caches the use cases need.
type Service struct {
	DB     *store.DB
	Policy workflow.Policy
	Logger *slog.Logger
	// Now is the clock; tests and the demo seeder move it.
	Now func() time.Time
	// OutsidePolicy says what a report outside every unit grid gets: OutsideReject or
	// OutsideUnlocated. Empty means reject when any grid exists, unlocated otherwise.
	OutsidePolicy string
	// Intake tunes the group commit of reports (intake.go); the zero value is the default.
	Intake GroupCommit

	mu       sync.RWMutex
	calendar *worktime.Calendar
	depts    *gl.DeptTree

	hooks      []EventHook  // run in each event's transaction (events.go)
	batchHooks []EventsHook // the same, for a transaction's events together (events.go)

	intake committer  // batches concurrent reports into one commit (intake.go)
	tokens tokenCache // API token → user, for a few seconds (tokens.go)

	geo   atomic.Pointer[locator] // the spatial index in force
	geoMu sync.Mutex              // serializes rebuilds
	maps  mapCache                // what the map pages read (mapdata.go)

	exports exportJobs // export jobs running and done (export.go)

	citizen citizen // similar cases, follow-ups, notifications (citizen.go)

	rollupCache rollupCache // large rollup reads, keyed on the rollups' version (rollupcache.go)
}

// New returns a Service over db with the default policy, and loads its caches.
func New(ctx context.Context, db *store.DB, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{DB: db, Policy: workflow.DefaultPolicy(), Logger: logger, Now: time.Now}
	s.EnableRollups()            // evaluation rollups in each event's transaction (rollups.go)
	s.OnEvent(s.enqueueWebhooks) // the webhook outbox, in each event's transaction (webhook.go)
	s.enableCitizen(ctx)         // similar cases, follow-ups, notifications (citizen.go)
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	if _, err := s.ReloadGeo(ctx, true); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads the calendar and the department tree from the store. Writes through
// this Service call it themselves.
func (s *Service) Reload(ctx context.Context) error {
	var days []worktime.SpecialDay
	var depts []gl.Department
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if days, err = tx.SpecialDays(ctx); err != nil {
			return err
		}
		depts, err = tx.Departments(ctx)
		return err
	})
	if err != nil {
		return err
	}
	cal := worktime.Default()
	if err := cal.SetDays(days); err != nil {
		return err
	}
	s.mu.Lock()
	s.calendar, s.depts = cal, gl.NewDeptTree(depts)
	s.mu.Unlock()
	return nil
}

// Calendar is the working-time calendar in force.
func (s *Service) Calendar() *worktime.Calendar {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.calendar
}

// Depts is the department tree in force.
func (s *Service) Depts() *gl.DeptTree {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.depts
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) env(now time.Time, cat *gl.Category) workflow.Env {
	return workflow.Env{Now: now, Calendar: s.Calendar(), Category: cat, Depts: s.Depts(), Policy: s.policy()}
}
