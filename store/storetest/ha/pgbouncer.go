package ha

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PgBouncerOptions configure StartPgBouncer.
type PgBouncerOptions struct {
	// PoolMode of the gisd database: transaction (the default here, as deployments use it),
	// session or statement.
	PoolMode string
	// PoolSize is the number of server connections per database and user (default_pool_size);
	// default 2, so that clients visibly share them.
	PoolSize int
	// IgnoreStartupParameters are startup parameters PgBouncer accepts from clients and drops
	// (ignore_startup_parameters); by default it refuses every one it does not track.
	IgnoreStartupParameters []string
}

// PgBouncer is PgBouncer (Debian's pgbouncer, 1.18 on Debian 12) in front of one PostgreSQL.
type PgBouncer struct {
	Port int
	env  *env
	proc *process
}

// URL is the gisd database through PgBouncer, in the configured pool mode.
func (b *PgBouncer) URL() string { return nodeURL(b.Port, DBName) }

// SessionURL is the same database through PgBouncer in session mode (database alias
// gisd_session): a client keeps one server connection for as long as it is connected.
func (b *PgBouncer) SessionURL() string { return nodeURL(b.Port, DBName+"_session") }

// StartPgBouncer starts PgBouncer in front of the PostgreSQL listening on 127.0.0.1:port. It is
// cheap (milliseconds), so each test gets its own, stopped when the test ends.
func StartPgBouncer(tb testing.TB, port int, opt PgBouncerOptions) *PgBouncer {
	tb.Helper()
	require(tb, needPgBouncer)
	if opt.PoolMode == "" {
		opt.PoolMode = "transaction"
	}
	if opt.PoolSize == 0 {
		opt.PoolSize = 2
	}
	e, err := newEnv("pgbouncer")
	if err != nil {
		tb.Fatalf("ha: pgbouncer: %v", err)
	}
	tb.Cleanup(func() { e.close(5 * time.Second) })
	b := &PgBouncer{env: e}
	if b.Port, err = freePort(); err != nil {
		tb.Fatal(err)
	}
	ini := fmt.Sprintf(`[databases]
%[1]s = host=127.0.0.1 port=%[2]d dbname=%[1]s pool_mode=%[3]s
%[1]s_session = host=127.0.0.1 port=%[2]d dbname=%[1]s pool_mode=session
postgres = host=127.0.0.1 port=%[2]d dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %[4]d
unix_socket_dir = %[5]s
auth_type = trust
auth_file = %[5]s/userlist.txt
admin_users = postgres
default_pool_size = %[6]d
max_client_conn = 200
ignore_startup_parameters = %[7]s
`, DBName, port, opt.PoolMode, b.Port, e.dir, opt.PoolSize, strings.Join(opt.IgnoreStartupParameters, ","))
	if err := e.acct.writeFile(filepath.Join(e.dir, "pgbouncer.ini"), []byte(ini), 0o600); err != nil {
		tb.Fatal(err)
	}
	// Trust still needs the user listed.
	if err := e.acct.writeFile(filepath.Join(e.dir, "userlist.txt"), []byte(`"postgres" ""`+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if b.proc, err = e.start("pgbouncer", true, filepath.Join(e.dir, "pgbouncer.log"), nil,
		"/usr/sbin/pgbouncer", filepath.Join(e.dir, "pgbouncer.ini")); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitFor(ctx, fmt.Sprintf("PgBouncer on port %d to pass a query to PostgreSQL on port %d", b.Port, port), 20*time.Second, 20*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			if !b.proc.running() {
				return false, errStop{b.proc.exited()}
			}
			var one int
			err := queryURL(ctx, b.URL(), `SELECT 1`, &one)
			return err == nil, err
		}); err != nil {
		tb.Fatal(err)
	}
	return b
}
