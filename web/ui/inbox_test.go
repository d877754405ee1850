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

// TestWorkUnreadCapped: a user who never marks messages read is told "999+", and the
// API's inbox says the count stopped; under the cap the count is exact.
func TestWorkUnreadCapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		city := newCity(t, b)
		u := mustUser(t, city, "supervisor")
		add := func(n int) {
			t.Helper()
			ns := make([]*store.Notification, n)
			now := time.Now()
			for i := range ns {
				ns[i] = &store.Notification{RecipientKind: store.RecipientUser, RecipientID: u.ID, Recipient: "supervisor",
					Channel: "inapp", Template: "overdue", Body: "超期提醒", Status: store.NotifySent, NextAt: now, CreatedAt: now, SentAt: &now}
			}
			if err := city.svc.DB.Update(ctx, func(tx *store.Tx) error { return tx.InsertNotifications(ctx, ns) }); err != nil {
				t.Fatal(err)
			}
		}
		p := city.svc.NewPrincipal(u)
		web := signIn(t, city.url, "supervisor")
		for _, tc := range []struct {
			add    int
			want   int
			capped bool
			page   string
		}{
			{store.UnreadCap - 1, store.UnreadCap - 1, false, "998 条未读"},
			{1, store.UnreadCap, false, "999 条未读"},
			{1, store.UnreadCap, true, "999+ 条未读"},
			{500, store.UnreadCap, true, "999+ 条未读"},
		} {
			add(tc.add)
			in, err := city.svc.StaffInbox(ctx, p, 20)
			if err != nil {
				t.Fatal(err)
			}
			if in.Unread != tc.want || in.UnreadCapped != tc.capped || len(in.Items) != 20 {
				t.Errorf("after %d more: unread %d capped %v (%d items), want %d %v", tc.add, in.Unread, in.UnreadCapped, len(in.Items), tc.want, tc.capped)
			}
			if _, body, _ := get(t, web, city.url+"/work"); !strings.Contains(html.UnescapeString(body), `id="unread">`+tc.page+"</span>") {
				t.Errorf("after %d more: the workbench does not say %q", tc.add, tc.page)
			}
		}
	})
}
