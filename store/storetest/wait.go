package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WaitRow runs query until it returns a row and returns the row's single integer column; it
// fails the test, naming what, when none comes within 20 seconds. For waiting on what another
// session does (a lock taken, a backend gone) without sleeping a guessed time.
func WaitRow(tb testing.TB, pool *pgxpool.Pool, what, query string, args ...any) int64 {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var v int64
		err := pool.QueryRow(context.Background(), query, args...).Scan(&v)
		if err == nil {
			return v
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			tb.Fatalf("%s: %v", what, err)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
