package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var errNoRows = pgx.ErrNoRows

// Store is gisd's access to its database. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	catalog atomic.Pointer[Catalog]

	listeners listeners
}

// newStore wraps a pool built by openPool. The catalog is empty until LoadCatalog runs.
func newStore(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.Default()
	}
	s := &Store{pool: pool, log: log}
	s.catalog.Store(&Catalog{byID: map[string]*Layer{}})
	return s
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", Classify(err))
	}
	return nil
}

func pgxConnConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: database URL is not a valid PostgreSQL connection string")
	}
	return cfg, nil
}

// withActor runs fn in a transaction whose writes the history records as made by actor.
func (s *Store) withActor(ctx context.Context, actor string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('gisd.actor', $1, true)`, actor); err != nil {
			return err
		}
		return fn(tx)
	})
}
