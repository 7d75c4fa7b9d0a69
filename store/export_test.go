package store

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Exported for the package's external tests (package store_test), which can import storetest.

// NewForTest wraps a pool the test built itself (with a tracer, say) in a store.
func NewForTest(pool *pgxpool.Pool, log *slog.Logger) *Store { return newStore(pool, log) }

// AsOfRelationForTest is asOfRelation, for a test that counts what it holds.
func (l *Layer) AsOfRelationForTest(param string) string { return l.asOfRelation(param) }

// QueryTileForTest runs a statement the way RenderTile runs the tile statement, for the tests of
// cancellation and time-outs, which need a statement that takes long.
func (s *Store) QueryTileForTest(ctx context.Context, sql string) ([]byte, error) {
	return s.queryTile(ctx, sql, nil)
}

// TileSQLForTest is the statement RenderTile would run for q.
func TileSQLForTest(q TileQuery) (string, []any, error) { return tileSQL(q) }
