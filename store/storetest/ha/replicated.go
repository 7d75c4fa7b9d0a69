package ha

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store"
)

// Option changes what a cluster holds.
type Option func(*options)

type options struct{ demo bool }

// WithDemo loads the demo province (50,000 parcels) into the gisd database before the standby
// is made, so both nodes hold it. It adds a few seconds to start-up (2.6 s measured here).
func WithDemo() Option { return func(o *options) { o.demo = true } }

func (o options) key() string {
	if o.demo {
		return "+demo"
	}
	return ""
}

// Pair is a primary and one standby streaming from it, both with PostGIS and the gisd schema.
// Roles move: after Promote the standby is the primary, and Standby returns the old primary until
// Rejoin makes it follow the new one.
type Pair struct {
	env   *env
	nodes [2]*Node

	mu      sync.Mutex
	primary int // index into nodes

	// Startup is how long the pair took to start, by step.
	Startup Timings
}

// Timings are named durations, in the order they happened.
type Timings []Timing

// Timing is one step's duration.
type Timing struct {
	Step string
	Took time.Duration
}

func (ts Timings) String() string {
	var b strings.Builder
	var total time.Duration
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %v", t.Step, t.Took.Round(10*time.Millisecond))
		total += t.Took
	}
	return fmt.Sprintf("%v (%s)", total.Round(10*time.Millisecond), b.String())
}

// Total is the sum of the steps.
func (ts Timings) Total() time.Duration {
	var total time.Duration
	for _, t := range ts {
		total += t.Took
	}
	return total
}

func (ts *Timings) step(name string, since time.Time) {
	*ts = append(*ts, Timing{name, time.Since(since)})
}

// StartReplicated returns the package's replicated pair, starting it on first use: a primary
// (initdb, PostGIS, the gisd schema migrated, the demo data WithDemo) and a standby made from it
// with pg_basebackup -R, streaming. On later calls it first restores that shape if an earlier
// test changed it (a stopped node is started, an old primary rejoins as a standby).
func StartReplicated(tb testing.TB, opts ...Option) *Pair {
	tb.Helper()
	return startShared(tb, "replicated pair", [][]requirement{needPostgres}, opts, func(o options) (*Pair, Timings, func(), error) {
		p, err := startPair(o)
		if err != nil {
			return nil, nil, nil, err
		}
		return p, p.Startup, func() {
			p.nodes[0].Thaw()
			p.nodes[1].Thaw()
			p.env.close(10 * time.Second)
		}, nil
	})
}

func startPair(o options) (p *Pair, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e, err := newEnv("pair")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.close(5 * time.Second)
		}
	}()
	p = &Pair{env: e}
	for i, name := range []string{"a", "b"} {
		if p.nodes[i], err = e.newNode(name); err != nil {
			return nil, err
		}
	}
	a, b := p.nodes[0], p.nodes[1]
	t := time.Now()
	if err := a.initdb(ctx); err != nil {
		return nil, err
	}
	p.Startup.step("initdb", t)
	t = time.Now()
	if err := startRetryingPort(ctx, a); err != nil {
		return nil, err
	}
	p.Startup.step("start primary", t)
	t = time.Now()
	if err := prepareDatabase(ctx, a.connect, a.URL(), o); err != nil {
		return nil, err
	}
	p.Startup.step("gisd schema"+o.key(), t)
	t = time.Now()
	if err := e.acct.mkdir(b.socket); err != nil {
		return nil, err
	}
	if err := e.run(ctx, true, nil, PGBin+"/pg_basebackup", "-D", b.Data, "-h", "127.0.0.1", "-p", fmt.Sprint(a.Port),
		"-U", "postgres", "-X", "stream", "-c", "fast", "-R", "--no-sync"); err != nil {
		return nil, err
	}
	if err := b.setPrimary(a.Port); err != nil {
		return nil, err
	}
	p.Startup.step("pg_basebackup", t)
	t = time.Now()
	if err := startRetryingPort(ctx, b); err != nil {
		return nil, err
	}
	if err := p.waitStreaming(ctx); err != nil {
		return nil, err
	}
	p.Startup.step("start standby", t)
	return p, nil
}

