package ha

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Patroni's REST API and replication passwords in the harness (trust authentication makes
// PostgreSQL ignore them; the REST API checks its own).
const (
	restUser     = "patroni"
	restPassword = "gisd-test"
)

// Patroni is an etcd with one member and two Patroni nodes managing two PostgreSQL 15 servers,
// configured with deploy/patroni.yml. The leader moves: ask Leader rather than remembering.
type Patroni struct {
	env      *env
	etcdPort int
	etcd     *process
	nodes    [2]*PatroniNode

	// Startup is how long the cluster took to start, by step.
	Startup Timings
}

// PatroniNode is one Patroni with its PostgreSQL.
type PatroniNode struct {
	Name    string // pg1, pg2: Patroni's member name
	Port    int    // PostgreSQL
	APIPort int    // Patroni's REST API

	env  *env
	dir  string
	conf string // directory of YAML files, read in name order
	log  string

	mu   sync.Mutex
	proc *process
}

// URL is the gisd database on the node, as the postgres superuser.
func (n *PatroniNode) URL() string { return nodeURL(n.Port, DBName) }

// APIURL is the node's Patroni REST API.
func (n *PatroniNode) APIURL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.APIPort) }

func (n *PatroniNode) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	return connectURL(ctx, nodeURL(n.Port, db))
}

// StartPatroni returns the package's Patroni cluster, starting it on first use: etcd, then two
// Patroni nodes; the first to get the initialize key runs initdb and deploy's post-bootstrap
// script (the gisd database with PostGIS), the harness migrates the schema on the leader, and
// the other node becomes a streaming synchronous replica. Later calls first restore that shape
// (a stopped node is started again and rejoins).
func StartPatroni(tb testing.TB, opts ...Option) *Patroni {
	tb.Helper()
	return startShared(tb, "patroni cluster", [][]requirement{needPostgres, needPatroni}, opts, func(o options) (*Patroni, Timings, func(), error) {
		c, err := startPatroni(o)
		if err != nil {
			return nil, nil, nil, err
		}
		return c, c.Startup, c.close, nil
	})
}

func startPatroni(o options) (c *Patroni, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	template, err := deployFile("patroni.yml")
	if err != nil {
		return nil, err
	}
	postBootstrap, err := deployFile("patroni-post-bootstrap.sh")
	if err != nil {
		return nil, err
	}
	e, err := newEnv("patroni")
	if err != nil {
		return nil, err
	}
	c = &Patroni{env: e}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	t := time.Now()
	if err := c.startEtcd(ctx); err != nil {
		return nil, err
	}
	c.Startup.step("etcd", t)
	script := filepath.Join(e.dir, "post-bootstrap.sh")
	if err := os.WriteFile(script, postBootstrap, 0o755); err != nil {
		return nil, err
	}
	t = time.Now()
	for i := range c.nodes {
		n, err := c.newNode(fmt.Sprintf("pg%d", i+1), template, script)
		if err != nil {
			return nil, err
		}
		c.nodes[i] = n
		if err := n.Start(); err != nil {
			return nil, err
		}
	}
	leader, err := c.WaitLeader(ctx, nil)
	if err != nil {
		return nil, err
	}
	c.Startup.step("leader bootstrapped", t)
	t = time.Now()
	if err := prepareDatabase(ctx, leader.connect, leader.URL(), o); err != nil {
		return nil, err
	}
	c.Startup.step("gisd schema"+o.key(), t)
	t = time.Now()
	if err := c.WaitHealthy(ctx); err != nil {
		return nil, err
	}
	c.Startup.step("replica streaming", t)
	return c, nil
}

// deployFile reads a file of the repository's deploy directory, found from the working directory
// (a test runs in its package's directory) up to go.mod.
func deployFile(name string) ([]byte, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.ReadFile(filepath.Join(dir, "deploy", name))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("ha: no go.mod above the working directory, so no deploy/%s", name)
		}
		dir = parent
	}
}

func (c *Patroni) startEtcd(ctx context.Context) error {
	var err error
	if c.etcdPort, err = freePort(); err != nil {
		return err
	}
	peer, err := freePort()
	if err != nil {
		return err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", c.etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	c.etcd, err = c.env.start("etcd", false, filepath.Join(c.env.dir, "etcd.log"), nil, "/usr/bin/etcd",
		"--name", "e1", "--data-dir", filepath.Join(c.env.dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e1="+peerURL, "--initial-cluster-state", "new",
		"--log-level", "warn")
	if err != nil {
		return err
	}
	return waitFor(ctx, "etcd to report healthy on "+client, 30*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		if !c.etcd.running() {
			return false, errStop{c.etcd.exited()}
		}
		var h struct{ Health string }
		err := getJSON(ctx, client+"/health", &h)
		return err == nil && h.Health == "true", err
	})
}

