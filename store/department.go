package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gridloop/gridloop"
)

const departmentColumns = `id, parent_id, code, name, kind, area_code`

func msgDeptExists(code string) string {
	return fmt.Sprintf("部门代码 %s 已存在 (department code already used)", code)
}

// InsertDepartment stores a new department and sets d.ID. A code already used is
// ECONFLICT; a parent that does not exist is EINVALID.
func (tx *Tx) InsertDepartment(ctx context.Context, d *gridloop.Department) error {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO departments (parent_id, code, name, kind, area_code)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		nullID(d.ParentID), d.Code, d.Name, string(d.Kind), d.AreaCode).Scan(&id)
	if err != nil {
		return wrap(err, "insert department "+d.Code, msgDeptExists(d.Code))
	}
	d.ID = id
	return nil
}

// UpdateDepartment stores d over the department with its id (ENOTFOUND if none).
func (tx *Tx) UpdateDepartment(ctx context.Context, d *gridloop.Department) error {
	if d.ParentID != 0 && d.ParentID == d.ID {
		return gridloop.FieldError("parent_id", "上级部门不能是自己 (a department cannot be its own parent)")
	}
	res, err := tx.exec(ctx, `UPDATE departments SET parent_id = ?, code = ?, name = ?, kind = ?, area_code = ?
		WHERE id = ?`, nullID(d.ParentID), d.Code, d.Name, string(d.Kind), d.AreaCode, d.ID)
	if err != nil {
		return wrap(err, "update department "+d.Code, msgDeptExists(d.Code))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: update department %s: %w", d.Code, err)
	} else if n == 0 {
		return notFound("部门不存在 (department %d not found)", d.ID)
	}
	return nil
}

func scanDepartment(s scanner) (gridloop.Department, error) {
	var d gridloop.Department
	var parent sql.NullInt64
	err := s.Scan(&d.ID, &parent, &d.Code, &d.Name, &d.Kind, &d.AreaCode)
	d.ParentID = parent.Int64
	return d, err
}

// Departments returns every department, ordered by code.
func (tx *Tx) Departments(ctx context.Context) ([]gridloop.Department, error) {
	rows, err := tx.query(ctx, `SELECT `+departmentColumns+` FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: departments: %w", err)
	}
	defer rows.Close()
	var out []gridloop.Department
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: departments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: departments: %w", err)
	}
	return out, nil
}

// DepartmentByCode returns the department with code, or ENOTFOUND.
func (tx *Tx) DepartmentByCode(ctx context.Context, code string) (*gridloop.Department, error) {
	return tx.departmentBy(ctx, `code = ?`, code, code)
}

// DepartmentByID returns the department with id, or ENOTFOUND.
func (tx *Tx) DepartmentByID(ctx context.Context, id int64) (*gridloop.Department, error) {
	return tx.departmentBy(ctx, `id = ?`, id, fmt.Sprint(id))
}

func (tx *Tx) departmentBy(ctx context.Context, where string, arg any, what string) (*gridloop.Department, error) {
	d, err := scanDepartment(tx.queryRow(ctx, `SELECT `+departmentColumns+` FROM departments WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("部门 %s 不存在 (department not found)", what)
	} else if err != nil {
		return nil, fmt.Errorf("store: department %s: %w", what, err)
	}
	return &d, nil
}
