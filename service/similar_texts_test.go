package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// TestSimilarTextsFromStore: the index keeps no description or address; an answer
// carries them as the store has them (the description masked for the public), and a
// description changed by an event is indexed again.
func TestSimilarTextsFromStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		desc := lampText + "，联系电话 13812345678"
		first := c.report(desc, "C0104", lat, lng, "13812345678")
		park := c.report("公园东门的健身器材坏了两个，小孩玩很危险", "C0205", lat+0.0013, lng, "") // 145 m north

		pub := c.similar(nil, lampAgain, "C0104", lat, lng)
		if len(pub) != 1 || pub[0].Code != first.Case.Code {
			t.Fatalf("public: %+v", pub)
		}
		if d := pub[0].Description; strings.Contains(d, "13812345678") || !strings.Contains(d, "138****5678") || !strings.HasPrefix(d, lampText) {
			t.Errorf("public description %q, want it masked", d)
		}
		if pub[0].Address != "曙光路 12 号" {
			t.Errorf("public address %q", pub[0].Address)
		}
		staff := c.similar(c.users["operator"], lampAgain, "C0104", lat, lng)
		if len(staff) != 1 || staff[0].Description != desc || staff[0].Address != "曙光路 12 号" {
			t.Fatalf("staff: %+v", staff)
		}

		// Texts changed in the store without an event: the answers show them as they are.
		edit := func(code string, fn func(*gl.Case)) {
			t.Helper()
			if err := c.db.Update(ctx, func(tx *store.Tx) error {
				cs, err := tx.CaseByCode(ctx, code)
				if err != nil {
					return err
				}
				fn(cs)
				cs.Version++
				return tx.UpdateCase(ctx, cs)
			}); err != nil {
				t.Fatal(err)
			}
		}
		newDesc := lampText + "，今晚还是不亮，电话 13900001111"
		edit(first.Case.Code, func(cs *gl.Case) { cs.Description, cs.Address = newDesc, "杭大路 1 号" })
		pub = c.similar(nil, lampAgain, "C0104", lat, lng)
		if len(pub) != 1 || pub[0].Address != "杭大路 1 号" || !strings.Contains(pub[0].Description, "139****1111") || strings.Contains(pub[0].Description, "13900001111") {
			t.Fatalf("public after the edit: %+v", pub)
		}
		if staff := c.similar(c.users["operator"], lampAgain, "C0104", lat, lng); len(staff) != 1 || staff[0].Description != newDesc {
			t.Fatalf("staff after the edit: %+v", staff)
		}

		// The park case becomes a lamp report. Its indexed signature is still the old
		// text's, which the MinHash pruning drops unread (another category, 145 m away),
		// until an event on it is synced: then the index takes the new text.
		edit(park.Case.Code, func(cs *gl.Case) { cs.Description = lampAgain + "，在公园东门" })
		if got := codes(c.similar(nil, lampAgain, "C0104", lat, lng)); slices.Contains(got, park.Case.Code) {
			t.Fatalf("found by a text not indexed yet: %v", got)
		}
		c.act("shift_lead", park.Case.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0205"})
		if got := codes(c.similar(nil, lampAgain, "C0104", lat, lng)); !slices.Contains(got, park.Case.Code) {
			t.Fatalf("changed description not indexed again: %v", got)
		}
	})
}
