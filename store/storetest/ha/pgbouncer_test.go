package ha_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest/ha"
)

// These tests record what gisd meets behind PgBouncer 1.18 (Debian 12) in transaction mode;
// docs/deploy.md draws its advice from them.

// reuseOnAnotherServer runs the same parameterized query on client a twice, while client b holds
// the server connection a used the first time (PgBouncer hands out the most recently released
// one), so a's second run lands on another server connection. It returns that second run's error.
func reuseOnAnotherServer(t *testing.T, ctx context.Context, url string) error {
	t.Helper()
	a, b := connect(t, ctx, url), connect(t, ctx, url)
	const q = `SELECT pg_backend_pid() FROM pg_class WHERE relname <> $1 LIMIT 1`
	var first, held int
	if err := a.QueryRow(ctx, q, "x").Scan(&first); err != nil {
		t.Fatalf("first run: %v", err)
	}
	tx, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if held != first {
		t.Fatalf("the second client got server backend %d, not %d that the first used: the test cannot make PgBouncer switch servers", held, first)
	}
	var second int
	return a.QueryRow(ctx, q, "y").Scan(&second)
}

// behindBouncer gives a test the package's pair, a transaction-mode PgBouncer in front of its
// primary and a context with a deadline.
func behindBouncer(t *testing.T) (*ha.Pair, *ha.PgBouncer, context.Context) {
	t.Helper()
	p := ha.StartReplicated(t)
	b := ha.StartPgBouncer(t, p.Primary().Port, ha.PgBouncerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return p, b, ctx
}

func TestPgBouncer_TransactionMode_StatementCacheBreaks(t *testing.T) {
	_, b, ctx := behindBouncer(t)
	// pgx's default (cache_statement) prepares a named statement on the server connection it
	// happened to get; the next transaction may run on another.
	err := reuseOnAnotherServer(t, ctx, b.URL())
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "26000" {
		t.Fatalf("cached statement on another server connection: %v; want 26000 (prepared statement does not exist)", err)
	}
	t.Logf("pgx default exec mode through PgBouncer (transaction): %v", err)
}

func TestPgBouncer_TransactionMode_ExecModesWork(t *testing.T) {
	p := ha.StartReplicated(t)
	b := ha.StartPgBouncer(t, p.Primary().Port, ha.PgBouncerOptions{})
	for _, mode := range []string{"exec", "cache_describe", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := reuseOnAnotherServer(t, ctx, b.URL()+"&default_query_exec_mode="+mode); err != nil {
				t.Errorf("default_query_exec_mode=%s through PgBouncer (transaction): %v", mode, err)
			}
		})
	}
}

func TestPgBouncer_TransactionMode_ListenLosesNotifications(t *testing.T) {
	p, b, ctx := behindBouncer(t)
	// A listener through PgBouncer: in transaction mode its LISTEN ran on a server connection
	// that went back to the pool when the statement ended, and NOTIFYs sent there later reach
	// no client. In session mode (the control) the listener keeps its server connection.
	notifier := connect(t, ctx, p.PrimaryURL())
	for _, c := range []struct {
		name, url string
		delivered bool
	}{
		{"transaction", b.URL(), false},
		{"session", b.SessionURL(), true},
	} {
		l := connect(t, ctx, c.url)
		if _, err := l.Exec(ctx, `LISTEN gisd_ha_probe`); err != nil {
			t.Fatalf("%s: LISTEN: %v", c.name, err)
		}
		if _, err := notifier.Exec(ctx, `SELECT pg_notify('gisd_ha_probe', $1)`, c.name); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := l.WaitForNotification(wctx)
		wcancel()
		switch {
		case c.delivered && err != nil:
			t.Errorf("%s mode: no notification within 2s: %v", c.name, err)
		case !c.delivered && err == nil:
			t.Errorf("%s mode: notification %q delivered; PgBouncer now keeps LISTEN sessions, update docs/deploy.md", c.name, n.Payload)
		}
	}
}