// startRetryingPort starts a node that nothing depends on yet; when another program took its
// port in the meantime, it tries another.
func startRetryingPort(ctx context.Context, n *Node) error {
	for i := 0; ; i++ {
		err := n.Start(ctx)
		if err == nil || i == 3 || !strings.Contains(err.Error(), "could not bind") && !strings.Contains(err.Error(), "already in use") {
			return err
		}
		port, perr := freePort()
		if perr != nil {
			return err
		}
		n.Port = port
	}
}

// prepareDatabase creates the gisd database, migrates it and loads the demo when asked.
func prepareDatabase(ctx context.Context, connect connectFunc, url string, o options) error {
	conn, err := connect(ctx, "postgres")
	if err != nil {
		return err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, DBName).Scan(&exists); err != nil {
		conn.Close(ctx)
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+DBName); err != nil {
			conn.Close(ctx)
			return err
		}
	}
	conn.Close(ctx)
	m, err := store.NewMigrator(url)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !o.demo {
		return nil
	}
	st, err := store.Open(ctx, store.Config{URL: url, MaxConns: 4, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.LoadDemo(ctx, store.DemoOptions{})
	return err
}

// Primary is the node that takes writes.
func (p *Pair) Primary() *Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nodes[p.primary]
}

// Standby is the other node: a standby of Primary, except between Promote and Rejoin, when it is
// the old primary.
func (p *Pair) Standby() *Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nodes[1-p.primary]
}

// PrimaryURL is the gisd database on the primary.
func (p *Pair) PrimaryURL() string { return p.Primary().URL() }

// StandbyURL is the gisd database on the standby.
func (p *Pair) StandbyURL() string { return p.Standby().URL() }

// MultiHostURL names both nodes with target_session_attrs=read-write: a client tries them in
// order and keeps the one that takes writes, which is how gisd finds the primary after a
// failover.
func (p *Pair) MultiHostURL() string { return p.MultiHostURLWith("read-write") }

// MultiHostURLWith is MultiHostURL with another target_session_attrs (any, read-only, primary,
// standby, prefer-standby).
func (p *Pair) MultiHostURLWith(attrs string) string {
	return multiHostURL([]int{p.nodes[0].Port, p.nodes[1].Port}, attrs)
}

func multiHostURL(ports []int, attrs string) string {
	hosts := make([]string, len(ports))
	for i, port := range ports {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&connect_timeout=2&target_session_attrs=%s",
		strings.Join(hosts, ","), DBName, attrs)
}

// CurrentLSN is the primary's current WAL position: everything committed before the call is at
// or before it.
func (p *Pair) CurrentLSN(ctx context.Context) (LSN, error) {
	var s string
	if err := p.Primary().query(ctx, "postgres", `SELECT pg_current_wal_lsn()::text`, &s); err != nil {
		return 0, fmt.Errorf("ha: current LSN of the primary: %w", err)
	}
	return ParseLSN(s)
}

// WaitReplay waits until the standby has replayed the WAL up to lsn, so reads there see
// everything committed before it. Without a deadline on ctx it waits at most 30 seconds.
func (p *Pair) WaitReplay(ctx context.Context, lsn LSN) error {
	n := p.Standby()
	return waitReplay(ctx, n, lsn)
}

func waitReplay(ctx context.Context, n *Node, lsn LSN) error {
	limit := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		limit = time.Until(d)
	}
	conn, err := n.connect(ctx, "postgres")
	if err != nil {
		return fmt.Errorf("ha: wait for standby %s to replay %s: %w", n.Name, lsn, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return waitFor(ctx, fmt.Sprintf("standby %s (port %d) to replay WAL up to %s", n.Name, n.Port, lsn), limit, 10*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			var s *string
			if err := conn.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
				return false, errStop{err}
			}
			if s == nil {
				return false, errStop{fmt.Errorf("node %s is not a standby", n.Name)}
			}
			at, err := ParseLSN(*s)
			if err != nil {
				return false, errStop{err}
			}
			return at >= lsn, fmt.Errorf("replayed up to %s", at)
		})
}

// Lag is how many bytes of WAL the standby has still to replay.
func (p *Pair) Lag(ctx context.Context) (int64, error) {
	cur, err := p.CurrentLSN(ctx)
	if err != nil {
		return 0, err
	}
	at, err := p.Standby().ReplayLSN(ctx)
	if err != nil {
		return 0, fmt.Errorf("ha: replay position of the standby: %w", err)
	}
	return int64(cur) - int64(at), nil
}

