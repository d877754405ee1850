package store

import (
	"slices"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/worktime"
)

func TestCategories(t *testing.T) {
	t.Parallel()
	manhole := gridloop.Category{
		Code: "0101", Kind: gridloop.KindComponent, MajorCode: "01", MajorName: "公用设施", Name: "井盖",
		FilingCondition: "井盖缺失、破损", ClosingCondition: "井盖完好",
		HandlingLimit: worktime.Limit{Value: 4, Unit: worktime.WorkHour},
		UrgentLimit:   worktime.Limit{Value: 2, Unit: worktime.Hour},
		ResponseLimit: worktime.Limit{Value: 30, Unit: worktime.Minute},
		Urgent:        true, Public: true, Keywords: "井盖 窨井", Active: true,
	}
	litter := gridloop.Category{
		Code: "0201", Kind: gridloop.KindEvent, Name: "暴露垃圾",
		HandlingLimit: worktime.Limit{Value: 1, Unit: worktime.WorkDay},
		ResponseLimit: worktime.Limit{Value: 1, Unit: worktime.Hour},
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		update(t, db, func(tx *Tx) error {
			for _, c := range []gridloop.Category{litter, manhole} {
				if err := tx.PutCategory(ctx, &c); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx *Tx) error {
			got, err := tx.Categories(ctx)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Categories", got, []gridloop.Category{manhole, litter})
			c, err := tx.CategoryByCode(ctx, "0201")
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "CategoryByCode", *c, litter)
			_, err = tx.CategoryByCode(ctx, "9999")
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})

		// Putting a category with a known code updates it.
		changed := manhole
		changed.Name, changed.Active, changed.Urgent = "井盖（雨水）", false, false
		changed.UrgentLimit = worktime.Limit{}
		changed.HandlingLimit = worktime.Limit{Value: 2, Unit: worktime.WorkDay}
		update(t, db, func(tx *Tx) error { return tx.PutCategory(ctx, &changed) })
		view(t, db, func(tx *Tx) error {
			got, err := tx.Categories(ctx)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Categories after update", got, []gridloop.Category{changed, litter})
			return nil
		})
	})
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		bureau := gridloop.Department{Code: "B01", Name: "市政市容委", Kind: gridloop.DeptBureau}
		street := gridloop.Department{Code: "S01", Name: "建外街道", Kind: gridloop.DeptStreet, AreaCode: "110105001"}
		update(t, db, func(tx *Tx) error {
			if err := tx.InsertDepartment(ctx, &street); err != nil {
				return err
			}
			if err := tx.InsertDepartment(ctx, &bureau); err != nil {
				return err
			}
			return nil
		})
		community := gridloop.Department{ParentID: street.ID, Code: "S01C01", Name: "永安里社区", Kind: gridloop.DeptCommunity, AreaCode: "110105001001"}
		update(t, db, func(tx *Tx) error { return tx.InsertDepartment(ctx, &community) })
		if street.ID == 0 || bureau.ID == 0 || community.ID == 0 || street.ID == bureau.ID {
			t.Fatalf("ids not set: %d %d %d", street.ID, bureau.ID, community.ID)
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.Departments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Departments", got, []gridloop.Department{bureau, street, community})
			d, err := tx.DepartmentByCode(ctx, "S01C01")
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "DepartmentByCode", *d, community)
			d, err = tx.DepartmentByID(ctx, bureau.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "DepartmentByID", *d, bureau)
			_, err = tx.DepartmentByCode(ctx, "nope")
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})

		community.Name, community.ParentID, community.Kind = "永安里社区居委会", bureau.ID, gridloop.DeptSection
		update(t, db, func(tx *Tx) error { return tx.UpdateDepartment(ctx, &community) })
		view(t, db, func(tx *Tx) error {
			d, err := tx.DepartmentByCode(ctx, "S01C01")
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "after UpdateDepartment", *d, community)
			return nil
		})

		for name, c := range map[string]struct {
			fn   func(tx *Tx) error
			code string
		}{
			"insert duplicate code": {func(tx *Tx) error {
				return tx.InsertDepartment(ctx, &gridloop.Department{Code: "B01", Name: "x", Kind: gridloop.DeptBureau})
			}, gridloop.ECONFLICT},
			"update to a used code": {func(tx *Tx) error {
				d := bureau
				d.Code = "S01"
				return tx.UpdateDepartment(ctx, &d)
			}, gridloop.ECONFLICT},
			"update missing": {func(tx *Tx) error {
				return tx.UpdateDepartment(ctx, &gridloop.Department{ID: 999, Code: "X", Name: "x", Kind: gridloop.DeptBureau})
			}, gridloop.ENOTFOUND},
			"missing parent": {func(tx *Tx) error {
				return tx.InsertDepartment(ctx, &gridloop.Department{ParentID: 999, Code: "X", Name: "x", Kind: gridloop.DeptBureau})
			}, gridloop.EINVALID},
			"own parent": {func(tx *Tx) error {
				d := bureau
				d.ParentID = d.ID
				return tx.UpdateDepartment(ctx, &d)
			}, gridloop.EINVALID},
		} {
			err := db.Update(ctx, c.fn)
			if gridloop.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		li := gridloop.User{
			Name: "lisi", DisplayName: "李四", Roles: []gridloop.Role{gridloop.RoleDispatcher, gridloop.RoleSupervisor},
			AreaScope: []string{"110105", "110106"}, DeptScope: []int64{3, 4}, CreatedAt: at(0),
		}
		wang := gridloop.User{Name: "wangwu", DisplayName: "王五", CreatedAt: at(1)}
		update(t, db, func(tx *Tx) error {
			if err := tx.InsertUser(ctx, &wang, "hash-w"); err != nil {
				return err
			}
			return tx.InsertUser(ctx, &li, "hash-l")
		})
		view(t, db, func(tx *Tx) error {
			u, hash, err := tx.UserByName(ctx, "lisi")
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "UserByName", *u, li)
			if hash != "hash-l" {
				t.Errorf("password hash %q", hash)
			}
			u, err = tx.UserByID(ctx, wang.ID)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "UserByID", *u, wang)
			all, err := tx.Users(ctx)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Users", all, []gridloop.User{li, wang})
			_, _, err = tx.UserByName(ctx, "nobody")
			wantCode(t, err, gridloop.ENOTFOUND)
			_, err = tx.UserByID(ctx, 999)
			wantCode(t, err, gridloop.ENOTFOUND)
			return nil
		})

		li.DisplayName, li.Roles, li.AreaScope, li.DeptScope = "李四（值班）", []gridloop.Role{gridloop.RoleShiftLead}, nil, []int64{5}
		update(t, db, func(tx *Tx) error {
			if err := tx.UpdateUser(ctx, &li); err != nil {
				return err
			}
			return tx.SetPassword(ctx, li.ID, "hash-l2")
		})
		view(t, db, func(tx *Tx) error {
			u, hash, err := tx.UserByName(ctx, "lisi")
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "after UpdateUser", *u, li)
			if hash != "hash-l2" {
				t.Errorf("password hash after SetPassword %q", hash)
			}
			return nil
		})
		for name, c := range map[string]struct {
			fn   func(tx *Tx) error
			code string
		}{
			"duplicate name":      {func(tx *Tx) error { return tx.InsertUser(ctx, &gridloop.User{Name: "lisi"}, "") }, gridloop.ECONFLICT},
			"update missing":      {func(tx *Tx) error { return tx.UpdateUser(ctx, &gridloop.User{ID: 999}) }, gridloop.ENOTFOUND},
			"password of missing": {func(tx *Tx) error { return tx.SetPassword(ctx, 999, "x") }, gridloop.ENOTFOUND},
			"token of missing user": {func(tx *Tx) error {
				return tx.InsertToken(ctx, &gridloop.Token{UserID: 999, Hash: "x"})
			}, gridloop.EINVALID},
			"revoke missing token": {func(tx *Tx) error { return tx.RevokeToken(ctx, 999, at(0)) }, gridloop.ENOTFOUND},
		} {
			err := db.Update(ctx, c.fn)
			if gridloop.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}

		// Tokens.
		tokens := map[string]*gridloop.Token{
			"forever":  {UserID: li.ID, Name: "cli", Hash: "h-forever", CreatedAt: at(0)},
			"valid":    {UserID: li.ID, Name: "web", Hash: "h-valid", ExpiresAt: ptr(at(60)), CreatedAt: at(0)},
			"expired":  {UserID: li.ID, Name: "old", Hash: "h-expired", ExpiresAt: ptr(at(10)), CreatedAt: at(0)},
			"revoked":  {UserID: li.ID, Name: "lost", Hash: "h-revoked", CreatedAt: at(0)},
			"disabled": {UserID: wang.ID, Name: "web", Hash: "h-disabled", CreatedAt: at(0)},
		}
		update(t, db, func(tx *Tx) error {
			for _, tok := range tokens {
				if err := tx.InsertToken(ctx, tok); err != nil {
					return err
				}
			}
			if err := tx.RevokeToken(ctx, tokens["revoked"].ID, at(5)); err != nil {
				return err
			}
			if err := tx.RevokeToken(ctx, tokens["revoked"].ID, at(6)); err != nil { // again: no change
				return err
			}
			wang.Disabled = true
			return tx.UpdateUser(ctx, &wang)
		})
		err := db.Update(ctx, func(tx *Tx) error {
			return tx.InsertToken(ctx, &gridloop.Token{UserID: li.ID, Hash: "h-valid", CreatedAt: at(0)})
		})
		wantCode(t, err, gridloop.ECONFLICT)

		now := at(30)
		for name, ok := range map[string]bool{"forever": true, "valid": true, "expired": false, "revoked": false, "disabled": false} {
			view(t, db, func(tx *Tx) error {
				u, tok, err := tx.UserByToken(ctx, tokens[name].Hash, now)
				if !ok {
					if gridloop.ErrorCode(err) != gridloop.EUNAUTHORIZED {
						t.Errorf("token %s: %v, want EUNAUTHORIZED", name, err)
					}
					return nil
				}
				if err != nil {
					t.Fatalf("token %s: %v", name, err)
				}
				equal(t, "user of token "+name, *u, li)
				equal(t, "token "+name, *tok, *tokens[name])
				return nil
			})
		}
		view(t, db, func(tx *Tx) error {
			_, _, err := tx.UserByToken(ctx, "h-valid", at(60)) // expires at 60
			wantCode(t, err, gridloop.EUNAUTHORIZED)
			_, _, err = tx.UserByToken(ctx, "unknown", now)
			wantCode(t, err, gridloop.EUNAUTHORIZED)
			list, err := tx.Tokens(ctx, li.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tok := range list {
				names = append(names, tok.Name)
			}
			slices.Sort(names)
			equal(t, "Tokens (not revoked)", names, []string{"cli", "old", "web"})
			return nil
		})
		update(t, db, func(tx *Tx) error { return tx.TouchToken(ctx, tokens["valid"].ID, now) })
	})
}

func TestSpecialDaysAndSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		days := []worktime.SpecialDay{
			{Date: "2025-10-01", Kind: worktime.Holiday, Name: "国庆节"},
			{Date: "2025-09-28", Kind: worktime.Workday, Name: "国庆节调休"},
			{Date: "2025-10-02", Kind: worktime.Holiday},
		}
		update(t, db, func(tx *Tx) error {
			for _, d := range days {
				if err := tx.PutSpecialDay(ctx, d); err != nil {
					return err
				}
			}
			// Putting a day again replaces it.
			return tx.PutSpecialDay(ctx, worktime.SpecialDay{Date: "2025-10-02", Kind: worktime.Holiday, Name: "国庆节"})
		})
		view(t, db, func(tx *Tx) error {
			got, err := tx.SpecialDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "SpecialDays", got, []worktime.SpecialDay{days[1], days[0], {Date: "2025-10-02", Kind: worktime.Holiday, Name: "国庆节"}})
			return nil
		})
		update(t, db, func(tx *Tx) error { return tx.DeleteSpecialDay(ctx, "2025-10-01") })
		err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteSpecialDay(ctx, "2025-10-01") })
		wantCode(t, err, gridloop.ENOTFOUND)
		for _, bad := range []worktime.SpecialDay{
			{Date: "2025-13-01", Kind: worktime.Holiday},
			{Date: "2025/10/01", Kind: worktime.Holiday},
			{Date: "2025-10-03", Kind: "vacation"},
		} {
			err := db.Update(ctx, func(tx *Tx) error { return tx.PutSpecialDay(ctx, bad) })
			wantCode(t, err, gridloop.EINVALID)
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.SpecialDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Date != "2025-09-28" || got[1].Date != "2025-10-02" {
				t.Errorf("SpecialDays after delete: %v", got)
			}
			return nil
		})

		// Settings.
		update(t, db, func(tx *Tx) error {
			if err := tx.PutSetting(ctx, "site.name", "网格通"); err != nil {
				return err
			}
			if err := tx.PutSetting(ctx, "empty", ""); err != nil {
				return err
			}
			return tx.PutSetting(ctx, "site.name", "城市网格") // replaces
		})
		view(t, db, func(tx *Tx) error {
			for _, c := range []struct {
				key, want string
				ok        bool
			}{{"site.name", "城市网格", true}, {"empty", "", true}, {"missing", "", false}} {
				v, ok, err := tx.Setting(ctx, c.key)
				if err != nil || v != c.want || ok != c.ok {
					t.Errorf("Setting(%s) = %q, %v, %v; want %q, %v", c.key, v, ok, err, c.want, c.ok)
				}
			}
			return nil
		})
	})
}
