package store_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// queryCounter is a pgx tracer counting the statements sent on a pool's connections.
type queryCounter struct {
	mu   sync.Mutex
	sqls []string
}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.mu.Lock()
	q.sqls = append(q.sqls, d.SQL)
	q.mu.Unlock()
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (q *queryCounter) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.sqls
	q.sqls = nil
	return s
}

// tracedStore opens a one-connection store on url whose statements are counted.
func tracedStore(t *testing.T, url string) (*store.Store, *pgxpool.Pool, *queryCounter) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	qc := &queryCounter{}
	cfg.ConnConfig.Tracer = qc
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.NewForTest(pool, slog.New(slog.DiscardHandler))
	if _, err := st.LoadCatalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, pool, qc
}

func TestQueryTile_Empty(t *testing.T) {
	st := storetest.Store(t, storetest.Migrated(t))
	b, err := st.QueryTileForTest(context.Background(), `SELECT ''::bytea`)
	if err != nil || len(b) != 0 {
		t.Errorf("empty tile: %d bytes, %v", len(b), err)
	}
}

// A client that goes away, or a tile that runs out of time, stops the statement on the server
// and leaves the connection usable.
func TestQueryTile_CancelStopsTheServer(t *testing.T) {
	st, pool, _ := tracedStore(t, storetest.Migrated(t))
	var pid int
	if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.QueryTileForTest(ctx, `SELECT convert_to(pg_sleep(30)::text, 'UTF8')`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("returned after %v, want soon after the deadline", d)
	}
	// Same connection (the pool has one), idle again: the server stopped the statement.
	var pid2 int
	var active int
	if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid(),
		(SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid())`).Scan(&pid2, &active); err != nil {
		t.Fatal(err)
	}
	if pid2 != pid || active != 0 {
		t.Errorf("after cancel: backend %d (was %d), %d sleeping statements; want the same backend and none", pid2, pid, active)
	}
}

func TestQueryTile_StatementTimeout(t *testing.T) {
	st := storetest.StoreWith(t, store.Config{URL: storetest.Migrated(t), MaxConns: 1, StatementTimeout: 100 * time.Millisecond})
	_, err := st.QueryTileForTest(context.Background(), `SELECT convert_to(pg_sleep(5)::text, 'UTF8')`)
	if !errors.Is(err, store.ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
}