// nodeConfig is the harness's node file, merged by Patroni over deploy/patroni.yml: loopback
// addresses, trust authentication, no archiving, and timings short enough for a test (a leader
// whose Patroni died is replaced after ttl seconds).
func (c *Patroni) nodeConfig(n *PatroniNode, postBootstrap string) map[string]any {
	addr := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	return map[string]any{
		"name":    n.Name,
		"restapi": map[string]any{"listen": addr(n.APIPort), "connect_address": addr(n.APIPort)},
		"etcd3":   map[string]any{"hosts": addr(c.etcdPort)},
		// No watchdog device on a test machine.
		"watchdog": map[string]any{"mode": "off"},
		"bootstrap": map[string]any{
			"dcs": map[string]any{
				"ttl": 10, "loop_wait": 1, "retry_timeout": 4,
				"postgresql": map[string]any{
					"parameters": map[string]any{
						"archive_mode": "off", "archive_command": "/bin/true", "wal_keep_size": "256MB",
						"max_connections": 100, "fsync": "off",
					},
					"recovery_conf": map[string]any{"restore_command": "/bin/false"},
				},
			},
			"post_bootstrap": postBootstrap,
		},
		"postgresql": map[string]any{
			"listen":          addr(n.Port),
			"connect_address": addr(n.Port),
			"data_dir":        filepath.Join(n.dir, "data"),
			"pgpass":          filepath.Join(n.dir, "pgpass"),
			"parameters": map[string]any{
				"unix_socket_directories": n.dir,
				"ssl":                     "off",
				"shared_buffers":          "64MB",
			},
			"pg_hba": []string{
				"local all all trust",
				"host all all 127.0.0.1/32 trust",
				"host replication all 127.0.0.1/32 trust",
			},
		},
	}
}

func (c *Patroni) newNode(name string, template []byte, postBootstrap string) (*PatroniNode, error) {
	n := &PatroniNode{Name: name, env: c.env, dir: filepath.Join(c.env.dir, name), log: filepath.Join(c.env.dir, name+".log")}
	var err error
	if n.Port, err = freePort(); err != nil {
		return nil, err
	}
	if n.APIPort, err = freePort(); err != nil {
		return nil, err
	}
	n.conf = filepath.Join(n.dir, "conf")
	if err := c.env.acct.mkdir(n.dir); err != nil {
		return nil, err
	}
	if err := c.env.acct.mkdir(n.conf); err != nil {
		return nil, err
	}
	// JSON is YAML; Patroni merges the files in name order.
	node, err := json.MarshalIndent(c.nodeConfig(n, postBootstrap), "", "  ")
	if err != nil {
		return nil, err
	}
	if err := c.env.acct.writeFile(filepath.Join(n.conf, "10-cluster.yml"), template, 0o600); err != nil {
		return nil, err
	}
	if err := c.env.acct.writeFile(filepath.Join(n.conf, "20-node.yml"), node, 0o600); err != nil {
		return nil, err
	}
	return n, nil
}

// Running reports whether the node's Patroni is alive.
func (n *PatroniNode) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc != nil && n.proc.running()
}

// Start starts the node's Patroni, which starts (or, on a fresh node, creates) its PostgreSQL.
// It does not wait: WaitHealthy does.
func (n *PatroniNode) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc != nil && n.proc.running() {
		return nil
	}
	p, err := n.env.start("patroni-"+n.Name, true, n.log, []string{
		"PATRONI_SUPERUSER_PASSWORD=gisd-test",
		"PATRONI_REPLICATION_PASSWORD=gisd-test",
		"PATRONI_REWIND_PASSWORD=gisd-test",
		"PATRONI_RESTAPI_PASSWORD=" + restPassword,
	}, "/usr/bin/patroni", n.conf)
	if err != nil {
		return err
	}
	n.proc = p
	return nil
}

