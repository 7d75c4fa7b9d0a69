package ha

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// shared holds the clusters of this test binary, started on first use and stopped by Main.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started map[string]*slot
	order   []string
}

// slot is one shared cluster, or the error that prevented it, so later tests fail at once
// instead of paying for another failing start-up.
type slot struct {
	val   any
	err   error
	close func()
}

// Main runs the package's tests and then stops every cluster they started and removes its files.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { ha.Main(m) }
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	defer closeAll()
	m.Run()
}

func closeAll() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for i := len(shared.order) - 1; i >= 0; i-- {
		if s := shared.started[shared.order[i]]; s.close != nil {
			s.close()
		}
	}
	shared.started, shared.order = nil, nil
}

// once returns the shared cluster under key, starting it with start the first time. Calls are
// serialized: a test never sees a cluster another test is still starting.
func once[T any](tb testing.TB, key string, start func() (T, func(), error)) T {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		tb.Fatalf("ha: clusters are shared by a package's tests and stopped after the last one: add\n\tfunc TestMain(m *testing.M) { ha.Main(m) }\nto the package")
	}
	if s, ok := shared.started[key]; ok {
		if s.err != nil {
			tb.Fatalf("ha: %s failed to start earlier in this package: %v", key, s.err)
		}
		return s.val.(T)
	}
	begin := time.Now()
	v, closer, err := start()
	if shared.started == nil {
		shared.started = map[string]*slot{}
	}
	shared.started[key] = &slot{val: v, err: err, close: closer}
	shared.order = append(shared.order, key)
	if err != nil {
		tb.Fatalf("ha: start %s: %v", key, err)
	}
	tb.Logf("ha: %s started in %v", key, time.Since(begin).Round(10*time.Millisecond))
	return v
}

// cluster is what StartReplicated and StartPatroni share.
type cluster interface {
	// Restore brings the cluster back to its started shape after a test changed it.
	Restore(ctx context.Context) error
}

// startShared returns the package's cluster of one kind, started on first use by start with the
// test's options, and restored to its started shape before every test that asks for it.
func startShared[T cluster](tb testing.TB, kind string, reqs [][]requirement, opts []Option,
	start func(options) (T, Timings, func(), error)) T {
	tb.Helper()
	require(tb, reqs...)
	var o options
	for _, f := range opts {
		f(&o)
	}
	c := once(tb, kind+o.key(), func() (T, func(), error) {
		c, took, closer, err := start(o)
		if err == nil {
			tb.Logf("ha: %s: %v", kind, took)
		}
		return c, closer, err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Restore(ctx); err != nil {
		tb.Fatalf("ha: restore the %s: %v", kind, err)
	}
	return c
}

// requirement is a program or file a cluster kind needs, and the Debian package providing it.
type requirement struct{ path, pkg string }

var (
	needPostgres = []requirement{
		{PGBin + "/initdb", "postgresql-15"},
		{"/usr/share/postgresql/15/extension/postgis.control", "postgresql-15-postgis-3"},
	}
	needPatroni = []requirement{
		{"/usr/bin/etcd", "etcd-server"},
		{"/usr/bin/patroni", "patroni"},
		{"/usr/lib/python3/dist-packages/psycopg2", "python3-psycopg2"},
	}
	needPgBouncer = []requirement{{"/usr/sbin/pgbouncer", "pgbouncer"}}
)

// require skips the test (or fails it under GISD_REQUIRE_DB=1, as `make test` runs) when a
// program is missing, naming the packages to install.
func require(tb testing.TB, reqs ...[]requirement) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("ha: replicated clusters take seconds to start; skipped with -short")
	}
	missing := map[string]bool{}
	for _, rs := range reqs {
		for _, r := range rs {
			if _, err := os.Stat(r.path); err != nil {
				missing[r.pkg] = true
			}
		}
	}
	if _, err := exec.LookPath("/bin/sh"); err != nil {
		missing["dash"] = true
	}
	if len(missing) == 0 {
		return
	}
	var pkgs []string
	for p := range missing {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	msg := fmt.Sprintf("ha: missing Debian packages %s: run scripts/test-deps.sh (or apt-get install %s)",
		strings.Join(pkgs, ", "), strings.Join(pkgs, " "))
	if os.Getenv("GISD_REQUIRE_DB") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
