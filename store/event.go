package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/gridloop/gridloop"
)

// AppendEvent adds e to the end of its case's history and sets e.ID and e.Seq. The
// event log is append-only: nothing updates or deletes an event, and the database
// refuses to. Two transactions appending to one case at once: one gets ECONFLICT.
func (tx *Tx) AppendEvent(ctx context.Context, e *gridloop.Event) error {
	var data any
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	var id int64
	var seq int
	err := tx.queryRow(ctx, `INSERT INTO events
		(case_id, seq, action, actor_id, actor, role, from_status, to_status, dept_id, note, public, data, at)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE case_id = ?),
			?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id, seq`,
		e.CaseID, e.CaseID, string(e.Action), nullID(e.ActorID), e.Actor, string(e.Role), string(e.From), string(e.To),
		nullID(e.DeptID), e.Note, e.Public, data, tx.timeArg(e.At)).Scan(&id, &seq)
	if err != nil {
		return wrap(err, fmt.Sprintf("append event to case %d", e.CaseID),
			"案件正在被他人处理，请刷新后重试 (another action on the case came first)")
	}
	e.ID, e.Seq = id, seq
	return nil
}

const eventColumns = `id, case_id, seq, action, actor_id, actor, role, from_status, to_status,
	dept_id, note, public, data, at`

func scanEvent(s scanner) (gridloop.Event, error) {
	var (
		e             gridloop.Event
		actorID, dept sql.NullInt64
		data          sql.NullString
		at            nullTime
	)
	err := s.Scan(&e.ID, &e.CaseID, &e.Seq, &e.Action, &actorID, &e.Actor, &e.Role, &e.From, &e.To,
		&dept, &e.Note, &e.Public, &data, &at)
	if err != nil {
		return e, err
	}
	e.ActorID, e.DeptID = actorID.Int64, dept.Int64
	if data.Valid {
		e.Data = json.RawMessage(data.String)
	}
	e.At = at.Time
	return e, nil
}

// Events returns the history of a case in order (nil for a case without events).
func (tx *Tx) Events(ctx context.Context, caseID int64) ([]gridloop.Event, error) {
	rows, err := tx.query(ctx, `SELECT `+eventColumns+` FROM events WHERE case_id = ? ORDER BY seq`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: events of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []gridloop.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: events of case %d: %w", caseID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events of case %d: %w", caseID, err)
	}
	return out, nil
}
