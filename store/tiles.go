package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// QuoteIdent quotes a (possibly qualified) SQL identifier, for SQL that other packages build from
// catalog names without importing pgx.
func QuoteIdent(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// cancelGrace is how long a statement may keep running after the server was asked to cancel it
// before its connection is abandoned instead.
const cancelGrace = 5 * time.Second

// TileMVT runs one tile statement built by package tiles (one row, one bytea column) and returns
// the tile, empty when it has no feature.
//
// When ctx ends first — the client went away or the tile's time ran out — the server is asked to
// cancel the statement (a PostgreSQL cancel request), so the backend stops working and the
// connection goes back to the pool. pgx's default of closing the socket would leave the backend
// rendering a tile nobody reads. The error then wraps ctx's error; a statement the server stopped
// for its own statement_timeout wraps ErrTimeout.
func (s *Store) TileMVT(ctx context.Context, sql string, args ...any) ([]byte, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: tile: %w", Classify(err))
	}
	defer conn.Release()

	qctx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		cctx, done := context.WithTimeout(qctx, cancelGrace)
		defer done()
		if err := conn.Conn().PgConn().CancelRequest(cctx); err != nil {
			abandon() // the server cannot be told: drop the connection instead
			return
		}
		// If the server has not stopped within the grace period, drop the connection.
		time.AfterFunc(cancelGrace, abandon)
	})

	var tile []byte
	err = conn.QueryRow(qctx, sql, args...).Scan(&tile)
	if !stop() {
		// The cancel request is in flight or done. Wait for it, so that it can never reach the
		// connection's next statement once the connection is back in the pool (a backend that
		// is idle when the cancel arrives ignores it).
		<-cancelled
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("store: tile: %w", ctx.Err())
		}
		return nil, fmt.Errorf("store: tile: %w", Classify(err))
	}
	return tile, nil
}

// NewCatalog makes a catalog snapshot from layers, for tests and tools that need one without a
// database; the layers are ordered by id as LoadCatalog orders them.
func NewCatalog(layers ...*Layer) *Catalog {
	c := &Catalog{byID: make(map[string]*Layer, len(layers)), order: slices.Clone(layers)}
	slices.SortFunc(c.order, func(a, b *Layer) int { return strings.Compare(a.ID, b.ID) })
	for _, l := range layers {
		c.byID[l.ID] = l
	}
	return c
}
