package ui_test

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// TestAuditLogCountCap: the audit page counts to 2,000 ("共 2000+ 条") and still pages
// past it while pages come back full; under the cap the count is exact.
func TestAuditLogCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		city := newCity(t, b)
		const n = store.CountCap + 12
		err := city.svc.DB.Update(ctx, func(tx *store.Tx) error {
			for i := range n {
				e := &store.AuditEntry{At: time.Now(), Actor: "system", Action: "test.bulk", Details: "{}"}
				if i < 3 {
					e.Action = "test.rare"
				}
				if err := tx.InsertAudit(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		admin := signIn(t, city.url, "admin")
		for _, tc := range []struct {
			query, total string
			rows         int
			more         bool
		}{
			{"?action=test.bulk", "共 2000+ 条", 100, true},
			{"?action=test.bulk&offset=1900", "共 2000+ 条", 100, true},
			{"?action=test.bulk&offset=2000", "共 2000+ 条", n - 3 - 2000, false},
			{"?action=test.rare", "共 3 条", 3, false},
			{"?action=test.", "共 2000+ 条", 100, true},
		} {
			st, body, _ := get(t, admin, city.url+"/admin/audit"+tc.query)
			body = html.UnescapeString(body)
			rows := strings.Count(body, `<td class="code">test.`)
			if st != 200 || !strings.Contains(body, `id="audit-total">`+tc.total+`</p>`) || rows != tc.rows || strings.Contains(body, "offset=") != tc.more {
				t.Errorf("%s: %d, %d rows, total %q wanted, more %v wanted: %.300s", tc.query, st, rows, tc.total, tc.more,
					body[max(strings.Index(body, `id="audit-total"`), 0):])
			}
		}
	})
}