// Kill ends the node as a crash of its machine would: Patroni and PostgreSQL with every backend,
// at once. Its leader key, if it held it, stays in etcd until its ttl runs out.
func (n *PatroniNode) Kill() {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p != nil {
		p.kill()
	}
	if pid, ok := readPID(filepath.Join(n.dir, "data", "postmaster.pid")); ok {
		killPostmaster(pid)
	}
}

// Freeze stops the node's Patroni and PostgreSQL in their tracks (SIGSTOP), as a machine that
// hangs or drops off the network: unlike Kill, connections to it are not refused but go
// unanswered. Its leader key expires after ttl; Thaw lets it run on.
func (n *PatroniNode) Freeze() { n.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen node (SIGCONT). A former leader finds its key gone and demotes itself.
func (n *PatroniNode) Thaw() { n.signal(syscall.SIGCONT) }

func (n *PatroniNode) signal(sig syscall.Signal) {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p != nil && p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
	if pid, ok := readPID(filepath.Join(n.dir, "data", "postmaster.pid")); ok {
		signalPostmaster(pid, sig)
	}
}

// Stop stops the node as an administrator would (systemctl stop): Patroni shuts PostgreSQL down
// and, if it led, gives the leader key up at once.
func (n *PatroniNode) Stop(ctx context.Context) error {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p == nil || !p.running() {
		return nil
	}
	if p.terminate(ctx, syscall.SIGTERM, time.Minute) {
		return nil
	}
	n.Kill()
	return fmt.Errorf("ha: Patroni %s did not stop within its deadline; killed it", n.Name)
}

// Member is one node as Patroni's /cluster reports it.
type Member struct {
	Name     string `json:"name"`
	Role     string `json:"role"`  // leader, sync_standby, replica
	State    string `json:"state"` // running, starting, stopped, ...
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Timeline int    `json:"timeline"`
	Lag      any    `json:"lag"` // bytes, or "unknown"
}

// Members asks any running node's REST API for the cluster's members.
func (c *Patroni) Members(ctx context.Context) ([]Member, error) {
	var last error = errors.New("no Patroni is running")
	for _, n := range c.nodes {
		if !n.Running() {
			continue
		}
		var cl struct{ Members []Member }
		if err := getJSON(ctx, n.APIURL()+"/cluster", &cl); err != nil {
			last = err
			continue
		}
		return cl.Members, nil
	}
	return nil, last
}

// Leader is the node Patroni names leader, once its PostgreSQL takes writes.
func (c *Patroni) Leader(ctx context.Context) (*PatroniNode, error) {
	ms, err := c.Members(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Role != "leader" || m.State != "running" {
			continue
		}
		n := c.node(m.Name)
		if n == nil || !n.Running() {
			continue
		}
		var rec bool
		if err := queryURL(ctx, nodeURL(n.Port, "postgres"), `SELECT pg_is_in_recovery()`, &rec); err != nil {
			return nil, fmt.Errorf("ha: leader %s: %w", n.Name, err)
		}
		if rec {
			return nil, fmt.Errorf("ha: leader %s is still in recovery", n.Name)
		}
		return n, nil
	}
	return nil, fmt.Errorf("ha: no running leader among %+v", ms)
}

// Other is the node that is not n.
func (c *Patroni) Other(n *PatroniNode) *PatroniNode {
	if c.nodes[0] == n {
		return c.nodes[1]
	}
	return c.nodes[0]
}

// Nodes are the two nodes in a fixed order.
func (c *Patroni) Nodes() [2]*PatroniNode { return c.nodes }

func (c *Patroni) node(name string) *PatroniNode {
	for _, n := range c.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// WaitLeader waits (up to 90 seconds) until a node other than not (nil: any node) leads and
// takes writes.
func (c *Patroni) WaitLeader(ctx context.Context, not *PatroniNode) (*PatroniNode, error) {
	return c.waitLeader(ctx, not, 90*time.Second)
}

func (c *Patroni) waitLeader(ctx context.Context, not *PatroniNode, limit time.Duration) (*PatroniNode, error) {
	what := "a Patroni leader that takes writes"
	if not != nil {
		what = "a Patroni leader other than " + not.Name
	}
	var leader *PatroniNode
	err := waitFor(ctx, what, limit, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, n := range c.nodes {
			if n.Running() {
				continue
			}
			if n != not {
				return false, errStop{fmt.Errorf("Patroni %s exited; end of its log:\n%s", n.Name, tail(n.log, 25))}
			}
		}
		l, err := c.Leader(ctx)
		if err != nil {
			return false, err
		}
		leader = l
		return l != not, fmt.Errorf("the leader is still %s", l.Name)
	})
	return leader, err
}

// MultiHostURL names both nodes with target_session_attrs=read-write: a client keeps the one that
// takes writes, which is how gisd finds the new leader after a failover.
func (c *Patroni) MultiHostURL() string { return c.MultiHostURLWith("read-write") }

// MultiHostURLWith is MultiHostURL with another target_session_attrs.
func (c *Patroni) MultiHostURLWith(attrs string) string {
	return multiHostURL([]int{c.nodes[0].Port, c.nodes[1].Port}, attrs)
}

// WaitHealthy waits until there is a leader that takes writes and the other node streams from it
// as its synchronous standby.
func (c *Patroni) WaitHealthy(ctx context.Context) error {
	leader, err := c.WaitLeader(ctx, nil)
	if err != nil {
		return err
	}
	other := c.Other(leader)
	return waitFor(ctx, fmt.Sprintf("%s to stream from leader %s as its synchronous standby", other.Name, leader.Name), 90*time.Second, 100*time.Millisecond,
		func(ctx context.Context) (bool, error) {
			if !other.Running() {
				return false, errStop{fmt.Errorf("Patroni %s exited; end of its log:\n%s", other.Name, tail(other.log, 25))}
			}
			var state, sync string
			err := queryURL(ctx, nodeURL(leader.Port, "postgres"),
				`SELECT state, sync_state FROM pg_stat_replication WHERE application_name = '`+other.Name+`'`, &state, &sync)
			if err != nil {
				return false, err
			}
			if state != "streaming" || sync != "sync" {
				return false, fmt.Errorf("pg_stat_replication: state %s, sync_state %s", state, sync)
			}
			// Patroni must agree (its sync key in etcd), or it refuses a switchover to it.
			ms, err := c.Members(ctx)
			if err != nil {
				return false, err
			}
			for _, m := range ms {
				if m.Name == other.Name {
					return m.Role == "sync_standby" && m.State == "running", fmt.Errorf("patroni reports %s as %s, %s", m.Name, m.Role, m.State)
				}
			}
			return false, fmt.Errorf("patroni does not list %s", other.Name)
		})
}

// Failover crashes the leader (Kill: Patroni and PostgreSQL at once) and waits until the other
// node has taken over, which happens once the dead leader's key expires in etcd (ttl, 10s here).
// The old leader stays down; Restore, or its Start followed by WaitHealthy, brings it back as a
// replica (rewound with pg_rewind).
func (c *Patroni) Failover(ctx context.Context) (old, leader *PatroniNode, err error) {
	old, err = c.Leader(ctx)
	if err != nil {
		return nil, nil, err
	}
	old.Kill()
	leader, err = c.waitLeader(ctx, old, 60*time.Second)
	return old, leader, err
}

// Switchover asks Patroni for a planned change of leader (the REST API's /switchover, as
// `patronictl switchover` does): the leader stops cleanly, the synchronous standby is promoted and
// the old leader follows it. It waits until the new leader takes writes and the old one streams
// from it.
func (c *Patroni) Switchover(ctx context.Context) (old, leader *PatroniNode, err error) {
	old, err = c.Leader(ctx)
	if err != nil {
		return nil, nil, err
	}
	cand := c.Other(old)
	body, _ := json.Marshal(map[string]string{"leader": old.Name, "candidate": cand.Name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, old.APIURL()+"/switchover", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.SetBasicAuth(restUser, restPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ha: switchover: %w", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("ha: switchover: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	if leader, err = c.waitLeader(ctx, old, 60*time.Second); err != nil {
		return old, nil, err
	}
	return old, leader, c.WaitHealthy(ctx)
}

// Restore starts any node that is down and waits until the cluster is healthy again.
func (c *Patroni) Restore(ctx context.Context) error {
	for _, n := range c.nodes {
		n.Thaw()
		if err := n.Start(); err != nil {
			return err
		}
	}
	return c.WaitHealthy(ctx)
}

func (c *Patroni) close() {
	// Patroni first (it stops its PostgreSQL and would restart one killed under it), etcd last.
	for _, n := range c.nodes {
		if n != nil {
			n.Thaw()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_ = n.Stop(ctx)
			cancel()
		}
	}
	c.env.close(10 * time.Second)
}

func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %s: %w", url, resp.Status, err)
	}
	return nil
}
