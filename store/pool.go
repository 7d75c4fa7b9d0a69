package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config sizes the one pool main opens through Open.
type Config struct {
	URL      string
	MaxConns int32
	// StatementTimeout bounds every statement on the pool's connections; 0 keeps the server's.
	StatementTimeout time.Duration
	// LockTimeout bounds how long a statement waits for a lock, so that requests meeting a layer
	// locked by an offline import (or a migration) fail fast with ErrLocked instead of holding
	// pool connections until their statement timeout; 0 keeps the server's. Imports and
	// reverts wait as long as they need.
	LockTimeout time.Duration
	// AppName shows in pg_stat_activity; empty means "gisd".
	AppName string
	// Logger receives the store's own messages (the change listener's); nil means slog.Default.
	Logger *slog.Logger
}

// ErrNoPostGIS is returned by Open for a database without the PostGIS extension.
var ErrNoPostGIS = errors.New("the database has no PostGIS extension")

// Open builds the connection pool, checks that the database answers and has PostGIS, and returns
// the store on it. The catalog is empty until LoadCatalog runs. Close releases the pool.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return newStore(pool, cfg.Logger), nil
}

// Close closes the pool, waiting for the connections in use to be released.
func (s *Store) Close() { s.pool.Close() }

func openPool(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The parse error may quote the URL, password included; say only what is wrong.
		return nil, fmt.Errorf("store: database URL is not a valid PostgreSQL connection string")
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.AppName == "" {
		cfg.AppName = "gisd"
	}
	pc.ConnConfig.RuntimeParams["application_name"] = cfg.AppName
	if cfg.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(cfg.StatementTimeout.Milliseconds())
	}
	if cfg.LockTimeout > 0 {
		pc.ConnConfig.RuntimeParams["lock_timeout"] = fmt.Sprint(cfg.LockTimeout.Milliseconds())
	}
	// A cancelled request context (a client that went away, a timeout) sends PostgreSQL a cancel
	// request, so the server stops working on a query nobody will read, and the connection
	// survives. pgx's default closes the socket instead, which leaves the backend computing.
	pc.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	pc.AfterConnect = afterConnect
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		if errors.Is(err, ErrNoPostGIS) {
			return nil, err
		}
		return nil, fmt.Errorf("store: database does not answer: %w", err)
	}
	return pool, nil
}

// afterConnect prepares each new connection. Geometry crosses the wire as WKB (bytea) or GeoJSON
// text, so no custom type needs registering; the PostGIS check refuses a database without it with
// a clear error at start instead of an obscure one on the first spatial query.
func afterConnect(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')`).Scan(&ok)
	if err != nil {
		return fmt.Errorf("store: check postgis: %w", err)
	}
	if !ok {
		return fmt.Errorf("store: database %s: %w; the first migration creates it", conn.Config().Database, ErrNoPostGIS)
	}
	return nil
}

// PoolStats is a snapshot of the connection pool's statistics, for metrics.
type PoolStats struct {
	MaxConns, TotalConns, IdleConns, AcquiredConns int32
	// AcquireCount counts successful acquires; EmptyAcquireCount those that had to wait for a
	// connection; AcquireDuration is the total time acquires took.
	AcquireCount, EmptyAcquireCount int64
	AcquireDuration                 time.Duration
}

// PoolStats reads the pool's statistics.
func (s *Store) PoolStats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{MaxConns: st.MaxConns(), TotalConns: st.TotalConns(), IdleConns: st.IdleConns(),
		AcquiredConns: st.AcquiredConns(), AcquireCount: st.AcquireCount(), EmptyAcquireCount: st.EmptyAcquireCount(),
		AcquireDuration: st.AcquireDuration()}
}