func TestPgBouncer_StartupParameters(t *testing.T) {
	p := ha.StartReplicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// store.Open sends statement_timeout and lock_timeout as startup parameters, as gisd
	// serve configures it. PgBouncer refuses parameters it does not track.
	strict := ha.StartPgBouncer(t, p.Primary().Port, ha.PgBouncerOptions{})
	cfg := store.Config{URL: strict.URL() + "&default_query_exec_mode=exec", MaxConns: 4,
		StatementTimeout: 30 * time.Second, LockTimeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if st, err := store.Open(ctx, cfg); err == nil {
		st.Close()
		t.Fatal("store.Open through PgBouncer with statement_timeout: connected; want PgBouncer to refuse the startup parameter")
	} else if !strings.Contains(err.Error(), "unsupported startup parameter") {
		t.Errorf("store.Open through PgBouncer: %v; want unsupported startup parameter", err)
	}

	// Ignoring them lets gisd connect, but the settings are lost: they must be set on the role.
	lax := ha.StartPgBouncer(t, p.Primary().Port, ha.PgBouncerOptions{IgnoreStartupParameters: []string{"statement_timeout", "lock_timeout"}})
	cfg.URL = lax.URL() + "&default_query_exec_mode=exec"
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("store.Open through PgBouncer ignoring the parameters: %v", err)
	}
	defer st.Close()
	var timeout string
	// A connection of its own, sending the same startup parameter the store's pool sends.
	if err := connect(t, ctx, cfg.URL+"&statement_timeout=30000").QueryRow(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout == "30s" {
		t.Errorf("statement_timeout = %s through PgBouncer; it used to be dropped, update docs/deploy.md", timeout)
	}
	// gisd's own queries work in this mode: the catalog, concurrently, on two server connections.
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := st.LoadCatalog(ctx)
			errc <- err
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Errorf("LoadCatalog through PgBouncer (transaction, exec mode): %v", err)
		}
	}
}

// TestPgBouncer_TransactionMode_TransactionsStayWhole checks what gisd's writes rely on: a
// transaction keeps its server connection, so set_config(..., true) and advisory transaction
// locks hold until it ends.
func TestPgBouncer_TransactionMode_TransactionsStayWhole(t *testing.T) {
	_, b, ctx := behindBouncer(t)
	conn := connect(t, ctx, b.URL()+"&default_query_exec_mode=exec")
	other := connect(t, ctx, b.URL()+"&default_query_exec_mode=exec")
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('gisd.actor', 'ha-test', true), pg_advisory_xact_lock(7318999)`); err != nil {
			return err
		}
		// Another client's statements run meanwhile on the other server connection.
		var locked bool
		if err := other.QueryRow(ctx, `SELECT NOT pg_try_advisory_xact_lock(7318999)`).Scan(&locked); err != nil || !locked {
			t.Errorf("advisory lock seen from another client: locked=%v, %v; want held", locked, err)
		}
		var actor string
		if err := tx.QueryRow(ctx, `SELECT current_setting('gisd.actor')`).Scan(&actor); err != nil || actor != "ha-test" {
			t.Errorf("gisd.actor later in the transaction = %q, %v; want ha-test", actor, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPgBouncer_MultiHostFindsPrimary: with a PgBouncer beside each PostgreSQL, a multi-host URL
// naming the bouncers with target_session_attrs=read-write still reaches the primary (pgx asks
// the server behind each bouncer whether it takes writes).
func TestPgBouncer_MultiHostFindsPrimary(t *testing.T) {
	p := ha.StartReplicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The standby's bouncer first, so a client that did not check would stop there.
	sb := ha.StartPgBouncer(t, p.Standby().Port, ha.PgBouncerOptions{})
	pb := ha.StartPgBouncer(t, p.Primary().Port, ha.PgBouncerOptions{})
	url := "postgres://postgres@127.0.0.1:" + strconv.Itoa(sb.Port) + ",127.0.0.1:" + strconv.Itoa(pb.Port) +
		"/gisd?sslmode=disable&target_session_attrs=read-write&default_query_exec_mode=exec"
	conn := connect(t, ctx, url)
	if got := serverPort(t, ctx, conn); got != p.Primary().Port {
		t.Errorf("multi-host URL over two bouncers reached PostgreSQL on port %d; want the primary's %d", got, p.Primary().Port)
	}
}
