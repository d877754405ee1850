package store

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestZZPlan(t *testing.T) {
	dsn := os.Getenv("ZZ_DSN")
	if dsn == "" {
		t.Skip()
	}
	ctx := t.Context()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	depts := []any{int64(6), int64(7), int64(8), int64(9), int64(10)}
	ph := placeholders(len(depts))
	for _, q := range strings.Split(os.Getenv("ZZ_Q"), ";;") {
		q = strings.ReplaceAll(q, "DEPTS", ph)
		args := []any{}
		for i := 0; i < strings.Count(os.Getenv("ZZ_Q"), "DEPTS"); i++ {
			args = append(args, depts...)
		}
		db.View(ctx, func(tx *Tx) error {
			explain := "EXPLAIN QUERY PLAN "
			if tx.dialect == Postgres {
				explain = "EXPLAIN (ANALYZE, BUFFERS) "
			}
			rows, err := tx.query(ctx, explain+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				rows.Scan(ptrs...)
				fmt.Println(vals...)
			}
			rows.Close()
			t0 := time.Now()
			rows, err = tx.query(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			fmt.Printf("-> %d rows in %v\n\n", n, time.Since(t0))
			return nil
		})
	}
}
