package ha_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest/ha"
)

func TestMain(m *testing.M) { ha.Main(m) }

func connect(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// serverPort is the port of the server a connection reached.
func serverPort(t *testing.T, ctx context.Context, conn *pgx.Conn) int {
	t.Helper()
	var port int
	if err := conn.QueryRow(ctx, `SELECT inet_server_port()`).Scan(&port); err != nil {
		t.Fatalf("inet_server_port: %v", err)
	}
	return port
}

// probeTable makes a plain table for the test's rows on the primary (the gisd tables' triggers
// and checks are not what these tests are about).
func probeTable(t *testing.T, ctx context.Context, conn *pgx.Conn, name string) {
	t.Helper()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()+` (id int PRIMARY KEY, note text)`); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func count(t *testing.T, ctx context.Context, url, table string, id int) int {
	t.Helper()
	conn := connect(t, ctx, url)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatalf("count %s id %d on %s: %v", table, id, url, err)
	}
	return n
}

func TestReplicated_WriteReplayRead(t *testing.T) {
	p := ha.StartReplicated(t)
	if p.Startup.Total() > 15*time.Second {
		t.Logf("ha: the pair took %v to start, over the 15s target: %v", p.Startup.Total(), p.Startup)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	prim := connect(t, ctx, p.PrimaryURL())
	probeTable(t, ctx, prim, "ha_replay")
	if _, err := prim.Exec(ctx, `INSERT INTO ha_replay VALUES (1, 'written on the primary')`); err != nil {
		t.Fatalf("insert on the primary: %v", err)
	}
	lsn, err := p.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReplay(ctx, lsn); err != nil {
		t.Fatal(err)
	}
	stby := connect(t, ctx, p.StandbyURL())
	var note string
	if err := stby.QueryRow(ctx, `SELECT note FROM ha_replay WHERE id = 1`).Scan(&note); err != nil {
		t.Fatalf("read the row on the standby after WaitReplay(%s): %v", lsn, err)
	}
	if note != "written on the primary" {
		t.Errorf("standby note = %q, want %q", note, "written on the primary")
	}
	if lag, err := p.Lag(ctx); err != nil || lag < 0 {
		t.Errorf("Lag() = %d, %v; want >= 0, nil", lag, err)
	}

	// Both nodes carry the gisd schema (the standby got it from the base backup).
	var version uint
	if err := stby.QueryRow(ctx, `SELECT version FROM schema_migrations`).Scan(&version); err != nil || version != store.LatestMigration() {
		t.Errorf("standby schema version = %d, %v; want %d", version, err, store.LatestMigration())
	}
	// The standby refuses writes.
	_, err = stby.Exec(ctx, `INSERT INTO ha_replay VALUES (2, 'x')`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("insert on the standby: %v; want read_only_sql_transaction (25006)", err)
	}
	// The multi-host URL with target_session_attrs=read-write reaches the primary, whichever order.
	multi := connect(t, ctx, p.MultiHostURL())
	if got := serverPort(t, ctx, multi); got != p.Primary().Port {
		t.Errorf("multi-host URL reached port %d; want the primary's %d", got, p.Primary().Port)
	}
}

func TestReplicated_PromoteAndRejoin(t *testing.T) {
	p := ha.StartReplicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	oldPrim, oldStby := p.Primary(), p.Standby()

	prim := connect(t, ctx, p.PrimaryURL())
	probeTable(t, ctx, prim, "ha_promote")
	if _, err := prim.Exec(ctx, `INSERT INTO ha_promote VALUES (1, 'before the failover')`); err != nil {
		t.Fatal(err)
	}
	lsn, err := p.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReplay(ctx, lsn); err != nil {
		t.Fatal(err)
	}
	prim.Close(ctx)

	p.KillPrimary()
	// With the primary gone, nothing takes writes: the multi-host URL finds no read-write server.
	if conn, err := pgx.Connect(ctx, p.MultiHostURL()); err == nil {
		port := serverPort(t, ctx, conn)
		conn.Close(ctx)
		t.Fatalf("multi-host read-write URL connected to port %d with the primary down", port)
	}
	if err := p.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Primary() != oldStby || p.Standby() != oldPrim {
		t.Fatalf("after Promote: primary %s, standby %s; want %s, %s", p.Primary().Name, p.Standby().Name, oldStby.Name, oldPrim.Name)
	}
	multi := connect(t, ctx, p.MultiHostURL())
	if got := serverPort(t, ctx, multi); got != oldStby.Port {
		t.Errorf("multi-host URL reached port %d after the promotion; want the new primary's %d", got, oldStby.Port)
	}
	if n := count(t, ctx, p.PrimaryURL(), "ha_promote", 1); n != 1 {
		t.Errorf("row written before the failover: %d on the new primary, want 1", n)
	}
	if _, err := multi.Exec(ctx, `INSERT INTO ha_promote VALUES (2, 'after the failover')`); err != nil {
		t.Fatalf("insert on the new primary: %v", err)
	}

	// The killed old primary is rewound and follows the new one.
	if err := p.Rejoin(ctx); err != nil {
		t.Fatal(err)
	}
	if rec, err := oldPrim.InRecovery(ctx); err != nil || !rec {
		t.Fatalf("old primary in recovery after Rejoin = %v, %v; want true", rec, err)
	}
	lsn, err = p.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReplay(ctx, lsn); err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, oldPrim.URL(), "ha_promote", 2); n != 1 {
		t.Errorf("row written after the failover: %d on the rejoined old primary, want 1", n)
	}
}

