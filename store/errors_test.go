package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// kindOf names the sentinel err belongs to, or "" for none.
func kindOf(err error) string {
	for name, s := range map[string]error{
		"unavailable": store.ErrUnavailable, "locked": store.ErrLocked, "timeout": store.ErrTimeout,
		"conflict": store.ErrConflict, "invalid": store.ErrInvalid, "not found": store.ErrNotFound,
	} {
		if errors.Is(err, s) {
			return name
		}
	}
	return ""
}

// Every SQLSTATE class the classification knows lands on its sentinel with a sentence of gisd's
// own; the server's message stays in the logged chain only, unless our own trigger raised it.
func TestClassify_ServerErrors(t *testing.T) {
	const secret = "relation \"parcels\" internal detail from the server"
	for _, tc := range []struct {
		code, routine, want string
		keepsMessage        bool
	}{
		{"08006", "", "unavailable", false}, // connection failure
		{"08001", "", "unavailable", false},
		{"57P01", "", "unavailable", false}, // terminating connection due to administrator command
		{"57P02", "", "unavailable", false},
		{"57P03", "", "unavailable", false}, // the database system is starting up / shutting down
		{"53300", "", "unavailable", false}, // too many connections
		{"25006", "", "unavailable", false}, // a standby after a failover
		{"55P03", "", "locked", false},
		{"57014", "", "timeout", false},
		{"23505", "", "conflict", false},
		{"23P01", "", "conflict", false},
		{"23514", "", "invalid", false},
		{"23502", "", "invalid", false},
		{"23503", "exec_stmt_raise", "invalid", true}, // our land-use trigger's sentence
		{"23503", "ri_ReportViolation", "invalid", false},
		{"22003", "", "invalid", false},
		{"22021", "", "invalid", false}, // a NUL byte or invalid UTF-8
		{"22P02", "", "invalid", false},
		{"54001", "", "invalid", false}, // statement too complex
		{"XX000", "", "invalid", false}, // GEOS or PROJ
		{"42P01", "", "", false},        // our own SQL is wrong: a server error to log
	} {
		pg := &pgconn.PgError{Severity: "ERROR", Code: tc.code, Message: secret, Routine: tc.routine, ConstraintName: "parcels_key"}
		err := store.Classify(fmt.Errorf("store: context: %w", pg))
		if got := kindOf(err); got != tc.want {
			t.Errorf("%s: kind %q, want %q (%v)", tc.code, got, tc.want, err)
		}
		var se *store.Error
		if !errors.As(err, &se) {
			if tc.want != "" {
				t.Errorf("%s: not a *store.Error: %T", tc.code, err)
			}
			continue
		}
		if got := strings.Contains(se.ClientMessage(), secret); got != tc.keepsMessage {
			t.Errorf("%s: client message %q, server message kept = %v, want %v", tc.code, se.ClientMessage(), got, tc.keepsMessage)
		}
		if se.ClientMessage() == "" || strings.Contains(se.ClientMessage(), "store:") || strings.Contains(se.ClientMessage(), "SQLSTATE") {
			t.Errorf("%s: client message %q", tc.code, se.ClientMessage())
		}
		if !strings.Contains(err.Error(), "SQLSTATE "+tc.code) {
			t.Errorf("%s: the logged text %q lost the server's error", tc.code, err.Error())
		}
		if again := store.Classify(err); again != err {
			t.Errorf("%s: classifying twice changed the error", tc.code)
		}
	}
}

// Errors that are not the database's pass through unchanged, so an upload cut short or a client
// that went away is never mistaken for an outage.
func TestClassify_LeavesOtherErrorsAlone(t *testing.T) {
	for _, err := range []error{
		io.EOF, io.ErrUnexpectedEOF, context.Canceled, context.DeadlineExceeded, pgx.ErrNoRows,
		fmt.Errorf("reading the upload: %w", &net.OpError{Op: "read", Err: errors.New("connection reset")}),
	} {
		if got := store.Classify(err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
	}
	if store.Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
}

// The real thing: errors the server and the driver produce are classified as the table says.
func TestClassify_RealErrors(t *testing.T) {
	ctx := context.Background()
	u := storetest.Migrated(t)
	pool := storetest.Pool(t, u)

	for _, tc := range []struct {
		name, sql string
		want      string
	}{
		{"integer overflow", `SELECT 2147483647::int + 1`, "invalid"},
		{"NUL byte", `SELECT convert_from('\x6100'::bytea, 'UTF8')`, "invalid"},
		{"year 0 as text", `SELECT '0000-01-01'::date`, "invalid"},
		{"PostGIS refuses a geometry", `SELECT ST_GeomFromGeoJSON('{"type":"Point","coordinates":"x"}')`, "invalid"},
		{"statement timeout", `SET LOCAL statement_timeout = 50; SELECT pg_sleep(5)`, "timeout"},
		{"our own bug", `SELECT * FROM no_such_table`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				for _, stmt := range strings.Split(tc.sql, "; ") {
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil {
				t.Fatal("no error")
			}
			if got := kindOf(store.Classify(err)); got != tc.want {
				t.Errorf("kind %q, want %q (%v)", got, tc.want, err)
			}
		})
	}

	t.Run("lock timeout", func(t *testing.T) {
		holder, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback(ctx)
		if _, err := holder.Exec(ctx, `LOCK TABLE parcels IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 50`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `SELECT count(*) FROM parcels`)
			return err
		})
		if got := kindOf(store.Classify(err)); got != "locked" {
			t.Errorf("kind %q, want locked (%v)", got, err)
		}
	})

	t.Run("backend terminated", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var pid int
		if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := conn.Exec(ctx, `SELECT pg_sleep(30)`)
			done <- err
		}()
		// Terminated during the sleep or just before it: either way the statement fails.
		if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if got := kindOf(store.Classify(err)); got != "unavailable" {
				t.Errorf("kind %q, want unavailable (%v)", got, err)
			}
			// The connection is gone: the next statement on it fails the same way.
			_, err = conn.Exec(ctx, `SELECT 1`)
			if got := kindOf(store.Classify(err)); got != "unavailable" {
				t.Errorf("after the termination: kind %q, want unavailable (%v)", got, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the terminated statement did not return")
		}
	})

	t.Run("nothing listens", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err = pgx.Connect(cctx, "postgres://gisd@"+addr+"/gisd?sslmode=disable&connect_timeout=5")
		if got := kindOf(store.Classify(err)); got != "unavailable" {
			t.Errorf("kind %q, want unavailable (%v)", got, err)
		}
	})
}
