// Package servicetest gives tests the store and the service they drive, fresh.
package servicetest

import (
	"context"
	"testing"

	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// Store opens a migrated store on b, closed when the test ends.
func Store(t testing.TB, b dbtest.Backend) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// New returns a service over a fresh Store on b (svc.DB is the store).
func New(t testing.TB, b dbtest.Backend) *service.Service {
	t.Helper()
	svc, err := service.New(context.Background(), Store(t, b), nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
