//go:build failoverprobe

// The failover probe records what a `gisd serve` binary does when the Patroni leader under it
// crashes: it asserts nothing about gisd, it writes a timeline. It is how the findings in
// docs/deploy.md ("What gisd does on a failover today") were made, and the starting point of the
// test that will assert the fixed behaviour. Run it with
//
//	go test -tags failoverprobe ./store/storetest/ha -run FailoverProbe -v -count=1
//
// GISD_PROBE_MODE chooses the event: kill (the leader's machine crashes: Patroni and PostgreSQL
// killed, the default), freeze (it hangs: SIGSTOP, connections go unanswered) or switchover (a
// planned change of leader through Patroni's REST API).

package ha_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/store/storetest/ha"
)

type probeEvent struct {
	at     time.Duration // since the start of the probe
	kind   string
	status int
	detail string
	took   time.Duration
}

type probeLog struct {
	start time.Time
	mu    sync.Mutex
	ev    []probeEvent
}

func (l *probeLog) add(kind string, status int, detail string, took time.Duration) {
	l.mu.Lock()
	l.ev = append(l.ev, probeEvent{time.Since(l.start), kind, status, detail, took})
	l.mu.Unlock()
}

func moduleRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
}

func house(permit string, dx float64) string {
	x0, y0 := 569600+dx, 1275700.0
	return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]]},
 "properties":{"permit_no":%[5]q,"permit_date":"2026-11-20","permit_issuer":"Sở Xây dựng","kind":"Nhà ở riêng lẻ","grade":"III","storeys":3,"height_m":11.5,"total_floor_area_m2":360,"status":"permitted"}}`,
		x0, y0, x0+12, y0+10, permit)
}

func TestFailoverProbe(t *testing.T) {
	c := ha.StartPatroni(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "gisd")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gisd")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	url := c.MultiHostURL()
	out, err := exec.CommandContext(ctx, bin, "keys", "create", "--database-url", url, "--name", "probe",
		"--scopes", "constructions:write,constructions:read").CombinedOutput()
	if err != nil {
		t.Fatalf("gisd keys create: %v\n%s", err, out)
	}
	key := ""
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "gisd_") || len(f) > 30 {
			key = f
		}
	}
	t.Logf("keys create: %s", strings.TrimSpace(string(out)))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(dir, "gisd.log")
	logf, _ := os.Create(logPath)
	srv := exec.Command(bin, "serve", "--database-url", url, "--addr", addr, "--rate-limit", "0", "--log-level", "debug")
	srv.Stdout, srv.Stderr = logf, logf
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
		logf.Close()
		b, _ := os.ReadFile(logPath)
		var keep []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "listener") || strings.Contains(line, "level=WARN") {
				keep = append(keep, line)
			}
		}
		t.Logf("gisd warnings and errors (%d lines):\n%s", len(keep), strings.Join(firstLast(keep, 40), "\n"))
	}()
	base := "http://" + addr
	if err := waitHTTP(ctx, base+"/readyz"); err != nil {
		t.Fatal(err)
	}

	// Clients give up after a minute, as a browser or a sector application might: long enough to
	// see how long gisd itself holds a request.
	client := &http.Client{Timeout: time.Minute}
	do := func(method, path, body string) (int, []byte, http.Header, time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/geo+json")
			req.Header.Set("Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/9212>")
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, time.Since(t0), err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header, time.Since(t0), nil
	}
	// One house first, to find its tile.
	if code, b, _, _, err := do("POST", "/ogc/collections/constructions/items", house("probe-0", 0)); code != 201 {
		t.Fatalf("first write: %d %s %v", code, b, err)
	}
	var lon, lat float64
	if err := queryOne(ctx, url, `SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM constructions LIMIT 1`, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 15)
	tilePath := fmt.Sprintf("/tiles/constructions/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)

	log := &probeLog{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var created sync.Map // permit -> status
	loop := func(kind string, every time.Duration, fn func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(every):
				}
				fn(i)
			}
		}()
	}
	summarize := func(b []byte) string {
		var p struct{ Type, Title, Detail string }
		if json.Unmarshal(b, &p) == nil && p.Title != "" {
			return p.Title + ": " + p.Detail
		}
		if len(b) > 80 {
			b = b[:80]
		}
		return string(b)
	}
	loop("write", 100*time.Millisecond, func(i int) {
		permit := fmt.Sprintf("probe-%d", i)
		code, b, _, took, err := do("POST", "/ogc/collections/constructions/items", house(permit, float64(i%50)*0.5))
		created.Store(permit, code)
		if err != nil {
			log.add("write", 0, err.Error(), took)
			return
		}
		log.add("write", code, summarize(b), took)
	})
	loop("items", 100*time.Millisecond, func(int) {
		code, b, _, took, err := do("GET", "/ogc/collections/constructions/items?limit=1", "")
		if err != nil {
			log.add("items", 0, err.Error(), took)
			return
		}
		log.add("items", code, summarize(b), took)
	})
	loop("tile", 100*time.Millisecond, func(int) {
		code, b, _, took, err := do("GET", tilePath, "")
		if err != nil {
			log.add("tile", 0, err.Error(), took)
			return
		}
		if code == 200 {
			log.add("tile", code, digest(b), took)
			return
		}
		log.add("tile", code, summarize(b), took)
	})
	loop("readyz", 250*time.Millisecond, func(int) {
		code, b, _, took, err := do("GET", "/readyz", "")
		if err != nil {
			log.add("readyz", 0, err.Error(), took)
			return
		}
		log.add("readyz", code, strings.TrimSpace(string(b)), took)
	})
	// The change feed as a client follows it: reconnect with Last-Event-ID when the stream ends.
	sseIDs := make(chan string, 10000)
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := ""
		for {
			select {
			case <-stop:
				return
			default:
			}
			sctx, scancel := context.WithCancel(ctx)
			go func() { <-stop; scancel() }()
			req, _ := http.NewRequestWithContext(sctx, "GET", base+"/api/v1/changes/stream?layers=constructions", nil)
			req.Header.Set("Authorization", "Bearer "+key)
			if last != "" {
				req.Header.Set("Last-Event-ID", last)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				log.add("sse", 0, err.Error(), 0)
				scancel()
				time.Sleep(200 * time.Millisecond)
				continue
			}
			log.add("sse", resp.StatusCode, "connected", 0)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
					last = id
					sseIDs <- id
				}
			}
			resp.Body.Close()
			scancel()
			log.add("sse", -1, "stream ended", 0)
			time.Sleep(200 * time.Millisecond)
		}
	}()

	time.Sleep(3 * time.Second)
	killAt := time.Since(log.start)
	var old, leader *ha.PatroniNode
	switch mode := probeMode(); mode {
	case "kill":
		old, leader, err = c.Failover(ctx)
	case "freeze":
		if old, err = c.Leader(ctx); err == nil {
			old.Freeze()
			defer old.Thaw()
			leader, err = c.WaitLeader(ctx, old)
		}
	case "switchover":
		old, leader, err = c.Switchover(ctx)
	default:
		t.Fatalf("GISD_PROBE_MODE=%s: want kill, freeze or switchover", mode)
	}
	if err != nil {
		t.Fatal(err)
	}
	promotedAt := time.Since(log.start)
	t.Logf("%s of %s at %v; %s took writes at %v", probeMode(), old.Name, killAt.Round(time.Millisecond), leader.Name, promotedAt.Round(time.Millisecond))
	time.Sleep(40 * time.Second)
	close(stop)
	wg.Wait()
	close(sseIDs)

	// Timeline: status changes per kind.
	sort.Slice(log.ev, func(i, j int) bool { return log.ev[i].at < log.ev[j].at })
	lastStatus := map[string]string{}
	counts := map[string]map[string]int{}
	var maxTook = map[string]time.Duration{}
	for _, e := range log.ev {
		phase := "before"
		if e.at >= killAt {
			phase = "during"
		}
		if e.at >= promotedAt {
			phase = "after"
		}
		k := fmt.Sprintf("%s %s %d", e.kind, phase, e.status)
		if counts[e.kind] == nil {
			counts[e.kind] = map[string]int{}
		}
		counts[e.kind][fmt.Sprintf("%s:%d", phase, e.status)]++
		if e.took > maxTook[e.kind+" "+phase] {
			maxTook[e.kind+" "+phase] = e.took
		}
		s := fmt.Sprint(e.status)
		if lastStatus[e.kind] != s {
			t.Logf("%8v %-6s %d %s", (e.at - killAt).Round(time.Millisecond), e.kind, e.status, e.detail)
			lastStatus[e.kind] = s
		}
		_ = k
	}
	// Tile staleness: the longest stretch in which the tile's bytes stayed the same while writes
	// inside it kept answering 201.
	for _, phase := range []struct {
		name     string
		from, to time.Duration
	}{{"before", 0, killAt}, {"after", promotedAt, time.Duration(1 << 62)}} {
		var longest, startAt time.Duration
		var cur string
		writes := 0
		var longestWrites int
		for _, e := range log.ev {
			if e.at < phase.from || e.at >= phase.to {
				continue
			}
			switch {
			case e.kind == "write" && e.status == 201:
				writes++
			case e.kind == "tile" && e.status == 200:
				if e.detail != cur {
					cur, startAt, writes = e.detail, e.at, 0
				} else if d := e.at - startAt; d > longest && writes >= 2 {
					longest, longestWrites = d, writes
				}
			}
		}
		t.Logf("tile %s the failover: longest unchanged stretch while writes in it succeeded: %v (%d writes)", phase.name, longest.Round(time.Millisecond), longestWrites)
	}
	for kind, m := range counts {
		t.Logf("%-6s %v", kind, m)
	}
	t.Logf("slowest: %v", maxTook)

	// Were 201 writes kept, and were failed writes really not committed?
	var ok201, failed, committedAfterFail int
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	created.Range(func(k, v any) bool {
		var n int
		_ = conn.QueryRow(ctx, `SELECT count(*) FROM constructions WHERE permit_no = $1`, k).Scan(&n)
		if v.(int) == 201 {
			ok201++
			if n != 1 {
				t.Logf("write %s answered 201 but %d rows exist", k, n)
			}
		} else {
			failed++
			if n > 0 {
				committedAfterFail++
			}
		}
		return true
	})
	t.Logf("writes: %d answered 201 (all present unless listed above); %d failed, of which %d were committed anyway", ok201, failed, committedAfterFail)

	// Change feed: every committed change should have reached the stream client.
	seen := map[string]bool{}
	for id := range sseIDs {
		seen[id] = true
	}
	var feed int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM changes WHERE layer = 'constructions'`).Scan(&feed)
	t.Logf("change feed: %d constructions changes in the table, %d distinct ids seen on the stream", feed, len(seen))

	// Tile freshness after the failover: cache the tile, write inside it, fetch again.
	_, before, hdr1, _, _ := do("GET", tilePath, "")
	code, b, _, _, _ := do("POST", "/ogc/collections/constructions/items", house("probe-after", 3))
	time.Sleep(time.Second)
	_, after, hdr2, _, _ := do("GET", tilePath, "")
	t.Logf("tile after the failover: write %d %s; tile %s (ETag %s) -> %s (ETag %s): %s", code, summarize(b),
		digest(before), hdr1.Get("ETag"), digest(after), hdr2.Get("ETag"),
		map[bool]string{true: "UNCHANGED (stale)", false: "changed (fresh)"}[bytes.Equal(before, after)])
}

func probeMode() string {
	if m := os.Getenv("GISD_PROBE_MODE"); m != "" {
		return m
	}
	return "kill"
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%d B %s", len(b), hex.EncodeToString(s[:4]))
}

func firstLast(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(append(append([]string{}, lines[:n/2]...), "..."), lines[len(lines)-n/2:]...)
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("waited 30s for %s to answer 200", url)
}

func queryOne(ctx context.Context, url, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}
