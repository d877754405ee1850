package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestListCasesCountCap: past CountCap a list's total is CountCap+1, "more", and its
// pages past the cap still come back.
func TestListCasesCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		const n = CountCap + 12
		cases := make([]*gridloop.Case, n)
		for i := range cases {
			cases[i] = minimalCase(fmt.Sprintf("CAP%05d", i))
			// Every case held by departments 1 and 2: a work list of both is counted
			// from case_depts, each case once.
			cases[i].Status = gridloop.StatusDispatched
			cases[i].Assignments = []gridloop.Assignment{{DeptID: 1, Lead: true}, {DeptID: 2}}
			if i%3 == 0 {
				cases[i].Due = ptr(at(i % 50))
			}
			switch {
			case i < 7:
				cases[i].Status = gridloop.StatusClosed
			case i < 10:
				cases[i].Status = gridloop.StatusHandling
			}
		}
		update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, cases) })
		status := cases[n-1].Status
		tests := []struct {
			name      string
			f         CaseFilter
			wantTotal int
			wantItems int
		}{
			{"first page", CaseFilter{Limit: 20}, CountCap + 1, 20},
			{"page past the cap", CaseFilter{Limit: 20, Offset: CountCap}, CountCap + 1, 12},
			{"last, short page", CaseFilter{Limit: 20, Offset: n - 3}, CountCap + 1, 3},
			{"past the end", CaseFilter{Limit: 20, Offset: n}, CountCap + 1, 0},
			{"under the cap: exact", CaseFilter{Limit: 5, Statuses: []gridloop.Status{gridloop.StatusClosed}}, 7, 5},
			{"by status, over", CaseFilter{Limit: 1, Statuses: []gridloop.Status{status}}, CountCap + 1, 1},
			{"work list, over", CaseFilter{Limit: 20, DeptIDs: []int64{1, 2}, Statuses: workStatuses, Order: OrderDueAsc}, CountCap + 1, 20},
			{"work list, page past the cap", CaseFilter{Limit: 20, Offset: CountCap, DeptIDs: []int64{1, 2}, Statuses: workStatuses, Order: OrderDueAsc}, CountCap + 1, n - 7 - CountCap},
			{"work list, past the end", CaseFilter{Limit: 20, Offset: n, DeptIDs: []int64{1}, Statuses: workStatuses, Order: OrderDueAsc}, CountCap + 1, 0},
			{"work list by creation, over", CaseFilter{Limit: 20, DeptIDs: []int64{2}, Statuses: workStatuses}, CountCap + 1, 20},
			{"a department's cases, every state, over", CaseFilter{Limit: 20, DeptIDs: []int64{1}}, CountCap + 1, 20},
			{"a department's cases, page past the cap", CaseFilter{Limit: 20, Offset: CountCap, DeptIDs: []int64{1, 2}}, CountCap + 1, 12},
			{"a department's cases, latest changed first", CaseFilter{Limit: 20, DeptIDs: []int64{2}, Order: OrderUpdatedDesc}, CountCap + 1, 20},
			{"work list, under the cap: exact", CaseFilter{Limit: 5, DeptIDs: []int64{1, 2}, Statuses: []gridloop.Status{gridloop.StatusHandling}}, 3, 3},
		}
		// The probed page is the newest first, as the sorted list was.
		view(t, db, func(tx *Tx) error {
			list, _, err := tx.ListCases(ctx, CaseFilter{Limit: 3, Offset: 1, DeptIDs: []int64{1}})
			if err != nil {
				return err
			}
			var got []string
			for _, c := range list {
				got = append(got, c.Code)
			}
			want := []string{fmt.Sprintf("CAP%05d", n-2), fmt.Sprintf("CAP%05d", n-3), fmt.Sprintf("CAP%05d", n-4)}
			if !slices.Equal(got, want) {
				t.Errorf("a department's newest cases, second to fourth: %v, want %v", got, want)
			}
			return nil
		})
		for _, tt := range tests {
			view(t, db, func(tx *Tx) error {
				list, total, err := tx.ListCases(ctx, tt.f)
				if err != nil {
					return err
				}
				if total != tt.wantTotal || len(list) != tt.wantItems {
					t.Errorf("%s: total %d, %d items; want %d, %d", tt.name, total, len(list), tt.wantTotal, tt.wantItems)
				}
				return nil
			})
		}
	})
}

