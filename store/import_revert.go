package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/importer"
)

// RevertResult says what a revert did.
type RevertResult struct {
	ID           int64 `json:"id"`
	Deleted      int64 `json:"deleted"`    // features the import had inserted
	Restored     int64 `json:"restored"`   // features it had updated, back at their previous version
	Reinserted   int64 `json:"reinserted"` // features it had deleted (replace mode), back again
	LayerRemoved bool  `json:"layer_removed,omitempty"`
}

// RevertImport restores the state before import id, in one transaction, using the change feed
// (which records every feature the import touched, with its version) and the history tables:
// features it inserted are deleted, features it updated get their previous version back (as a
// new version: history keeps everything), features it deleted in replace mode are inserted
// again with their old ids. A layer the import created is removed when it is empty again.
//
// It refuses with ErrConflict when a feature the import touched was changed after it (by
// another import or any other writer): reverting would silently throw that change away. Revert
// the later change first. Re-inserted features start again at version 1, since the database
// numbers the versions of a new row itself; their earlier versions stay in history.
func (s *Store) RevertImport(ctx context.Context, id int64, actor string) (RevertResult, error) {
	res := RevertResult{ID: id}
	var layerRemoved bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var layerID, mode, state string
		var counts []byte
		err := tx.QueryRow(ctx, `SELECT layer_id, mode, state, counts FROM imports WHERE id = $1`, id).Scan(&layerID, &mode, &state, &counts)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientError(ErrNotFound, "no import %d", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT `+serverStopsWithClient+`, set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true), set_config('gisd.actor', $1, true),
			set_config('gisd.import_id', '', true), pg_advisory_xact_lock($2, hashtext($3))`,
			actor, lockImportLayer, layerID); err != nil {
			return err
		}
		// Read the state again under the layer's lock: a concurrent revert has finished by now.
		if err := tx.QueryRow(ctx, `SELECT state FROM imports WHERE id = $1 FOR UPDATE`, id).Scan(&state); err != nil {
			return err
		}
		switch {
		case mode == "demo":
			return clientError(ErrConflict, "the demo is not reverted; load the demo again instead")
		case state == importer.StateReverted:
			return clientError(ErrConflict, "import %d is already reverted", id)
		case state == importer.StateRunning:
			return clientError(ErrConflict, "import %d is still running; cancel it instead", id)
		case state != importer.StateCommitted:
			return clientError(ErrConflict, "import %d did not commit (state %s), so there is nothing to revert", id, state)
		}
		var c importer.Counts
		_ = json.Unmarshal(counts, &c)
		var tableName string
		var generic bool
		var attrsJSON []byte
		err = tx.QueryRow(ctx, `SELECT storage = 'generic', coalesce(table_name, 'layer_features'), attributes FROM layers WHERE id = $1`,
			layerID).Scan(&generic, &tableName, &attrsJSON)
		if err != nil {
			return fmt.Errorf("layer %s: %w", layerID, err)
		}
		var attrs []Attribute
		if err := json.Unmarshal(attrsJSON, &attrs); err != nil {
			return fmt.Errorf("layer %s: attributes: %w", layerID, err)
		}
		// Changed since? Any later change to a feature this import touched.
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (c.feature_id) c.feature_id, d.actor
			FROM changes c JOIN changes d ON d.layer = c.layer AND d.feature_id = c.feature_id AND d.seq > c.seq
			WHERE c.import_id = $1 AND c.layer = $2 ORDER BY c.feature_id, d.seq LIMIT 5`, id, layerID)
		if err != nil {
			return err
		}
		var changed []string
		for rows.Next() {
			var fid int64
			var who string
			if err := rows.Scan(&fid, &who); err != nil {
				return err
			}
			changed = append(changed, fmt.Sprintf("%d (by %s)", fid, who))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(changed) > 0 {
			return clientError(ErrConflict, "features changed after the import: %s; revert those changes first", strings.Join(changed, ", "))
		}

		rel, hist := ident(tableName), ident(tableName+"_history")
		cols := []string{}
		if generic {
			cols = append(cols, "layer_id", "properties")
		} else {
			for _, a := range attrs {
				if !a.Computed && validAttributeName(a.Name) {
					cols = append(cols, a.Name)
				}
			}
		}
		cols = append(cols, "geom", "import_id")
		list := func(alias string) string {
			out := make([]string, len(cols))
			for i, c := range cols {
				out[i] = alias + ident(c)
			}
			return strings.Join(out, ", ")
		}
		tag, err := tx.Exec(ctx, `DELETE FROM `+rel+` WHERE id IN (
			SELECT feature_id FROM changes WHERE import_id = $1 AND layer = $2 AND op = 'insert')`, id, layerID)
		if err != nil {
			return Classify(err)
		}
		res.Deleted = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `INSERT INTO `+rel+` (id, `+list("")+`)
			SELECT h.id, `+list("h.")+` FROM `+hist+` h
			JOIN changes c ON h.id = c.feature_id AND h.version = c.version - 1
			WHERE c.import_id = $1 AND c.layer = $2 AND c.op = 'delete'`, id, layerID)
		if err != nil {
			return Classify(err)
		}
		res.Reinserted = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `UPDATE `+rel+` t SET (`+list("")+`) = ROW(`+list("h.")+`)
			FROM changes c JOIN `+hist+` h ON h.id = c.feature_id AND h.version = c.version - 1
			WHERE c.import_id = $1 AND c.layer = $2 AND c.op = 'update' AND t.id = c.feature_id`, id, layerID)
		if err != nil {
			return Classify(err)
		}
		res.Restored = tag.RowsAffected()
		if c.LayerCreated && generic {
			tag, err := tx.Exec(ctx, `DELETE FROM layers WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM layer_features WHERE layer_id = $1)`, layerID)
			if err != nil {
				return Classify(err)
			}
			layerRemoved = tag.RowsAffected() == 1
			res.LayerRemoved = layerRemoved
		}
		note, _ := json.Marshal(map[string]any{"by": actor, "deleted": res.Deleted,
			"restored": res.Restored, "reinserted": res.Reinserted, "layer_removed": res.LayerRemoved})
		// When, by the database's clock, like every other time of the record (now() would be
		// when this transaction began).
		_, err = tx.Exec(ctx, `UPDATE imports SET state = 'reverted',
			counts = jsonb_set(counts, '{reverted}', $2::jsonb || jsonb_build_object('at', clock_timestamp())) WHERE id = $1`, id, note)
		return err
	})
	if err != nil {
		var dbe *DBError
		if cerr := Classify(err); errors.As(cerr, &dbe) {
			return RevertResult{}, fmt.Errorf("store: revert import %d: %w", id, cerr)
		}
		return RevertResult{}, fmt.Errorf("store: revert import %d: %w", id, err)
	}
	if layerRemoved {
		if _, err := s.LoadCatalog(ctx); err != nil {
			s.log.Warn("revert: reload the catalog", "err", err)
		}
	}
	return res, nil
}
