package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store/storetest"
)

func importPath(name string) string { return filepath.Join("..", "..", "testdata", "import", name) }

// TestMain lets a test run gisd as a process of its own (GISD_TEST_RUN holds the arguments,
// separated by 0x1f), to kill it.
// runAsGisd makes this test binary run gisd with the arguments in GISD_TEST_RUN (startGisd's
// child); TestMain calls it first.
func runAsGisd() {
	if args := os.Getenv("GISD_TEST_RUN"); args != "" {
		os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
}

// startGisd runs gisd with args in a process of its own.
func startGisd(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), "GISD_TEST_RUN="+strings.Join(args, "\x1f"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// An import whose gisd process is killed (no chance to tell the server) stops on the server
// too: here it waits for a lock another session holds, and once the process is gone its backend
// stops waiting instead of waiting, then writing, until the lock is released.
func TestImportCommand_KilledProcessStopsTheServerWork(t *testing.T) {
	url := storetest.Migrated(t)
	pool := storetest.Pool(t, url)
	ctx := context.Background()
	t.Setenv("DATABASE_URL", url)
	for _, f := range []string{"communes.geojson", "parcels.geojson"} {
		layer := map[string]string{"communes.geojson": "admin_units", "parcels.geojson": "parcels"}[f]
		if code, out, errs := runCmd(t, ctx, "import", "--layer", layer, "--file", importPath(f)); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", f, code, out, errs)
		}
	}
	locker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback(ctx)
	if _, err := locker.Exec(ctx, `LOCK TABLE parcels IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	cmd := startGisd(t, []string{"DATABASE_URL=" + url}, "import", "--layer", "parcels", "--mode", "upsert", "--file", importPath("parcels.geojson"))
	pid := storetest.WaitRow(t, pool, "the import waiting for the lock", `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%imp_stage%'`)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	storetest.WaitRow(t, pool, "the killed import's backend to go", `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, pid)
}

func cliCounts(t testing.TB, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tbl := range []string{"parcels", "admin_units", "layer_features", "parcels_history", "changes", "layers"} {
		var n int64
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func TestImportCommand(t *testing.T) {
	url := storetest.Migrated(t)
	pool := storetest.Pool(t, url)
	ctx := context.Background()
	t.Setenv("DATABASE_URL", url)
	imp := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, ctx, append([]string{"import"}, args...)...)
	}
	if code, out, errs := imp("--layer", "admin_units", "--file", importPath("communes.geojson")); code != 0 || !strings.Contains(out, "committed: 3 read, 3 accepted") {
		t.Fatalf("communes: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := imp("--layer", "parcels", "--file", importPath("parcels.geojson"))
	if code != 0 || !strings.Contains(out, "committed: 5 read, 5 accepted, 0 rejected, 0 repaired, 2 warnings; 5 inserted") ||
		!strings.Contains(out, "feature 2 [25217/1/3] warning legacy_land_use: legacy land-use code BHK mapped to HNK") {
		t.Fatalf("parcels: exit %d\n%s%s", code, out, errs)
	}
	id := regexp.MustCompile(`import (\d+) committed`).FindStringSubmatch(out)[1]

	// Every bad input of the issue fails with exit status 1, says why, and changes nothing.
	deep := filepath.Join(t.TempDir(), "deep.geojson")
	os.WriteFile(deep, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":`+strings.Repeat("[", 100000)), 0o644)
	bad := []struct{ file, want string }{
		{importPath("bad/empty.geojson"), "empty input"},
		{importPath("bad/truncated.geojson"), "truncated"},
		{importPath("bad/not-a-collection.geojson"), "not a FeatureCollection"},
		{deep, "nested deeper than 4 levels"},
		{importPath("bad/number-1e400.geojson"), "1e400 is out of range"},
		{importPath("bad/nan.geojson"), "NaN is not valid JSON"},
		{importPath("bad/non-utf8.geojson"), "invalid UTF-8"},
		{importPath("bad/ring-2-points.geojson"), "ring 1 of polygon 1 has 2 positions"},
		{importPath("bad/mixed-geometry-types.geojson"), "a Point where the layer holds MultiPolygon geometries"},
		{importPath("bad/crs-mismatch.geojson"), "--srid 9212"},
	}
	for _, b := range bad {
		t.Run(filepath.Base(b.file), func(t *testing.T) {
			before := cliCounts(t, pool)
			code, out, errs := imp("--layer", "parcels", "--mode", "replace", "--file", b.file)
			if code != 1 || !strings.Contains(out+errs, b.want) {
				t.Errorf("exit %d, want 1 and %q in\n%s%s", code, b.want, out, errs)
			}
			if after := cliCounts(t, pool); len(after) != len(before) || !equalCounts(before, after) {
				t.Errorf("counts %v after, %v before", after, before)
			}
		})
	}
	// Attribute values are bounded by --max-value-bytes: the fixture's addresses are longer than 10 bytes.
	if code, out, errs := imp("--layer", "parcels", "--mode", "upsert", "--dry-run", "--max-value-bytes", "10", "--file", importPath("parcels.geojson")); code != 1 ||
		!strings.Contains(out, "rejected value_too_large: address: a value of") {
		t.Errorf("--max-value-bytes 10: exit %d\n%s%s", code, out, errs)
	}
	// A BOM is fine; a dry run says what would happen and writes nothing.
	before := cliCounts(t, pool)
	code, out, errs = imp("--layer", "parcels", "--mode", "upsert", "--dry-run", "--file", importPath("bom.geojson"))
	if code != 0 || !strings.Contains(out, "validated: 1 read") || !strings.Contains(out, "would be 0 inserted, 0 updated, 1 unchanged") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errs)
	}
	if !equalCounts(before, cliCounts(t, pool)) {
		t.Error("the dry run changed something")
	}
	code, out, errs = imp("--layer", "parcels", "--mode", "upsert", "--offline", "--dry-run", "--file", importPath("bom.geojson"))
	if code != 0 || !strings.Contains(out, "would be 0 inserted, 0 updated, 1 unchanged") {
		t.Errorf("offline dry run: exit %d\n%s%s", code, out, errs)
	}
	// Plain progress lines when stderr is not a terminal: none for a file read this quickly,
	// and nothing else on stderr.
	if errs != "" {
		t.Errorf("stderr = %q, want nothing", errs)
	}
	// show, list, revert.
	if code, out, _ := imp("show", id); code != 0 || !strings.Contains(out, "committed into parcels (append) from") || !strings.Contains(out, "BHK") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	if code, out, _ := imp("list", "--layer", "parcels"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "failed") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, _, errs := imp("cancel", id); code != 1 || !strings.Contains(errs, "is committed, not running: nothing to cancel") {
		t.Errorf("cancel of a committed import: exit %d %s", code, errs)
	}
	if code, out, errs := imp("revert", id); code != 0 || !strings.Contains(out, "5 features deleted") {
		t.Errorf("revert: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := imp("revert", id); code != 1 || !strings.Contains(errs, "already reverted") {
		t.Errorf("second revert: exit %d %s", code, errs)
	}
	// Usage mistakes exit 2.
	for _, args := range [][]string{
		{"--file", importPath("parcels.geojson")},
		{"--layer", "parcels", "--file", importPath("parcels.geojson"), "--mode", "merge"},
		{"--layer", "nope", "--file", importPath("parcels.geojson")},
		{"--layer", "parcels", "--file", importPath("parcels.geojson"), "--map", "x"},
		{"revert", "abc"},
		{"--layer", "parcels", "--file", importPath("parcels.geojson"), "--max-value-bytes", "-5"},
		{"frobnicate"},
	} {
		if code, _, errs := imp(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
}

func equalCounts(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBar(t *testing.T) {
	got := bar(storeProgress(1_500_000, 12000, 11990, 10), 3_000_000)
	if want := "[============            ]  50% 1.5 MB/3.0 MB  "; !strings.HasPrefix(got, want) || !strings.Contains(got, "accepted 11990  rejected 10") {
		t.Errorf("bar = %q", got)
	}
}

func storeProgress(bytes, read, accepted, rejected int64) importer.Progress {
	return importer.Progress{Phase: "reading", Bytes: bytes, Read: read, Accepted: accepted, Rejected: rejected}
}
