package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one line of the audit log: who did what, when, to which case (if
// any) or other target, from which address, with details as a JSON object.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	ActorID  int64     `json:"actor_id,omitempty"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	CaseCode string    `json:"case_code,omitempty"`
	Target   string    `json:"target,omitempty"`
	Details  string    `json:"details"` // a JSON object
	Address  string    `json:"address,omitempty"`
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Action   string // exact, or a prefix ending in "." ("signin.")
	ActorID  int64
	Actor    string
	CaseCode string
	Since    *time.Time
	Until    *time.Time
	Limit    int // default 100, at most 1000
	Offset   int
}

// InsertAudit appends an entry to the audit log and sets its id (and its time if
// zero).
func (tx *Tx) InsertAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = normTime(e.At)
	if e.Details == "" {
		e.Details = "{}"
	}
	var actor sql.NullInt64
	if e.ActorID != 0 {
		actor = sql.NullInt64{Int64: e.ActorID, Valid: true}
	}
	err := tx.queryRow(ctx, `INSERT INTO audit_log (at, actor_id, actor, action, case_code, target, details, address)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tx.timeArg(e.At), actor, e.Actor, e.Action, e.CaseCode, e.Target, e.Details, e.Address).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("store: insert audit entry: %w", err)
	}
	return nil
}

// AuditLog returns the entries f selects, newest first, and how many there are, counted
// up to CountCap+1 as the case lists are: every sign-in is recorded, so the log grows by
// hundreds of thousands a year.
func (tx *Tx) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error) {
	var conds []string
	var args []any
	switch {
	case strings.HasSuffix(f.Action, "."):
		conds = append(conds, `action LIKE ? ESCAPE '\'`)
		args = append(args, escapeLike(f.Action)+"%")
	case f.Action != "":
		conds = append(conds, `action = ?`)
		args = append(args, f.Action)
	}
	if f.ActorID != 0 {
		conds = append(conds, `actor_id = ?`)
		args = append(args, f.ActorID)
	}
	if f.Actor != "" {
		conds = append(conds, `actor = ?`)
		args = append(args, f.Actor)
	}
	if f.CaseCode != "" {
		conds = append(conds, `case_code = ?`)
		args = append(args, f.CaseCode)
	}
	if f.Since != nil {
		conds = append(conds, `at >= ?`)
		args = append(args, tx.timeArg(*f.Since))
	}
	if f.Until != nil {
		conds = append(conds, `at < ?`)
		args = append(args, tx.timeArg(*f.Until))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	total, err := tx.countUpTo(ctx, `audit_log`+where, args, CountCap+1)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count audit entries: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	} else if limit > 1000 {
		limit = 1000
	}
	rows, err := tx.query(ctx, `SELECT id, at, actor_id, actor, action, case_code, target, details, address
		FROM audit_log`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at nullTime
		var actor sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &actor, &e.Actor, &e.Action, &e.CaseCode, &e.Target, &e.Details, &e.Address); err != nil {
			return nil, 0, fmt.Errorf("store: audit log: %w", err)
		}
		e.At, e.ActorID = at.Time, actor.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	return out, total, nil
}
