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

// New wraps a pool built by OpenPool. The catalog is empty until LoadCatalog runs.
func New(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.Default()
	}
	s := &Store{pool: pool, log: log}
	s.catalog.Store(&Catalog{byID: map[string]*Layer{}})
	return s
}

// Pool exposes the pool for statistics (metrics); queries go through Store methods.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

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
