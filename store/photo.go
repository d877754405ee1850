package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Photo is a stored image: the re-encoded bytes, never the upload as sent.
type Photo struct {
	ID          string    `json:"id"`
	CaseID      int64     `json:"case_id,omitempty"` // 0 until attached to a case
	ContentType string    `json:"content_type"`
	Bytes       []byte    `json:"-"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// InsertPhoto stores a new photo (p.ID chosen by the caller).
func (tx *Tx) InsertPhoto(ctx context.Context, p *Photo) error {
	p.CreatedAt = normTime(p.CreatedAt)
	_, err := tx.exec(ctx, `INSERT INTO photos (id, case_id, content_type, bytes, width, height, sha256, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, nullID(p.CaseID), p.ContentType, p.Bytes, p.Width, p.Height,
		p.SHA256, tx.timeArg(p.CreatedAt))
	return wrap(err, "insert photo", "照片编号重复 (duplicate photo id)")
}

const photoColumns = `id, case_id, content_type, width, height, sha256, created_at`

func scanPhoto(s scanner, extra ...any) (*Photo, error) {
	var p Photo
	var caseID sql.NullInt64
	var created nullTime
	if err := s.Scan(append([]any{&p.ID, &caseID, &p.ContentType, &p.Width, &p.Height, &p.SHA256, &created}, extra...)...); err != nil {
		return nil, err
	}
	p.CaseID, p.CreatedAt = caseID.Int64, created.Time
	return &p, nil
}

// PhotoByID returns a photo with its bytes, or ENOTFOUND.
func (tx *Tx) PhotoByID(ctx context.Context, id string) (*Photo, error) {
	var b []byte
	p, err := scanPhoto(tx.queryRow(ctx, `SELECT `+photoColumns+`, bytes FROM photos WHERE id = ?`, id), &b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("照片不存在 (no such photo)")
	} else if err != nil {
		return nil, fmt.Errorf("store: photo %s: %w", id, err)
	}
	p.Bytes = b
	return p, nil
}

// PhotosMeta returns the photos with ids (without their bytes), in no particular order;
// unknown ids are left out.
func (tx *Tx) PhotosMeta(ctx context.Context, ids []string) ([]Photo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT `+photoColumns+` FROM photos WHERE id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: photos: %w", err)
	}
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, fmt.Errorf("store: photos: %w", err)
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// AttachPhotos sets the case of the photos with ids that have none yet, and returns
// how many it attached. Photos already attached (to this or another case) are left as
// they are.
func (tx *Tx) AttachPhotos(ctx context.Context, caseID int64, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{caseID}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := tx.exec(ctx, `UPDATE photos SET case_id = ? WHERE case_id IS NULL AND id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return 0, wrap(err, "attach photos", "")
	}
	return res.RowsAffected()
}

// DeleteOrphanPhotos removes photos never attached to a case and created before
// before, and returns how many it removed.
func (tx *Tx) DeleteOrphanPhotos(ctx context.Context, before time.Time) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM photos WHERE case_id IS NULL AND created_at < ?`, tx.timeArg(before))
	if err != nil {
		return 0, fmt.Errorf("store: delete orphan photos: %w", err)
	}
	return res.RowsAffected()
}
