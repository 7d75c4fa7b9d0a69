package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ImportRecord is one row of the imports table: what was asked, what happened.
type ImportRecord struct {
	ID         int64           `json:"id"`
	Layer      string          `json:"layer"`
	Mode       string          `json:"mode"`
	State      string          `json:"state"`
	Source     string          `json:"source"`
	SRID       *int            `json:"srid"`
	Options    json.RawMessage `json:"options"`
	Actor      string          `json:"actor"`
	Counts     json.RawMessage `json:"counts"`
	Report     json.RawMessage `json:"report,omitempty"`
	Error      string          `json:"error,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	// LeaseUntil is, while the import runs, until when its instance holds it (it renews it).
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
}

const importColumns = `id, layer_id, mode, state, source, srid, options, actor, counts, error, started_at, finished_at, lease_until`

func scanImport(row pgx.Row, withReport bool) (ImportRecord, error) {
	var r ImportRecord
	var errText *string
	dest := []any{&r.ID, &r.Layer, &r.Mode, &r.State, &r.Source, &r.SRID, &r.Options, &r.Actor, &r.Counts, &errText, &r.StartedAt, &r.FinishedAt, &r.LeaseUntil}
	if withReport {
		dest = append(dest, &r.Report)
	}
	if err := row.Scan(dest...); err != nil {
		return ImportRecord{}, err
	}
	if errText != nil {
		r.Error = *errText
	}
	return r, nil
}

// ImportRecord returns import id with its report.
func (s *Store) ImportRecord(ctx context.Context, id int64) (ImportRecord, error) {
	if _, err := s.ReapImports(ctx); err != nil {
		return ImportRecord{}, fmt.Errorf("store: import %d: %w", id, err)
	}
	r, err := scanImport(s.pool.QueryRow(ctx, `SELECT `+importColumns+`, report FROM imports WHERE id = $1`, id), true)
	if errors.Is(err, pgx.ErrNoRows) {
		return ImportRecord{}, fmt.Errorf("store: %w", clientError(ErrNotFound, "no import %d", id))
	}
	if err != nil {
		return ImportRecord{}, fmt.Errorf("store: import %d: %w", id, err)
	}
	return r, nil
}

// ImportQuery selects imports to list, newest first.
type ImportQuery struct {
	Layer  string // "" for all layers
	State  string // "" for all states
	Before int64  // only ids below this (paging); 0 for the newest
	Limit  int    // default 50, at most 1000
}

// ImportRecords lists imports without their reports.
func (s *Store) ImportRecords(ctx context.Context, q ImportQuery) ([]ImportRecord, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 1000)
	if _, err := s.ReapImports(ctx); err != nil {
		return nil, fmt.Errorf("store: imports: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+importColumns+` FROM imports
		WHERE ($1 = '' OR layer_id = $1) AND ($2 = '' OR state = $2) AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, q.Layer, q.State, q.Before, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: imports: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ImportRecord, error) { return scanImport(row, false) })
	if err != nil {
		return nil, fmt.Errorf("store: imports: %w", err)
	}
	if out == nil {
		out = []ImportRecord{}
	}
	return out, nil
}
