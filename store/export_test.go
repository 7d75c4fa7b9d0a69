package store

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Exported for the package's external tests (package store_test), which can import storetest.

// NewForTest wraps a pool the test built itself (with a tracer, say) in a store.
func NewForTest(pool *pgxpool.Pool, log *slog.Logger) *Store { return newStore(pool, log) }
