package store

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"
)

// LayerStat is a layer's feature count and extent (lon/lat), read live from the database.
type LayerStat struct {
	Layer  string
	Count  int64
	Extent orb.Bound
	Empty  bool // no features, Extent is meaningless
}

const statColumns = `n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)`

// LayerStats returns the count and extent of every layer in the catalog snapshot, in catalog
// order. Generic layers share one table and are counted in one grouped pass.
func (s *Store) LayerStats(ctx context.Context, c *Catalog) ([]LayerStat, error) {
	generic := map[string]LayerStat{}
	rows, err := s.pool.Query(ctx, `SELECT layer_id, `+statColumns+`
		FROM (SELECT layer_id, count(*) AS n, ST_Extent(geom) AS e FROM layer_features GROUP BY layer_id) x`)
	if err != nil {
		return nil, fmt.Errorf("store: layer stats: %w", Classify(err))
	}
	for rows.Next() {
		var id string
		var st LayerStat
		if err := scanStat(rows, &st, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: layer stats: %w", Classify(err))
		}
		st.Layer = id
		generic[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: layer stats: %w", Classify(err))
	}

	stats := make([]LayerStat, 0, len(c.Layers()))
	for _, l := range c.Layers() {
		st := LayerStat{Layer: l.ID, Empty: true}
		if l.Storage == StorageGeneric {
			if g, ok := generic[l.ID]; ok {
				st = g
			}
		} else {
			row := s.pool.QueryRow(ctx, `SELECT `+statColumns+`
				FROM (SELECT count(*) AS n, ST_Extent(geom) AS e FROM `+l.relation()+`) x`)
			if err := scanStat(row, &st); err != nil {
				return nil, fmt.Errorf("store: layer %s stats: %w", l.ID, Classify(err))
			}
		}
		stats = append(stats, st)
	}
	return stats, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanStat reads statColumns, preceded by the given extra destinations.
func scanStat(row scanner, st *LayerStat, first ...any) error {
	var minx, miny, maxx, maxy *float64
	dest := append(first, &st.Count, &minx, &miny, &maxx, &maxy)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	st.Empty = minx == nil
	if !st.Empty {
		st.Extent = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
	}
	return nil
}
