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

// ChangeCursor is a position in the change feed: the commit order of a transaction and the change's
// sequence number inside it. Its text form is "COMMIT.SEQ"; "0" is the beginning.
type ChangeCursor struct {
	Commit int64
	Seq    int64
}

func (c ChangeCursor) String() string {
	if c == (ChangeCursor{}) {
		return "0"
	}
	return strconv.FormatInt(c.Commit, 10) + "." + strconv.FormatInt(c.Seq, 10)
}

// ParseChangeCursor reads a cursor written by ChangeCursor.String.
func ParseChangeCursor(s string) (ChangeCursor, error) {
	if s == "" || s == "0" {
		return ChangeCursor{}, nil
	}
	commit, seq, ok := strings.Cut(s, ".")
	c, err1 := strconv.ParseInt(commit, 10, 64)
	q, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || c < 1 || q < 1 {
		return ChangeCursor{}, fmt.Errorf("store: change cursor %q: %w", s, invalidf("want 0 or a cursor this feed returned"))
	}
	return ChangeCursor{Commit: c, Seq: q}, nil
}

// Change is one entry of the change feed.
type Change struct {
	Cursor    string          `json:"cursor"`
	Op        string          `json:"op"` // insert, update or delete
	Layer     string          `json:"layer"`
	FeatureID int64           `json:"feature_id"`
	Version   int             `json:"version"`
	ChangedAt time.Time       `json:"changed_at"`
	Actor     string          `json:"actor"`
	Feature   json.RawMessage `json:"feature,omitempty"` // the feature after the change; absent for a delete
}

// ChangePage is one page of the feed and the cursor to continue from.
type ChangePage struct {
	Changes []Change `json:"changes"`
	Next    string   `json:"next"`
}

// ChangeQuery selects a page of the feed.
type ChangeQuery struct {
	Since  ChangeCursor
	Layers []*Layer // nil means every layer in the catalog
	Limit  int
	// Attributes returns the attributes of a layer the caller may see in the features.
	Attributes func(*Layer) []Attribute
}

// Changes returns committed changes after q.Since in commit order. Paging by (commit order, seq)
// never skips a change whose transaction committed late (see migration 000004).
func (s *Store) Changes(ctx context.Context, q ChangeQuery) (ChangePage, error) {
	if q.Limit < 1 {
		q.Limit = 1000
	}
	var page ChangePage
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var maxCommit int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(commit_seq), 0) FROM change_tx`).Scan(&maxCommit); err != nil {
			return err
		}
		if q.Since.Commit > maxCommit {
			return fmt.Errorf("store: change cursor %s: %w", q.Since, invalidf("it is ahead of the feed (latest commit %d)", maxCommit))
		}
		layerIDs := make([]string, 0, len(q.Layers))
		for _, l := range q.Layers {
			layerIDs = append(layerIDs, l.ID)
		}
		rows, err := tx.Query(ctx, `
			SELECT t.commit_seq, c.seq, c.op, c.layer, c.feature_id, c.version, c.changed_at, c.actor
			FROM changes c JOIN change_tx t ON t.txid = c.txid
			WHERE t.commit_seq IS NOT NULL AND (t.commit_seq, c.seq) > ($1, $2)
			  AND ($3::text[] IS NULL OR c.layer = ANY($3))
			ORDER BY t.commit_seq, c.seq
			LIMIT $4`, q.Since.Commit, q.Since.Seq, nilIfEmpty(layerIDs, q.Layers == nil), q.Limit)
		if err != nil {
			return err
		}
		var cursors []ChangeCursor
		page.Changes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Change, error) {
			var c Change
			var cur ChangeCursor
			err := row.Scan(&cur.Commit, &cur.Seq, &c.Op, &c.Layer, &c.FeatureID, &c.Version, &c.ChangedAt, &c.Actor)
			c.Cursor = cur.String()
			cursors = append(cursors, cur)
			return c, err
		})
		if err != nil {
			return err
		}
		page.Next = q.Since.String()
		if n := len(cursors); n > 0 {
			page.Next = cursors[n-1].String()
		}
		return s.attachFeatures(ctx, tx, page.Changes, q.Attributes)
	})
	if err != nil {
		return ChangePage{}, fmt.Errorf("store: changes: %w", Classify(err))
	}
	if page.Changes == nil {
		page.Changes = []Change{}
	}
	return page, nil
}

func nilIfEmpty(ids []string, all bool) []string {
	if all {
		return nil
	}
	if ids == nil {
		return []string{}
	}
	return ids
}

// attachFeatures fills in each insert's and update's feature as it was at that version: from the
// layer if it is still the current version, else from the layer's history.
func (s *Store) attachFeatures(ctx context.Context, tx pgx.Tx, changes []Change, attrsOf func(*Layer) []Attribute) error {
	cat := s.Catalog()
	type key struct {
		id      int64
		version int
	}
	byLayer := map[string][]int{}
	for i, c := range changes {
		if c.Op != "delete" {
			byLayer[c.Layer] = append(byLayer[c.Layer], i)
		}
	}
	for layerID, idx := range byLayer {
		l, ok := cat.Layer(layerID)
		if !ok {
			continue // a layer removed from the catalog since: its changes carry no feature
		}
		attrs := l.PublicAttributes()
		if attrsOf != nil {
			attrs = attrsOf(l)
		}
		ids := make([]int64, len(idx))
		versions := make([]int32, len(idx))
		for j, i := range idx {
			ids[j], versions[j] = changes[i].FeatureID, int32(changes[i].Version)
		}
		sql := featureVersionsSQL(l, attrs)
		rows, err := tx.Query(ctx, sql, ids, versions)
		if err != nil {
			return err
		}
		found := map[key]json.RawMessage{}
		for rows.Next() {
			var k key
			var v int32
			var doc []byte
			if err := rows.Scan(&k.id, &v, &doc); err != nil {
				rows.Close()
				return err
			}
			k.version = int(v)
			found[k] = doc
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, i := range idx {
			changes[i].Feature = found[key{changes[i].FeatureID, changes[i].Version}]
		}
	}
	return nil
}

// featureVersionsSQL selects given (id, version) pairs of a layer from its current rows and its
// history, as GeoJSON features. $1 ids, $2 versions (arrays of equal length).
func featureVersionsSQL(l *Layer, attrs []Attribute) string {
	return `WITH wanted AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS w(id, version))
		SELECT f.id, f.version, ` + featureSQL(l, "f", attrs) + `
		FROM ` + l.relation() + ` f JOIN wanted w ON w.id = f.id AND w.version = f.version
		UNION ALL
		SELECT f.id, f.version, ` + featureSQL(l, "f", attrs) + `
		FROM ` + l.historyRelation() + ` f JOIN wanted w ON w.id = f.id AND w.version = f.version`
}
