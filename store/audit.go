package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one row of the append-only audit log: every write, and every read that returned
// personal fields.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Caller is who acted: "key:12", "lgsp:<client_id>" (a token of the integration platform)
	// or "anonymous". A key's rows carry its KeyID and KeyName; a token's carry no KeyID, and
	// its caller is stored as the name.
	Caller     string          `json:"caller"`
	KeyID      *int64          `json:"key_id,omitempty"`
	KeyName    string          `json:"key_name,omitempty"`
	RequestID  string          `json:"request_id,omitempty"`
	Method     string          `json:"method"`
	Route      string          `json:"route"`
	Layer      string          `json:"layer,omitempty"`
	FeatureIDs []int64         `json:"feature_ids,omitempty"`
	Filter     string          `json:"filter,omitempty"`
	Personal   bool            `json:"personal"`
	Status     int             `json:"status"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// Audit appends an entry.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.Detail == nil {
		e.Detail = json.RawMessage(`{}`)
	}
	if e.KeyID == nil && strings.HasPrefix(e.Caller, "lgsp:") {
		e.KeyName = e.Caller
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (key_id, key_name, request_id, method, route, layer, feature_ids, filter, personal, status, detail)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7, nullif($8, ''), $9, $10, $11)`,
		e.KeyID, e.KeyName, e.RequestID, e.Method, e.Route, e.Layer, e.FeatureIDs, e.Filter, e.Personal, e.Status, e.Detail)
	if err != nil {
		return fmt.Errorf("store: audit: %w", Classify(err))
	}
	return nil
}

// AuditQuery filters the audit log; zero fields do not filter.
type AuditQuery struct {
	KeyID        *int64
	Caller       string // "key:12", "lgsp:<client_id>" or "anonymous"
	Layer        string
	Since, Until *time.Time
	PersonalOnly bool
	Limit        int
	BeforeID     int64 // paging: entries with a smaller id
}

// AuditLog returns entries, newest first.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		q.Limit = 100
	}
	if id, ok := strings.CutPrefix(q.Caller, "key:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: audit log: %w", invalidf("caller %q is not a key", q.Caller))
		}
		if q.KeyID != nil && *q.KeyID != n {
			return []AuditEntry{}, nil
		}
		q.KeyID, q.Caller = &n, ""
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, key_id, key_name, request_id, method, route, coalesce(layer, ''),
			coalesce(feature_ids, '{}'), coalesce(filter, ''), personal, status, detail
		FROM audit_log
		WHERE ($1::bigint IS NULL OR key_id = $1) AND ($2 = '' OR layer = $2)
		  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
		  AND (NOT $5 OR personal) AND ($6 = 0 OR id < $6)
		  AND ($8 = '' OR key_id IS NULL AND CASE WHEN $8 = 'anonymous' THEN key_name NOT LIKE 'lgsp:%' ELSE key_name = $8 END)
		ORDER BY id DESC LIMIT $7`, q.KeyID, q.Layer, q.Since, q.Until, q.PersonalOnly, q.BeforeID, q.Limit, q.Caller)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", Classify(err))
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.KeyID, &e.KeyName, &e.RequestID, &e.Method, &e.Route, &e.Layer,
			&e.FeatureIDs, &e.Filter, &e.Personal, &e.Status, &e.Detail)
		switch {
		case e.KeyID != nil:
			e.Caller = "key:" + strconv.FormatInt(*e.KeyID, 10)
		case strings.HasPrefix(e.KeyName, "lgsp:"):
			e.Caller = e.KeyName
		default:
			e.Caller = "anonymous"
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", Classify(err))
	}
	if entries == nil {
		entries = []AuditEntry{}
	}
	return entries, nil
}