// Promote makes the standby the primary (pg_ctl promote) and waits until it takes writes. The
// old primary is not touched: still running, it takes writes too (the split brain an HA manager
// exists to prevent), so tests usually StopPrimary first. Rejoin turns it into a standby.
func (p *Pair) Promote(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.nodes[1-p.primary]
	if err := p.env.run(ctx, true, nil, PGBin+"/pg_ctl", "promote", "-D", n.Data, "-w", "-t", "60"); err != nil {
		return fmt.Errorf("ha: promote %s: %w", n.Name, err)
	}
	if err := waitFor(ctx, fmt.Sprintf("promoted %s to take writes", n.Name), 30*time.Second, 20*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			rec, err := n.InRecovery(ctx)
			return err == nil && !rec, err
		}); err != nil {
		return err
	}
	p.primary = 1 - p.primary
	return nil
}

// StopPrimary shuts the primary down cleanly (fast mode).
func (p *Pair) StopPrimary(ctx context.Context) error { return p.Primary().Stop(ctx) }

// KillPrimary kills the primary and its backends at once, as a crash would.
func (p *Pair) KillPrimary() { p.Primary().Kill() }

// StartPrimary starts the primary again after StopPrimary or KillPrimary.
func (p *Pair) StartPrimary(ctx context.Context) error { return p.Primary().Start(ctx) }

// Rejoin makes the node that is not the primary a streaming standby of the primary: after a
// Promote it rewinds the old primary with pg_rewind (a fresh base backup when pg_rewind cannot),
// then starts it and waits until it streams.
func (p *Pair) Rejoin(ctx context.Context) error {
	prim, n := p.Primary(), p.Standby()
	if err := n.Stop(ctx); err != nil {
		return err
	}
	// pg_rewind reads the source's timeline from its control file, which a promotion updates
	// only at the checkpoint that follows it; without this it may find "the same timeline" and
	// rewind nothing.
	if err := execURL(ctx, nodeURL(prim.Port, "postgres"), `CHECKPOINT`); err != nil {
		return fmt.Errorf("ha: checkpoint on %s before pg_rewind: %w", prim.Name, err)
	}
	err := p.env.run(ctx, true, nil, PGBin+"/pg_rewind", "--target-pgdata="+n.Data, "--no-sync",
		fmt.Sprintf("--source-server=host=127.0.0.1 port=%d user=postgres dbname=postgres", prim.Port))
	if err != nil {
		// A node that never diverged needs no rewind; one that cannot be rewound (WAL gone)
		// gets a fresh copy.
		if err := os.RemoveAll(n.Data); err != nil {
			return err
		}
		if err := p.env.run(ctx, true, nil, PGBin+"/pg_basebackup", "-D", n.Data, "-h", "127.0.0.1", "-p", fmt.Sprint(prim.Port),
			"-U", "postgres", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
			return fmt.Errorf("ha: rejoin %s: pg_rewind failed and so did a base backup: %w", n.Name, err)
		}
	}
	if err := n.setPrimary(prim.Port); err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	return p.waitStreaming(ctx)
}

// waitStreaming waits until the primary reports the standby streaming.
func (p *Pair) waitStreaming(ctx context.Context) error {
	prim, n := p.Primary(), p.Standby()
	return waitFor(ctx, fmt.Sprintf("standby %s to stream from primary %s", n.Name, prim.Name), 60*time.Second, 20*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			var ok bool
			err := prim.query(ctx, "postgres", `SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE state = 'streaming' AND application_name = '`+n.Name+`')`, &ok)
			return ok, err
		})
}

// Restore brings the pair back to a running primary with a streaming standby, whatever a test
// did to it. It is cheap when nothing changed.
func (p *Pair) Restore(ctx context.Context) error {
	prim, n := p.Primary(), p.Standby()
	prim.Thaw()
	n.Thaw()
	if err := prim.Start(ctx); err != nil {
		return err
	}
	if rec, err := prim.InRecovery(ctx); err != nil {
		return err
	} else if rec {
		return fmt.Errorf("ha: the primary %s is in recovery; the pair cannot be restored", prim.Name)
	}
	if n.Running() {
		if rec, err := n.InRecovery(ctx); err == nil && rec {
			return p.waitStreaming(ctx)
		}
	}
	return p.Rejoin(ctx)
}