func TestPatroni_Failover(t *testing.T) {
	c := ha.StartPatroni(t)
	if c.Startup.Total() > 45*time.Second {
		t.Logf("ha: Patroni took %v to start, over the 45s target: %v", c.Startup.Total(), c.Startup)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	multi := connect(t, ctx, c.MultiHostURL())
	// Bootstrapped by deploy's post-bootstrap script (PostGIS) and migrated by the harness.
	var version uint
	var postgis string
	if err := multi.QueryRow(ctx, `SELECT (SELECT version FROM schema_migrations), postgis_lib_version()`).Scan(&version, &postgis); err != nil || version != store.LatestMigration() {
		t.Errorf("leader: schema version %d, PostGIS %q, %v; want version %d", version, postgis, err, store.LatestMigration())
	}
	probeTable(t, ctx, multi, "ha_failover")
	// Synchronous mode: the commit returns once the standby has the WAL on disk.
	if _, err := multi.Exec(ctx, `INSERT INTO ha_failover VALUES (1, 'committed before the crash')`); err != nil {
		t.Fatal(err)
	}
	multi.Close(ctx)

	start := time.Now()
	old, leader, err := c.Failover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ha: %s crashed; %s took over in %v", old.Name, leader.Name, time.Since(start).Round(100*time.Millisecond))

	multi = connect(t, ctx, c.MultiHostURL())
	if got := serverPort(t, ctx, multi); got != leader.Port {
		t.Errorf("multi-host URL reached port %d after the failover; want the new leader's %d", got, leader.Port)
	}
	if n := count(t, ctx, c.MultiHostURL(), "ha_failover", 1); n != 1 {
		t.Errorf("row committed before the crash: %d on the new leader, want 1", n)
	}
	if _, err := multi.Exec(ctx, `INSERT INTO ha_failover VALUES (2, 'committed after the failover')`); err != nil {
		t.Fatalf("insert on the new leader: %v", err)
	}

	// Patroni starts the crashed node again as a replica of the new leader (pg_rewind).
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	members, err := c.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.Name == old.Name && (m.Role == "leader" || m.State != "running") {
			t.Errorf("old leader after rejoining: %+v; want a running replica", m)
		}
	}
	// Synchronous standby: the row is on its disk; it is visible once replayed.
	err = waitRows(ctx, old.URL(), "ha_failover", 2)
	if err != nil {
		t.Error(err)
	}
}

func TestPatroni_Switchover(t *testing.T) {
	c := ha.StartPatroni(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	old, leader, err := c.Switchover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if leader == old {
		t.Fatalf("switchover kept %s as leader", old.Name)
	}
	multi := connect(t, ctx, c.MultiHostURL())
	if got := serverPort(t, ctx, multi); got != leader.Port {
		t.Errorf("multi-host URL reached port %d after the switchover; want the new leader's %d", got, leader.Port)
	}
}

// waitRows waits until the row with id is readable at url, with a deadline naming it.
func waitRows(ctx context.Context, url, table string, id int) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			var n int
			err = conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = $1`, id).Scan(&n)
			conn.Close(ctx)
			if err == nil && n == 1 {
				return nil
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("waited 30s for row %d of %s to be readable at %s (last error: %v)", id, table, url, last)
}

// TestReplicated_FreezeLeavesConnectionsUnanswered: a frozen server neither answers nor refuses
// (the hung machine a failover test needs), and answers again once thawed.
func TestReplicated_FreezeLeavesConnectionsUnanswered(t *testing.T) {
	p := ha.StartReplicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := p.Standby()
	n.Freeze()
	defer n.Thaw()
	cctx, ccancel := context.WithTimeout(ctx, time.Second)
	conn, err := pgx.Connect(cctx, n.URL())
	ccancel()
	if err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a frozen server")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") {
		t.Errorf("connect to a frozen server: %v; want it to time out, not be refused", err)
	}
	n.Thaw()
	if _, err := n.InRecovery(ctx); err != nil {
		t.Errorf("after Thaw: %v", err)
	}
}
