package service

import (
	"context"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// Categories lists every category.
func (s *Service) Categories(ctx context.Context) ([]gl.Category, error) {
	var out []gl.Category
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Categories(ctx)
		return err
	})
	return out, err
}

// PutCategory creates or edits a category.
func (s *Service) PutCategory(ctx context.Context, c *gl.Category) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PutCategory(ctx, c) })
}

// Departments lists every department.
func (s *Service) Departments() []gl.Department { return s.Depts().All() }

// AddDepartment creates a department under d.ParentID (0 for a top-level unit).
func (s *Service) AddDepartment(ctx context.Context, d *gl.Department) error {
	if d.Name == "" {
		return gl.FieldError("name", "部门名称不能为空")
	}
	if d.Code == "" {
		return gl.FieldError("code", "部门代码不能为空")
	}
	if d.ParentID != 0 {
		if _, ok := s.Depts().Get(d.ParentID); !ok {
			return gl.FieldError("parent_id", "上级部门 %d 不存在", d.ParentID)
		}
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.InsertDepartment(ctx, d) })
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

// PutSpecialDays stores holidays and make-up workdays and puts them in force.
func (s *Service) PutSpecialDays(ctx context.Context, days []worktime.SpecialDay) error {
	check := worktime.Default()
	if err := check.SetDays(days); err != nil {
		return gl.FieldError("days", "%v", err)
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, d := range days {
			if err := tx.PutSpecialDay(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}
