package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
	"github.com/dongnai-gis/gisd/web"
)

// TestBrowser runs the browser tests (e2e/run.mjs) against the real server on a copy of the demo
// database, in Debian's Chromium driven by npm's playwright-core, then checks what the pages
// showed against the database. Screenshots of every step land in artifacts/e2e/ (GISD_ARTIFACTS
// overrides the folder); with GISD_UPDATE_SCREENSHOTS=1 the two the README shows are copied to
// docs/screenshots/.
//
// It needs node, chromium and a built bundle (`make web`). Without them it skips, saying why —
// unless GISD_REQUIRE_DB=1 (make test, CI), where a missing piece fails the test.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	node := need(t, "node", "")
	chromium := need(t, "chromium", os.Getenv("CHROMIUM"))
	if !web.Built() {
		missing(t, "the web bundle is not built: run `make web`")
	}
	if _, err := os.Stat("node_modules/playwright-core/package.json"); err != nil {
		missing(t, "playwright-core is not installed in web/node_modules: run `make web`")
	}
	dbURL := storetest.Demo(t)
	pool := storetest.Pool(t, dbURL)
	query := queryFunc(func(sql string, args ...any) rowScanner { return pool.QueryRow(context.Background(), sql, args...) })
	st := storetest.Store(t, dbURL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The server as `gisd serve` builds it, on an httptest listener.
	logger := slog.New(quietRequests{slog.NewTextHandler(newTestWriter(t, "server: "), nil)})
	tileSvc := tiles.New(st, tiles.Options{CacheBytes: 64 << 20, Timeout: 30 * time.Second, Logger: logger})
	st.Subscribe(tileSvc)
	listening := make(chan struct{})
	go func() { _ = st.Listen(ctx, listening) }()
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the store did not start listening for catalog changes")
	}
	handler := api.New(api.Config{Store: st, Logger: logger, Tiles: tileSvc})
	background := make(chan struct{})
	go func() { handler.Background(ctx); close(background) }()
	srv := httptest.NewServer(handler)
	// Stop in order: no more requests, then the background work, before the pool closes.
	defer func() {
		srv.Close()
		cancel()
		<-background
	}()

	fx := pickFixtures(t, query)
	// One key for the run: personal fields on the map, the admin scope for the import page.
	_, secret, err := st.CreateKey(ctx, store.NewKey{Name: "e2e", Scopes: []string{"admin", "*:read", "*:personal"}, CreatedBy: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	fx.APIKey = secret
	artifacts := os.Getenv("GISD_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("..", "artifacts", "e2e")
	}
	artifacts, _ = filepath.Abs(artifacts)
	_ = os.RemoveAll(artifacts)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	fxFile := filepath.Join(artifacts, "fixtures.json")
	b, _ := json.MarshalIndent(fx, "", "  ")
	if err := os.WriteFile(fxFile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithTimeout(ctx, 12*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, node, "e2e/run.mjs", srv.URL, artifacts)
	cmd.Env = append(os.Environ(), "E2E_FIXTURES="+fxFile, "CHROMIUM="+chromium, "E2E_API_KEY="+fx.APIKey)
	out := newTestWriter(t, "e2e: ")
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()

	var res results
	rb, err := os.ReadFile(filepath.Join(artifacts, "results.json"))
	if err != nil {
		t.Fatalf("the browser run wrote no results (%v); run error: %v", err, runErr)
	}
	if err := json.Unmarshal(rb, &res); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, s := range res.Steps {
		if !s.OK {
			t.Errorf("step %s failed: %s (screenshot %s)", s.Name, s.Error, filepath.Join(artifacts, s.Screenshot))
		}
	}
	if res.Fatal != "" {
		t.Errorf("the browser run stopped: %s", res.Fatal)
	}
	for _, u := range res.Outside {
		t.Errorf("the page requested %s, outside the server (the map must work without internet)", u)
	}
	for _, e := range res.PageErrors {
		t.Errorf("uncaught error in the page: %s", e)
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("node e2e/run.mjs: %v", runErr)
	}

	// What the pages showed, against the database.
	if s := res.step("click-parcel"); s.OK {
		checkPanel(t, query, fx.Click.Key, s.Panel)
	}
	if s := res.step("api-key-personal"); s.OK {
		var owner string
		parts := strings.Split(fx.Click.Key, "/")
		if err := query(`SELECT coalesce(owner_name, '') FROM parcels WHERE commune_code = $1 AND sheet_no = $2::int AND parcel_no = $3::int`,
			parts[0], parts[1], parts[2]).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if s.Panel.OwnerName != owner {
			t.Errorf("with a personal-scope key the panel shows land user %q, database has %q", s.Panel.OwnerName, owner)
		}
	}
	if s := res.step("search-cadastral-key"); s.OK {
		checkPanel(t, query, fx.Key.Key, s.Panel)
	}
	if s := res.step("search-dong-xoai"); s.OK && len(s.Center) == 2 {
		var inside bool
		if err := query(`SELECT EXISTS (SELECT 1 FROM admin_units WHERE code = '689'
			AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)))`, s.Center[0], s.Center[1]).Scan(&inside); err != nil {
			t.Fatal(err)
		}
		if !inside {
			t.Errorf(`after searching "dong xoai" the map is centred at %v, outside Thành phố Đồng Xoài (689)`, s.Center)
		}
	}
	if s := res.step("import-report"); s.OK {
		var n int
		if err := query(`SELECT count(*) FROM layer_features WHERE layer_id = $1`, fx.Import.Layer).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != fx.Import.Good {
			t.Errorf("layer %s holds %d features after the import, want %d", fx.Import.Layer, n, fx.Import.Good)
		}
		if r := s.Report.Rejected; len(r) == 1 && len(r[0]) > 0 && r[0][0] != strconv.Itoa(fx.Import.BadIndex) &&
			r[0][0] != strconv.Itoa(fx.Import.BadIndex+1) {
			t.Errorf("the rejected feature is listed with index %q, want %d (0-based) or %d (1-based)", r[0][0], fx.Import.BadIndex, fx.Import.BadIndex+1)
		}
	}
	if os.Getenv("GISD_UPDATE_SCREENSHOTS") == "1" && !t.Failed() {
		updateScreenshots(t, artifacts, res)
	}
	t.Logf("screenshots and results: %s", artifacts)
}

// need finds a program or reports it missing.
func need(t *testing.T, name, override string) string {
	t.Helper()
	if override != "" {
		return override
	}
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed (scripts/test-deps.sh installs it)")
	}
	return p
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("GISD_REQUIRE_DB") == "1" {
		t.Fatalf("browser tests cannot run: %s", why)
	}
	t.Skipf("browser tests skipped: %s", why)
}

type fixtures struct {
	Click    parcelTarget `json:"click"`
	Key      parcelTarget `json:"key"`
	VN2000   vnTarget     `json:"vn2000"`
	District struct {
		Code string `json:"code"`
	} `json:"district"`
	Import importFixture `json:"import"`
	APIKey string        `json:"-"` // passed in the environment, never written to the artifacts
}

type parcelTarget struct {
	Key string  `json:"key"`
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

type vnTarget struct {
	Key  string  `json:"key"`
	X    float64 `json:"x"` // easting
	Y    float64 `json:"y"` // northing
	SRID int     `json:"srid"`
}

type importFixture struct {
	Layer    string         `json:"layer"`
	Title    string         `json:"title"`
	GeoJSON  map[string]any `json:"geojson"`
	Good     int            `json:"good"`
	BadIndex int            `json:"bad_index"`
}

// queryFunc runs one query on the test database. (A function rather than the pool's type keeps
// this package free of pgx, which only store imports.)
type queryFunc func(sql string, args ...any) rowScanner

// pickFixtures chooses parcels of Thành phố Đồng Xoài from the database: one to click, one to
// find by its key, one to find by VN-2000 coordinates. Each target point is the centre of the
// parcel's largest inscribed circle, so a click there cannot fall on a neighbour.
func pickFixtures(t *testing.T, query queryFunc) fixtures {
	t.Helper()
	pick := func(offset int) (string, float64, float64) {
		var c string
		var s, p int
		var lon, lat float64
		err := query(`
			SELECT commune_code, sheet_no, parcel_no, ST_X(c), ST_Y(c)
			FROM (SELECT p.*, (ST_MaximumInscribedCircle(p.geom)).center AS c
			      FROM parcels p
			      JOIN admin_units d ON d.code = '689' AND ST_Contains(d.geom, p.geom)
			      WHERE p.official_area_m2 BETWEEN 400 AND 20000
			      ORDER BY p.commune_code, p.sheet_no, p.parcel_no OFFSET $1 LIMIT 1) x`, offset).Scan(&c, &s, &p, &lon, &lat)
		if err != nil {
			t.Fatalf("pick a parcel of Đồng Xoài: %v", err)
		}
		return fmt.Sprintf("%s/%d/%d", c, s, p), lon, lat
	}
	var fx fixtures
	fx.District.Code = "689"
	// For the click, a parcel with a land user and a construction on it, and with a history if
	// one has it, so that the panel shows every part.
	var key string
	var lon, lat float64
	err := query(`
		SELECT p.commune_code || '/' || p.sheet_no || '/' || p.parcel_no, ST_X(c), ST_Y(c)
		FROM parcels p
		JOIN admin_units d ON d.code = '689' AND ST_Contains(d.geom, p.geom)
		CROSS JOIN LATERAL (SELECT (ST_MaximumInscribedCircle(p.geom)).center AS c) m
		WHERE p.official_area_m2 BETWEEN 100 AND 20000 AND p.owner_name IS NOT NULL
		  AND EXISTS (SELECT 1 FROM constructions k WHERE ST_Area(ST_Intersection(k.geom, p.geom)) > 0)
		ORDER BY p.version > 1 DESC, p.id LIMIT 1`).Scan(&key, &lon, &lat)
	if err != nil {
		key, lon, lat = pick(0)
	}
	fx.Click = parcelTarget{key, lon, lat}
	fx.Key.Key, fx.Key.Lon, fx.Key.Lat = pick(7)
	vk, vlon, vlat := pick(23)
	x, y, err := geo.ToVN2000TM3(vlon, vlat, geo.ProvinceZone)
	if err != nil {
		t.Fatal(err)
	}
	fx.VN2000 = vnTarget{Key: vk, X: x, Y: y, SRID: geo.ProvinceZone}

	// A small GeoJSON of three features, the second with a ring of two points, which no repair
	// can save: the import must take two and report the second as rejected.
	square := func(x0, y0 float64) []any {
		d := 0.0004
		return []any{[]any{[]any{x0, y0}, []any{x0 + d, y0}, []any{x0 + d, y0 + d}, []any{x0, y0 + d}, []any{x0, y0}}}
	}
	feature := func(name string, geom map[string]any) map[string]any {
		return map[string]any{"type": "Feature", "properties": map[string]any{"ten": name, "ghi_chu": "thử nghiệm"}, "geometry": geom}
	}
	fx.Import = importFixture{
		Layer: "e2e_quy_hoach", Title: "Khu quy hoạch (thử nghiệm)", Good: 2, BadIndex: 1,
		GeoJSON: map[string]any{"type": "FeatureCollection", "features": []any{
			feature("Khu A", map[string]any{"type": "Polygon", "coordinates": square(lon+0.001, lat+0.001)}),
			feature("Khu hỏng", map[string]any{"type": "Polygon", "coordinates": []any{[]any{[]any{lon, lat}, []any{lon + 0.001, lat}}}}),
			feature("Khu B", map[string]any{"type": "Polygon", "coordinates": square(lon-0.002, lat-0.002)}),
		}},
	}
	return fx
}

type rowScanner interface{ Scan(dest ...any) error }

type results struct {
	Steps      []stepResult `json:"steps"`
	Outside    []string     `json:"outside"`
	PageErrors []string     `json:"pageErrors"`
	Console    []string     `json:"console"`
	Fatal      string       `json:"fatal"`
}

type stepResult struct {
	Name       string    `json:"name"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error"`
	Screenshot string    `json:"screenshot"`
	Panel      panel     `json:"panel"`
	Center     []float64 `json:"center"`
	Report     struct {
		Rejected [][]string `json:"rejected"`
	} `json:"report"`
}

type panel struct {
	Key          string `json:"key"`
	Commune      string `json:"commune"`
	District     string `json:"district"`
	Province     string `json:"province"`
	Address      string `json:"address"`
	OfficialArea string `json:"officialArea"`
	Uses         []struct {
		Code string `json:"code"`
		Name string `json:"name"`
		Area string `json:"area"`
	} `json:"uses"`
	Constructions []string `json:"constructions"`
	History       []string `json:"history"`
	OwnerName     string   `json:"ownerName"`
}

func (r results) step(name string) stepResult {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return stepResult{}
}

// checkPanel compares what the side panel showed for key with the parcels table.
func checkPanel(t *testing.T, query queryFunc, key string, p panel) {
	t.Helper()
	parts := strings.Split(key, "/")
	var area float64
	var address, landUse, commune string
	var constructions, versions int
	err := query(`
		SELECT p.official_area_m2::float8, p.address, p.land_use::text,
		       coalesce((SELECT a.name FROM admin_units a WHERE a.code = p.commune_code ORDER BY a.valid_to DESC NULLS FIRST LIMIT 1), ''),
		       (SELECT count(*) FROM constructions k WHERE ST_Area(ST_Intersection(k.geom, p.geom)) > 0),
		       p.version
		FROM parcels p WHERE p.commune_code = $1 AND p.sheet_no = $2::int AND p.parcel_no = $3::int`,
		parts[0], parts[1], parts[2]).Scan(&area, &address, &landUse, &commune, &constructions, &versions)
	if err != nil {
		t.Fatalf("parcel %s: %v", key, err)
	}
	if want := viNumber(area, 1) + " m²"; p.OfficialArea != want {
		t.Errorf("parcel %s: panel shows area %q, database has %q", key, p.OfficialArea, want)
	}
	if p.Address != address {
		t.Errorf("parcel %s: panel shows address %q, database has %q", key, p.Address, address)
	}
	var uses []struct {
		Code string  `json:"code"`
		Area float64 `json:"area"`
	}
	if err := json.Unmarshal([]byte(landUse), &uses); err != nil {
		t.Fatal(err)
	}
	if len(p.Uses) != len(uses) {
		t.Errorf("parcel %s: panel lists %d purposes, database has %d (%s)", key, len(p.Uses), len(uses), landUse)
	} else {
		for i, u := range uses {
			got := p.Uses[i]
			if got.Code != u.Code || got.Area != viNumber(u.Area, 1)+" m²" || got.Name == "" {
				t.Errorf("parcel %s purpose %d: panel shows %+v, database has %s %v", key, i, got, u.Code, u.Area)
			}
		}
	}
	if commune != "" && !strings.Contains(p.Commune, parts[0]) {
		t.Errorf("parcel %s: panel shows commune %q, want its code %s", key, p.Commune, parts[0])
	}
	if len(p.Constructions) != constructions {
		t.Errorf("parcel %s: panel lists %d constructions, database has %d on it", key, len(p.Constructions), constructions)
	}
	if len(p.History) != versions {
		t.Errorf("parcel %s: panel lists %d versions in its history, database is at version %d", key, len(p.History), versions)
	}
}

// viNumber formats v as Vietnamese does (1.210,5): what the panel shows.
func viNumber(v float64, digits int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', digits, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "," + frac
	}
	if v < 0 {
		out = "-" + out
	}
	return out
}

func updateScreenshots(t *testing.T, artifacts string, res results) {
	t.Helper()
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for step, name := range map[string]string{"click-parcel": "map-parcels.png", "import-report": "import-report.png"} {
		s := res.step(step)
		if s.Screenshot == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(artifacts, s.Screenshot))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// quietRequests drops the access log's lines for successful requests (hundreds of tiles) and
// keeps everything else the server says, so a failure in CI comes with its cause.
type quietRequests struct{ slog.Handler }

func (q quietRequests) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" && r.Level < slog.LevelWarn {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietRequests) WithAttrs(as []slog.Attr) slog.Handler {
	return quietRequests{q.Handler.WithAttrs(as)}
}
func (q quietRequests) WithGroup(g string) slog.Handler { return quietRequests{q.Handler.WithGroup(g)} }

// testWriter sends a subprocess's (or the server's) output to the test log line by line. What
// arrives after the test has finished is dropped: t.Log would panic.
type testWriter struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    []byte
	closed bool
}

func newTestWriter(t *testing.T, prefix string) *testWriter {
	w := &testWriter{t: t, prefix: prefix}
	t.Cleanup(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	sc := bufio.NewScanner(strings.NewReader(string(w.buf)))
	consumed := 0
	for sc.Scan() {
		line := sc.Text()
		if consumed+len(line)+1 > len(w.buf) {
			break // no newline yet: keep it for the next write
		}
		consumed += len(line) + 1
		w.t.Log(w.prefix + line)
	}
	w.buf = w.buf[consumed:]
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)