// TestPublicCasesCountCap: the public board counts to CountCap+1 as the staff lists
// do, its pages past the cap still come back, and it lists the newest report first
// whatever changed since (UpdatedAt runs the other way here).
func TestPublicCasesCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		const n = CountCap + 12
		cases := make([]*gridloop.Case, n)
		for i := range cases {
			cases[i] = minimalCase(fmt.Sprintf("PUB%05d", i))
			cases[i].Status, cases[i].CategoryCode = gridloop.StatusClosed, "C0104"
			cases[i].CreatedAt, cases[i].UpdatedAt = at(i), at(n-i)
			if i < 7 {
				cases[i].Status = gridloop.StatusRegistered
			}
			cases[i].AreaCode = []string{"330106001001", "330106002001"}[i%2]
		}
		update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, cases) })
		public := func(statuses []gridloop.Status, limit, offset int) PublicFilter {
			return PublicFilter{Categories: []string{"C0104"}, Statuses: statuses, Limit: limit, Offset: offset}
		}
		inArea := func(prefix string, limit, offset int) PublicFilter {
			f := public([]gridloop.Status{gridloop.StatusRegistered, gridloop.StatusClosed}, limit, offset)
			f.AreaPrefix = prefix
			return f
		}
		both := []gridloop.Status{gridloop.StatusRegistered, gridloop.StatusClosed}
		tests := []struct {
			name      string
			f         PublicFilter
			wantTotal int
			wantFirst string // "" for no items
			wantItems int
		}{
			{"first page", public(both, 20, 0), CountCap + 1, fmt.Sprintf("PUB%05d", n-1), 20},
			{"page past the cap", public(both, 20, CountCap), CountCap + 1, "PUB00011", 12},
			{"past the end", public(both, 20, n), CountCap + 1, "", 0},
			{"under the cap: exact", public([]gridloop.Status{gridloop.StatusRegistered}, 5, 0), 7, "PUB00006", 5},
			{"under the cap, past the end", public([]gridloop.Status{gridloop.StatusRegistered}, 5, 7), 7, "", 0},
			{"a street, under the cap", inArea("330106001", 20, 0), n / 2, fmt.Sprintf("PUB%05d", n-2), 20},
			{"a street's last page", inArea("330106001", 20, n/2-6), n / 2, "PUB00010", 6},
			{"a district, over the cap", inArea("330106", 20, 0), CountCap + 1, fmt.Sprintf("PUB%05d", n-1), 20},
			{"an area without cases", inArea("330106009", 20, 0), 0, "", 0},
		}
		for _, tt := range tests {
			view(t, db, func(tx *Tx) error {
				list, total, err := tx.PublicCases(ctx, tt.f)
				if err != nil {
					return err
				}
				first := ""
				if len(list) > 0 {
					first = list[0].Code
				}
				if total != tt.wantTotal || len(list) != tt.wantItems || first != tt.wantFirst {
					t.Errorf("%s: total %d, %d items from %q; want %d, %d from %q", tt.name, total, len(list), first, tt.wantTotal, tt.wantItems, tt.wantFirst)
				}
				return nil
			})
		}
	})
}

// TestNotificationLogCountCap: the message log counts up to CountCap+1, a filter's
// matches under the cap exactly, and the inbox's unread up to UnreadCap+1.
func TestNotificationLogCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		now := at(0)
		ns := make([]*Notification, CountCap+12)
		for i := range ns {
			ns[i] = &Notification{RecipientKind: RecipientUser, RecipientID: 7, Recipient: "7", Channel: "inapp",
				Template: "overdue", Body: "超期提醒", Status: NotifySent, NextAt: now, CreatedAt: now, SentAt: &now}
			if i%500 == 0 {
				ns[i].Channel, ns[i].Recipient, ns[i].Status = "sms", "13912345678", NotifyFailed
			}
		}
		update(t, db, func(tx *Tx) error { return tx.InsertNotifications(ctx, ns) })
		view(t, db, func(tx *Tx) error {
			for _, tc := range []struct {
				f    NotificationFilter
				want int
			}{
				{NotificationFilter{}, CountCap + 1},
				{NotificationFilter{Channel: "inapp"}, CountCap + 1},
				{NotificationFilter{Channel: "sms", Status: NotifyFailed}, 5},
			} {
				page, total, err := tx.NotificationLog(ctx, tc.f)
				if err != nil {
					return err
				}
				if total != tc.want || len(page) != min(tc.want, DefaultLimit) || page[0].ID < page[len(page)-1].ID {
					t.Errorf("log %+v: total %d, %d on the page, want %d, newest first", tc.f, total, len(page), tc.want)
				}
			}
			_, unread, err := tx.Inbox(ctx, RecipientUser, 7, 20)
			if err != nil {
				return err
			}
			if unread != UnreadCap+1 {
				t.Errorf("unread counted to %d, want %d", unread, UnreadCap+1)
			}
			return nil
		})
	})
}

// TestAuditLogCountCap: the audit log counts up to CountCap+1; a rare action exactly.
func TestAuditLogCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		update(t, db, func(tx *Tx) error {
			for i := range CountCap + 12 {
				e := &AuditEntry{At: at(i), Actor: "system", Action: "signin.success", Details: "{}"}
				if i%1000 == 0 {
					e.Action = "signin.failure"
				}
				if err := tx.InsertAudit(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx *Tx) error {
			for _, tc := range []struct {
				f    AuditFilter
				want int
			}{
				{AuditFilter{}, CountCap + 1},
				{AuditFilter{Action: "signin."}, CountCap + 1},
				{AuditFilter{Action: "signin.failure"}, 3},
			} {
				items, total, err := tx.AuditLog(ctx, tc.f)
				if err != nil {
					return err
				}
				if total != tc.want || len(items) != min(tc.want, 100) {
					t.Errorf("audit log %+v: total %d, %d items, want %d", tc.f, total, len(items), tc.want)
				}
			}
			return nil
		})
	})
}
