package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// requireTool finds a command-line tool; without it the test is skipped, unless the suite runs
// with GISD_REQUIRE_DB=1 (make test, CI), where scripts/test-deps.sh has installed it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("GISD_REQUIRE_DB") == "1" {
			t.Fatalf("%s is not installed (apt-get install gdal-bin; make test does it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// gdal runs a GDAL command-line tool and returns its output.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, tool), args...)
	// No proxy may stand between GDAL and the test server; no user configuration either.
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", "GDAL_HTTP_TIMEOUT=60", "GDAL_CACHEMAX=64")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var featureCountRE = regexp.MustCompile(`Feature Count: (\d+)`)

func featureCount(t *testing.T, out string) int64 {
	t.Helper()
	m := featureCountRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no feature count in:\n%s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// recorder keeps the query strings of the requests GDAL made, to show what it asked the server
// to do (and what it did on its side).
type recorder struct {
	mu   sync.Mutex
	h    http.Handler
	reqs []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.URL.RequestURI())
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

func (r *recorder) since(i int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs[i:]...)
}

func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// GDAL's OGC API – Features driver, as QGIS and ogr2ogr users meet it: it lists every collection,
// reports counts equal to the database's, reads a collection to the end through next links, and
// passes -spat and -where on to the server.
func TestOGC_GDAL(t *testing.T) {
	requireTool(t, "ogrinfo")
	dbURL := storetest.Demo(t)
	s := storetest.Store(t, dbURL)
	pool := storetest.Pool(t, dbURL)
	rec := &recorder{h: newServer(t, s)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	ds := "OAPIF:" + srv.URL + "/ogc"
	ctx := context.Background()
	count := func(sql string) int64 {
		t.Helper()
		var n int64
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("lists every collection", func(t *testing.T) {
		out := gdal(t, "ogrinfo", "-ro", "-so", ds)
		for _, l := range s.Catalog().Layers() {
			if l.Access == "public" && !strings.Contains(out, ": "+l.ID+" (") {
				t.Errorf("ogrinfo does not list %s:\n%s", l.ID, out)
			}
		}
	})

	t.Run("feature counts equal the database's", func(t *testing.T) {
		for _, l := range []string{"parcels", "constructions", "admin_units"} {
			got := featureCount(t, gdal(t, "ogrinfo", "-ro", "-al", "-so", ds, l))
			if want := count(`SELECT count(*) FROM ` + l); got != want {
				t.Errorf("%s: ogrinfo counts %d, the database %d", l, got, want)
			}
		}
	})

	t.Run("ogr2ogr reads a collection completely through next links", func(t *testing.T) {
		for _, pageSize := range []string{"1000", "317"} {
			out := filepath.Join(t.TempDir(), "constructions.geojson")
			start := rec.mark()
			gdal(t, "ogr2ogr", "-f", "GeoJSON", out, ds, "constructions", "-oo", "PAGE_SIZE="+pageSize)
			got := featureCount(t, gdal(t, "ogrinfo", "-ro", "-al", "-so", out))
			if want := count(`SELECT count(*) FROM constructions`); got != want {
				t.Errorf("page size %s: ogr2ogr wrote %d features, the database has %d", pageSize, got, want)
			}
			var cursors int
			for _, r := range rec.since(start) {
				if strings.Contains(r, "cursor=") {
					cursors++
				}
			}
			if cursors < 2 {
				t.Errorf("page size %s: %d requests followed a next link, want several", pageSize, cursors)
			}
			// The copy has every feature once: as many distinct ids as features.
			ids := gdal(t, "ogrinfo", "-ro", "-q", "-sql", "SELECT COUNT(DISTINCT FID) AS n FROM constructions", out)
			if !strings.Contains(ids, "n (Integer) = "+strconv.FormatInt(got, 10)) {
				t.Errorf("page size %s: distinct ids: %s", pageSize, ids)
			}
		}
	})

	t.Run("-spat is a bbox on the server", func(t *testing.T) {
		start := rec.mark()
		got := featureCount(t, gdal(t, "ogrinfo", "-ro", "-al", "-so", ds, "parcels", "-spat", "106.85", "11.50", "106.90", "11.55"))
		if want := count(`SELECT count(*) FROM parcels WHERE ST_Intersects(geom, ST_MakeEnvelope(106.85, 11.50, 106.90, 11.55, 4326))`); got != want || want == 0 {
			t.Errorf("-spat: %d, want %d", got, want)
		}
		if !anyContains(rec.since(start), "bbox=") {
			t.Errorf("no request carried bbox: %v", rec.since(start))
		}
	})

	t.Run("-where is a filter on the server", func(t *testing.T) {
		start := rec.mark()
		got := featureCount(t, gdal(t, "ogrinfo", "-ro", "-al", "-so", ds, "parcels", "-where", "main_use = 'ONT' AND sheet_no > 3"))
		if want := count(`SELECT count(*) FROM parcels WHERE main_use = 'ONT' AND sheet_no > 3`); got != want || want == 0 {
			t.Errorf("-where: %d, want %d", got, want)
		}
		if !anyContains(rec.since(start), "filter=") && !anyContains(rec.since(start), "main_use=") {
			t.Errorf("the filter stayed on the client: %v", rec.since(start))
		}
		// Read the features too, with both filters, and check every one.
		out := filepath.Join(t.TempDir(), "ont.geojson")
		gdal(t, "ogr2ogr", "-f", "GeoJSON", out, ds, "parcels", "-where", "main_use = 'ONT'", "-spat", "106.85", "11.50", "106.90", "11.55", "-oo", "PAGE_SIZE=100")
		n := featureCount(t, gdal(t, "ogrinfo", "-ro", "-al", "-so", out))
		want := count(`SELECT count(*) FROM parcels WHERE main_use = 'ONT' AND ST_Intersects(geom, ST_MakeEnvelope(106.85, 11.50, 106.90, 11.55, 4326))`)
		if n != want || want == 0 {
			t.Errorf("-where with -spat wrote %d features, want %d", n, want)
		}
	})
}

// anyContains reports whether any request contains s.
func anyContains(reqs []string, s string) bool {
	for _, r := range reqs {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}
