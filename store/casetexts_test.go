package store

import (
	"fmt"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestCaseTexts: CaseTexts returns the description and address of each case asked for,
// open or not, leaves unknown ids out, and reads more than one chunk of 500 ids.
func TestCaseTexts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		var cases []*gridloop.Case
		for i := range 1203 {
			c := minimalCase(fmt.Sprintf("T%05d", i))
			c.Description = fmt.Sprintf("第 %d 号：路灯不亮 '%%_\\", i)
			if i%3 == 0 {
				c.Address = fmt.Sprintf("文三路 %d 号", i)
			}
			if i%5 == 0 {
				c.Status = gridloop.StatusClosed
			}
			cases = append(cases, c)
		}
		for lo := 0; lo < len(cases); lo += 400 {
			part := cases[lo:min(lo+400, len(cases))]
			update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, part) })
		}
		want := func(ids ...int64) map[int64]CaseText {
			out := map[int64]CaseText{}
			for _, c := range cases {
				for _, id := range ids {
					if c.ID == id {
						out[id] = CaseText{Description: c.Description, Address: c.Address}
					}
				}
			}
			return out
		}
		all := make([]int64, 0, len(cases)+1)
		for _, c := range cases {
			all = append(all, c.ID)
		}
		unknown := cases[len(cases)-1].ID + 1000
		for _, tc := range []struct {
			name string
			ids  []int64
			want map[int64]CaseText
		}{
			{"none", nil, map[int64]CaseText{}},
			{"one", []int64{cases[1].ID}, want(cases[1].ID)},
			{"closed and with address", []int64{cases[0].ID, cases[3].ID, cases[5].ID}, want(cases[0].ID, cases[3].ID, cases[5].ID)},
			{"unknown left out", []int64{unknown, cases[7].ID}, want(cases[7].ID)},
			{"only unknown", []int64{unknown}, map[int64]CaseText{}},
			{"repeated", []int64{cases[2].ID, cases[2].ID, cases[4].ID}, want(cases[2].ID, cases[4].ID)},
			{"nine (padded to 16)", all[10:19], want(all[10:19]...)},
			{"64", all[100:164], want(all[100:164]...)},
			{"three chunks", append(all[:len(all):len(all)], unknown), want(all...)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got map[int64]CaseText
				view(t, db, func(tx *Tx) error {
					var err error
					got, err = tx.CaseTexts(ctx, tc.ids)
					return err
				})
				equal(t, "CaseTexts", got, tc.want)
			})
		}
	})
}
