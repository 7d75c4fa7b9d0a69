package ha

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DBName is the database the harness creates and migrates on every cluster.
const DBName = "gisd"

// Node is one PostgreSQL server that the harness runs directly (StartReplicated's two).
type Node struct {
	Name string // "a" or "b": a stable name, whatever the node's role
	Port int
	Data string // data directory

	env    *env
	socket string // directory of its Unix socket
	log    string

	mu   sync.Mutex
	proc *process
}

func (e *env) newNode(name string) (*Node, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	n := &Node{Name: name, Port: port, env: e,
		Data:   filepath.Join(e.dir, name, "data"),
		socket: filepath.Join(e.dir, name),
		log:    filepath.Join(e.dir, name+".log"),
	}
	return n, e.acct.mkdir(n.socket)
}

// URL is the node's gisd database, as the postgres superuser (trusted on loopback).
func (n *Node) URL() string { return nodeURL(n.Port, DBName) }

func nodeURL(port int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}

// serverConf is what every directly run server gets in postgresql.conf (a base backup copies it
// to the standby). fsync=off: these clusters never survive a crash of the machine, only of their
// processes, which the OS cache outlives; it saves seconds of start-up on a busy disk.
// wal_log_hints (data checksums too, from initdb -k) lets pg_rewind turn an old primary into a
// standby; wal_keep_size keeps the WAL a standby that was down for a while still needs.
const serverConf = `
listen_addresses = '127.0.0.1'
fsync = off
full_page_writes = on
wal_level = replica
wal_log_hints = on
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
shared_buffers = 64MB
max_connections = 100
log_min_messages = warning
log_line_prefix = '%m [%p] '
`

// initdb creates the node's cluster with a trusted postgres superuser.
func (n *Node) initdb(ctx context.Context) error {
	if err := n.env.acct.mkdir(filepath.Dir(n.Data)); err != nil {
		return err
	}
	if err := n.env.run(ctx, true, nil, PGBin+"/initdb", "-D", n.Data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums", "--no-sync"); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(n.Data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(serverConf)
	return err
}

// Running reports whether the node's server process is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc != nil && n.proc.running()
}

// Start starts the server and waits until it accepts connections (a standby: until it has
// reached a consistent state).
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc != nil && n.proc.running() {
		return nil
	}
	// Port and socket on the command line, not in postgresql.conf: a base backup or pg_rewind
	// copies the other node's configuration files.
	p, err := n.env.start("postgres-"+n.Name, true, n.log, nil,
		PGBin+"/postgres", "-D", n.Data, "-p", strconv.Itoa(n.Port), "-k", n.socket)
	if err != nil {
		return err
	}
	n.proc = p
	return waitFor(ctx, fmt.Sprintf("PostgreSQL %s on port %d to accept connections", n.Name, n.Port), 60*time.Second, 50*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			if !p.running() {
				return false, errStop{p.exited()}
			}
			conn, err := n.connect(ctx, "postgres")
			if err != nil {
				return false, err
			}
			conn.Close(ctx)
			return true, nil
		})
}

// errStop ends a wait early: what it waits for can no longer happen.
type errStop struct{ error }

// Stop shuts the server down cleanly (fast mode: sessions are disconnected, a checkpoint is
// written) and waits for it to exit.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p == nil || !p.running() {
		return nil
	}
	if p.terminate(ctx, syscall.SIGINT, time.Minute) {
		// Backends leave with the postmaster; anything slower goes now.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		return nil
	}
	n.Kill()
	return fmt.Errorf("ha: PostgreSQL %s did not shut down within its deadline; killed it", n.Name)
}

// Kill ends the server and every backend at once, as a crash of the machine would (but the OS
// keeps what was written).
func (n *Node) Kill() {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p != nil && p.running() {
		// Backends call setsid, out of the process group's reach: kill them with the postmaster,
		// so none lingers holding the data directory.
		signalPostmaster(p.cmd.Process.Pid, syscall.SIGKILL)
		p.kill()
	}
}

// Freeze stops the server and all its processes in their tracks (SIGSTOP), as a machine that
// hangs or drops off the network: connections are not refused, they go unanswered. Thaw resumes.
func (n *Node) Freeze() { n.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (n *Node) Thaw() { n.signal(syscall.SIGCONT) }

func (n *Node) signal(sig syscall.Signal) {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p != nil && p.running() {
		signalPostmaster(p.cmd.Process.Pid, sig)
	}
}

// connect opens a connection to database db on the node, failing fast when nothing listens.
func (n *Node) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	return connectURL(ctx, nodeURL(n.Port, db))
}

func connectURL(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 2 * time.Second
	cfg.RuntimeParams["application_name"] = "gisd-ha"
	return pgx.ConnectConfig(ctx, cfg)
}

// query runs one statement on database db of the node and scans its single row.
func (n *Node) query(ctx context.Context, db, sql string, dest ...any) error {
	return queryURL(ctx, nodeURL(n.Port, db), sql, dest...)
}

func queryURL(ctx context.Context, url, sql string, dest ...any) error {
	conn, err := connectURL(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

func execURL(ctx context.Context, url, sql string) error {
	conn, err := connectURL(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// InRecovery reports whether the node is a standby (or still recovering).
func (n *Node) InRecovery(ctx context.Context) (bool, error) {
	var rec bool
	err := n.query(ctx, "postgres", `SELECT pg_is_in_recovery()`, &rec)
	return rec, err
}

// ReplayLSN is how far the node has replayed the WAL: on a standby pg_last_wal_replay_lsn, on a
// primary its current WAL position (everything it wrote is visible there).
func (n *Node) ReplayLSN(ctx context.Context) (LSN, error) {
	var s string
	err := n.query(ctx, "postgres", `SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text`, &s)
	if err != nil {
		return 0, err
	}
	return ParseLSN(s)
}

// setPrimary makes the node a standby of the server on port: standby.signal and a
// primary_conninfo in postgresql.auto.conf, replacing any the files held (a base backup or
// pg_rewind copies the source's).
func (n *Node) setPrimary(port int) error {
	auto := filepath.Join(n.Data, "postgresql.auto.conf")
	b, err := os.ReadFile(auto)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		if k := strings.TrimSpace(line); k == "" || strings.HasPrefix(k, "primary_conninfo") || strings.HasPrefix(k, "primary_slot_name") {
			continue
		}
		keep = append(keep, line)
	}
	keep = append(keep, fmt.Sprintf("primary_conninfo = 'host=127.0.0.1 port=%d user=postgres application_name=%s'", port, n.Name), "")
	if err := n.env.acct.writeFile(auto, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		return err
	}
	return n.env.acct.writeFile(filepath.Join(n.Data, "standby.signal"), nil, 0o600)
}

// connectFunc opens a connection to a database of one server.
type connectFunc func(ctx context.Context, db string) (*pgx.Conn, error)
