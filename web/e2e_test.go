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

// TestBrowser walks through the web map and the import page in Debian's Chromium, driven from Go
// over the DevTools protocol (chromedp), as a land officer and a GIS specialist would use them,
// against the real server on a copy of the demo database, and checks what the pages showed
// against the database. Every wait is on a condition (rendered features, a panel state) with the
// step's deadline, never a fixed sleep. Any request to another host is refused and fails the test:
// the pages must work without internet access. Screenshots of every step land in artifacts/e2e/
// (GISD_ARTIFACTS overrides the folder); with GISD_UPDATE_SCREENSHOTS=1 the two the README shows
// are copied to docs/screenshots/.
//
// It needs chromium (CHROMIUM overrides the path) and a built bundle (`make web`). Without them it
// skips, saying why — unless GISD_REQUIRE_DB=1 (make test, CI), where a missing piece fails.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	chromium := need(t, "chromium", os.Getenv("CHROMIUM"))
	if !web.Built() {
		missing(t, "the web bundle is not built: run `make web`")
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
	_, apiKey, err := st.CreateKey(ctx, store.NewKey{Name: "e2e", Scopes: []string{"admin", "*:read", "*:personal"}, CreatedBy: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	artifacts := os.Getenv("GISD_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("..", "artifacts", "e2e")
	}
	artifacts, _ = filepath.Abs(artifacts)
	_ = os.RemoveAll(artifacts)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	// The whole walk has a deadline too, so a browser that hangs fails here, not at go test's.
	runCtx, stop := context.WithTimeout(ctx, 12*time.Minute)
	defer stop()
	b := startBrowser(t, runCtx, chromium, srv.URL, artifacts)
	const stepTimeout = 90 * time.Second
	walk := func(name string, fn func(s *step)) string { return b.step(t, name, false, stepTimeout, fn) }
	walkFull := func(name string, fn func(s *step)) string { return b.step(t, name, true, stepTimeout, fn) }
	readme := map[string]string{} // screenshot file -> name in docs/screenshots

	walk("map-loads-province-view", func(s *step) {
		s.goTo("/")
		s.waitFor("the map to be ready", `window.gisd?.ready === true`)
		waitRendered(s, "admin-province", "admin-district", "admin-commune")
		s.waitFor("administrative unit labels", `Number(document.body.dataset.labels) > 0`)
		waitIdle(s)
		view := eval[struct {
			Zoom   float64   `json:"zoom"`
			Center []float64 `json:"center"`
			Lang   string    `json:"lang"`
			Labels int       `json:"labels"`
		}](s, `(() => {
			const m = window.gisd.map, c = m.getCenter();
			return { zoom: m.getZoom(), center: [c.lng, c.lat], lang: document.documentElement.lang,
				labels: document.querySelectorAll('.admin-label:not([hidden])').length };
		})()`)
		s.check(view.Lang == "vi", "page language %s, want vi", view.Lang)
		s.check(len(view.Center) == 2 && view.Center[0] > 106.41 && view.Center[0] < 107.43 && view.Center[1] > 11.3 && view.Center[1] < 12.3,
			"start view centred at %v, want inside Bình Phước", view.Center)
		s.check(view.Labels > 0, "no administrative unit labels are shown")
	})

	walk("parcels-render", func(s *step) {
		jumpTo(s, fx.Click.Lon, fx.Click.Lat, 17)
		waitRendered(s, "parcels-fill")
		waitIdle(s)
		s.check(renderedCount(s, "parcels-fill") > 0, "no parcel rendered")
		legend := eval[[]string](s, `[...document.querySelectorAll('#legend [data-code]')].map((e) => e.textContent.trim())`)
		s.check(len(legend) > 0, "the legend lists no land-use code")
	})

	readme[walk("click-parcel", func(s *step) {
		x, y := pagePoint(s, fx.Click.Lon, fx.Click.Lat)
		s.clickAt(x, y)
		p := readPanel(s, fx.Click.Key)
		if p.State != "ready" || p.Key != fx.Click.Key {
			s.Fatalf("panel state %s, key %s (%s%s), want ready with %s", p.State, p.Key, p.Error, p.Empty, fx.Click.Key)
		}
		checkPanel(s.T, query, fx.Click.Key, p)
	})] = "map-parcels.png"

	walk("api-key-personal", func(s *step) {
		// Without a key the land user is hidden; a key with the personal scope shows it.
		before := readPanel(s, fx.Click.Key)
		s.check(before.PersonalHidden, "the land user is shown without an API key")
		s.click(".key-box summary")
		s.fill("#api-key", apiKey)
		s.pressEnter("#api-key")
		s.waitFor("the land user in the panel", `!!document.querySelector('#info-body [data-field=owner-name]')`)
		p := readPanel(s, fx.Click.Key)
		s.click(".key-box summary")
		var owner string
		parts := strings.Split(fx.Click.Key, "/")
		if err := query(`SELECT coalesce(owner_name, '') FROM parcels WHERE commune_code = $1 AND sheet_no = $2::int AND parcel_no = $3::int`,
			parts[0], parts[1], parts[2]).Scan(&owner); err != nil {
			s.Fatal(err)
		}
		s.check(p.OwnerName != "", "no land user shown with a personal-scope key")
		s.check(p.OwnerName == owner, "with a personal-scope key the panel shows land user %q, database has %q", p.OwnerName, owner)
	})

	walk("empty-spot", func(s *step) {
		// Far outside any parcel (but inside Vietnam): the panel says there is none.
		jumpTo(s, 106.0, 11.0, 16)
		waitIdle(s)
		x, y := canvasPoint(s, 0.5, 0.5)
		s.clickAt(x, y)
		p := readPanel(s, "")
		s.check(p.State == "empty", "panel state %s, want empty", p.State)
		s.check(p.Empty == "Không có thửa đất tại đây", "panel says %q", p.Empty)
	})

	walk("server-not-responding", func(s *step) {
		// The parcel query cannot reach the server: the panel says so instead of hanging.
		b.refuseParcelsAt.Store(true)
		defer b.refuseParcelsAt.Store(false)
		jumpTo(s, fx.Click.Lon, fx.Click.Lat, 17)
		waitIdle(s)
		// From the keyboard: focus the map and press Enter to pick the parcel at its centre.
		s.pressEnter("#map canvas")
		p := readPanel(s, "")
		s.check(p.State == "error" && p.Error == "Máy chủ không phản hồi", "panel %s: %q, want error %q", p.State, p.Error, "Máy chủ không phản hồi")
	})

	walk("search-dong-xoai", func(s *step) {
		search(s, "dong xoai", 0)
		r := eval[struct {
			Center  []float64 `json:"center"`
			Message string    `json:"message"`
			Results []string  `json:"results"`
		}](s, `(() => {
			const c = window.gisd.map.getCenter();
			return { center: [c.lng, c.lat], message: document.getElementById('message').textContent,
				results: [...document.querySelectorAll('#results [role=option]')].map((o) => o.textContent.trim()) };
		})()`)
		found := strings.Contains(r.Message, "Đồng Xoài")
		for _, x := range r.Results {
			found = found || strings.Contains(x, "Đồng Xoài")
		}
		s.check(found, "no Đồng Xoài in %q / %q", r.Message, r.Results)
		if len(r.Center) != 2 {
			s.Fatalf("the map's centre reads %v", r.Center)
		}
		var inside bool
		if err := query(`SELECT EXISTS (SELECT 1 FROM admin_units WHERE code = '689'
			AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)))`, r.Center[0], r.Center[1]).Scan(&inside); err != nil {
			s.Fatal(err)
		}
		s.check(inside, `after searching "dong xoai" the map is centred at %v, outside Thành phố Đồng Xoài (689)`, r.Center)
	})

	walk("search-cadastral-key", func(s *step) {
		parts := strings.Split(fx.Key.Key, "/")
		search(s, strings.Join(parts, " "), 0)
		p := readPanel(s, fx.Key.Key)
		if p.Key != fx.Key.Key {
			s.Fatalf("panel shows %s, want %s", p.Key, fx.Key.Key)
		}
		checkPanel(s.T, query, fx.Key.Key, p)
		s.check(renderedCount(s, "parcels-selected") > 0, "the parcel found is not highlighted")
	})

	walk("search-vn2000", func(s *step) {
		v := fx.VN2000
		// As printed on a land document: X is the northing, Y the easting.
		search(s, fmt.Sprintf("X = %.3f, Y = %.3f", v.Y, v.X), v.SRID)
		p := readPanel(s, v.Key)
		s.check(p.Key == v.Key, "panel shows %s, want %s", p.Key, v.Key)
		s.check(eval[bool](s, `!!document.querySelector('.maplibregl-marker:not(.admin-label)')`), "no marker at the point")
	})

	walk("cursor-readout", func(s *step) {
		x, y := canvasPoint(s, 1.0/3, 1.0/3)
		s.moveTo(x, y)
		s.waitFor("the VN-2000 cursor readout", `document.getElementById('cursor-vn').textContent.includes('X =')`)
		wgs := eval[string](s, `document.getElementById('cursor-wgs').textContent`)
		s.check(strings.TrimSpace(wgs) != "", "no WGS 84 cursor readout")
	})

	walk("date-before-reform", func(s *step) {
		eval[bool](s, `(window.gisd.map.fitBounds([[106.41, 11.3], [107.43, 12.3]], { duration: 0 }), true)`)
		setDate(s, "2025-06-30")
		waitRendered(s, "admin-district")
		waitIdle(s)
		s.check(renderedCount(s, "admin-district") > 0, "no district drawn on 2025-06-30")
	})

	walk("date-after-reform", func(s *step) {
		setDate(s, "2025-07-01")
		s.waitFor("no districts but the province and communes on 2025-07-01", `(() => {
			const m = window.gisd.map;
			return m.isSourceLoaded('admin_units') && m.queryRenderedFeatures({ layers: ['admin-district'] }).length === 0 &&
				m.queryRenderedFeatures({ layers: ['admin-province', 'admin-commune'] }).length > 0;
		})()`)
		waitIdle(s)
	})

	walk("english-switch", func(s *step) {
		s.click("#lang")
		s.waitFor("the page in English", `document.documentElement.lang === 'en'`)
		h1 := eval[string](s, `document.querySelector('h1').textContent`)
		s.check(strings.Contains(h1, "Cadastral map"), "English title is %q", h1)
	})

	walk("tablet-layout", func(s *step) {
		s.click("#lang")
		s.waitFor("the page in Vietnamese", `document.documentElement.lang === 'vi'`)
		s.viewport(800, 1100)
		s.waitFor("the map to fill the tablet's width", `window.gisd.map.getCanvas().getBoundingClientRect().width > 700`)
		waitIdle(s)
		w := eval[int](s, `document.documentElement.scrollWidth`)
		s.check(w <= 800, "page is %dpx wide on an 800px tablet", w)
	})

	// ---- the import page ----
	imp := fx.Import
	importFile := filepath.Join(artifacts, "e2e-import.geojson")
	if b, err := json.Marshal(imp.GeoJSON); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(importFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fillImportForm := func(s *step, maxRejected string) {
		s.setFiles("#file", importFile)
		s.selectOption("#layer", "__new__")
		s.fill("#new-title", imp.Title)
		s.fill("#new-id", imp.Layer)
		s.selectOption("#srid", "4326")
		s.selectOption("#mode", "append")
		s.selectOption("#max-rejected", maxRejected)
	}

	walkFull("import-all-or-nothing", func(s *step) {
		// By default one bad feature stops the import: nothing is written, the report says why.
		s.viewport(1366, 800)
		s.goTo("/import")
		s.waitFor("the import page to be ready", `document.body.dataset.ready === 'true'`)
		fillImportForm(s, "0")
		s.click("#submit")
		s.waitFor("the import to end", `['committed', 'failed', 'cancelled', 'validated'].includes(document.body.dataset.importState) &&
			!document.getElementById('submit').disabled`)
		r := readReport(s)
		s.check(r.State == "failed", "import ended %s, want failed", r.State)
		s.check(strings.Contains(r.Error, "bị từ chối"), "the failed import says %q, want a Vietnamese reason", r.Error)
		s.check(len(r.Rejected) == 1, "report lists %d rejected features, want 1", len(r.Rejected))
		var n int
		if err := query(`SELECT count(*) FROM layer_features WHERE layer_id = $1`, imp.Layer).Scan(&n); err != nil {
			s.Fatal(err)
		}
		s.check(n == 0, "layer %s holds %d features after a failed import, want 0", imp.Layer, n)
	})

	readme[walkFull("import-report", func(s *step) {
		// Skipping invalid features: the rest is imported and the report lists the one rejected.
		s.goTo("/import")
		s.waitFor("the import page to be ready", `document.body.dataset.ready === 'true'`)
		fillImportForm(s, "-1")
		s.click("#submit")
		s.waitFor("the import to end", `['committed', 'failed', 'cancelled', 'validated'].includes(document.body.dataset.importState)`)
		r := readReport(s)
		s.check(r.State == "committed", "import ended %s: %s", r.State, r.Error)
		if len(r.Rejected) != 1 {
			s.Fatalf("report lists %d rejected features, want 1", len(r.Rejected))
		}
		if idx := r.Rejected[0]; len(idx) == 0 || (idx[0] != strconv.Itoa(imp.BadIndex) && idx[0] != strconv.Itoa(imp.BadIndex+1)) {
			s.Errorf("the rejected feature is listed as %q, want index %d (0-based) or %d (1-based)", idx, imp.BadIndex, imp.BadIndex+1)
		}
		var n int
		if err := query(`SELECT count(*) FROM layer_features WHERE layer_id = $1`, imp.Layer).Scan(&n); err != nil {
			s.Fatal(err)
		}
		s.check(n == imp.Good, "layer %s holds %d features after the import, want %d", imp.Layer, n, imp.Good)
	})] = "import-report.png"

	walk("imported-layer-on-map", func(s *step) {
		s.click("#view-on-map")
		s.waitFor("the map to be ready", `window.gisd?.ready === true`)
		s.waitFor("the imported layer's switch", jsCall(`(id) => !!document.getElementById('toggle-' + id)`, imp.Layer))
		waitRendered(s, "layer:"+imp.Layer+":fill", "layer:"+imp.Layer+":point", "layer:"+imp.Layer+":line")
		waitIdle(s)
	})

	outside, pageErrors, console, requests := b.snapshot()
	for _, u := range outside {
		t.Errorf("the page requested %s, outside the server (the map must work without internet)", u)
	}
	for _, e := range pageErrors {
		t.Errorf("uncaught error in the page: %s", e)
	}
	for _, c := range console {
		t.Logf("console %s", c)
	}
	// The refusal of outside requests is only worth something if the interception sees the
	// page's requests, tiles included (MapLibre fetches them from a worker).
	if requests["tile"] == 0 || requests["api"] == 0 {
		t.Errorf("the request interception saw %v: no tile or API request passed through it", requests)
	}
	if os.Getenv("GISD_UPDATE_SCREENSHOTS") == "1" && !t.Failed() {
		updateScreenshots(t, artifacts, readme)
	}
	t.Logf("requests: %v; screenshots: %s", requests, artifacts)
}

// waitIdle waits until the map has nothing left to load or draw.
func waitIdle(s *step) {
	s.Helper()
	s.waitFor("the map to be idle", `(() => { const m = window.gisd?.map; return m && m.loaded() && !m.isMoving() && m.areTilesLoaded(); })()`)
}

// renderedCount counts the rendered features of the style layers that exist.
func renderedCount(s *step, layers ...string) int {
	s.Helper()
	return eval[int](s, jsCall(`(ls) => window.gisd.map.queryRenderedFeatures({ layers: ls.filter((l) => window.gisd.map.getLayer(l)) }).length`, layers))
}

// waitRendered waits until at least one of the style layers has rendered a feature.
func waitRendered(s *step, layers ...string) {
	s.Helper()
	s.waitFor("features drawn in "+strings.Join(layers, ", "), jsCall(`(ls) => {
		const m = window.gisd?.map;
		if (!m || !m.loaded()) return false;
		const have = ls.filter((l) => m.getLayer(l));
		return have.length > 0 && m.queryRenderedFeatures({ layers: have }).length > 0;
	}`, layers))
}

// jumpTo centres the map on (lon, lat) at zoom z.
func jumpTo(s *step, lon, lat, z float64) {
	s.Helper()
	eval[bool](s, jsCall(`([x, y, z]) => (window.gisd.map.jumpTo({ center: [x, y], zoom: z }), true)`, []float64{lon, lat, z}))
}

// pagePoint is where (lon, lat) is on the page, in CSS pixels.
func pagePoint(s *step, lon, lat float64) (float64, float64) {
	s.Helper()
	p := eval[[]float64](s, jsCall(`([x, y]) => {
		const p = window.gisd.map.project([x, y]);
		const r = window.gisd.map.getCanvas().getBoundingClientRect();
		return [r.left + p.x, r.top + p.y];
	}`, []float64{lon, lat}))
	return p[0], p[1]
}

// canvasPoint is the point at fractions (fx, fy) of the map canvas, in CSS pixels.
func canvasPoint(s *step, fx, fy float64) (float64, float64) {
	s.Helper()
	p := eval[[]float64](s, jsCall(`([fx, fy]) => {
		const r = window.gisd.map.getCanvas().getBoundingClientRect();
		return [r.left + r.width * fx, r.top + r.height * fy];
	}`, []float64{fx, fy}))
	return p[0], p[1]
}

// readPanel waits for the side panel to settle (on key, when given) and reads what it shows.
func readPanel(s *step, key string) panel {
	s.Helper()
	s.waitFor("the panel to settle on "+strconv.Quote(key), jsCall(`(k) => {
		const b = document.getElementById('info-body');
		if (!b || b.dataset.state === 'loading') return false;
		if (b.dataset.state === 'error' || b.dataset.state === 'empty') return true;
		if (k && b.dataset.key !== k) return false;
		// Wait for the parts that arrive later (constructions, history) to finish loading.
		return !b.querySelector('.loading');
	}`, key))
	return eval[panel](s, `(() => {
		const b = document.getElementById('info-body');
		const f = (name) => b.querySelector('[data-field="' + name + '"]')?.textContent.trim() ?? '';
		return {
			state: b.dataset.state,
			key: f('key'),
			commune: f('commune'),
			district: f('district'),
			province: f('province'),
			address: f('address'),
			officialArea: f('official-area'),
			uses: [...b.querySelectorAll('[data-field=uses] tbody tr')].map((tr) => ({
				code: tr.dataset.code,
				name: tr.children[1].textContent.trim(),
				area: tr.children[2].textContent.trim(),
			})),
			constructions: [...b.querySelectorAll('[data-field=constructions] li')].map((li) => li.dataset.id),
			history: [...b.querySelectorAll('[data-field=history] li')].map((li) => li.dataset.version),
			error: f('error'),
			empty: f('empty'),
			ownerName: f('owner-name'),
			personalHidden: !!b.querySelector('[data-field=personal-hidden]'),
		};
	})()`)
}

// search types text in the search box (with a VN-2000 zone when zone is not 0), presses Enter
// and waits for the answer to be shown.
func search(s *step, text string, zone int) {
	s.Helper()
	if zone != 0 {
		s.selectOption("#q-zone", strconv.Itoa(zone))
	}
	s.fill("#q", text)
	before := eval[int](s, `window.gisd.searches || 0`)
	s.pressEnter("#q")
	s.waitFor("the search for "+strconv.Quote(text)+" to answer", fmt.Sprintf(`(window.gisd.searches || 0) > %d`, before))
	waitIdle(s)
}

// setDate picks a day in the map's date control and waits for the map to take it.
func setDate(s *step, day string) {
	s.Helper()
	s.fill("#date", day)
	s.waitFor("the map's date to be "+day, jsCall(`(d) => window.gisd.state.date === d`, day))
}

// importReport is what the import page shows of a job.
type importReport struct {
	State    string     `json:"state"`
	Error    string     `json:"error"`
	Rejected [][]string `json:"rejected"`
}

func readReport(s *step) importReport {
	s.Helper()
	return eval[importReport](s, `({
		state: document.body.dataset.importState,
		rejected: [...document.querySelectorAll('#rejected tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
		error: [document.getElementById('form-error'), document.getElementById('job-error')].filter((e) => !e.hidden).map((e) => e.textContent).join(' '),
	})`)
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

// panel is what the side panel shows, as readPanel reads it from the page.
type panel struct {
	State          string `json:"state"`
	Error          string `json:"error"`
	Empty          string `json:"empty"`
	PersonalHidden bool   `json:"personalHidden"`
	Key            string `json:"key"`
	Commune        string `json:"commune"`
	District       string `json:"district"`
	Province       string `json:"province"`
	Address        string `json:"address"`
	OfficialArea   string `json:"officialArea"`
	Uses           []struct {
		Code string `json:"code"`
		Name string `json:"name"`
		Area string `json:"area"`
	} `json:"uses"`
	Constructions []string `json:"constructions"`
	History       []string `json:"history"`
	OwnerName     string   `json:"ownerName"`
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

// updateScreenshots copies the screenshots the README shows to docs/screenshots/.
func updateScreenshots(t *testing.T, artifacts string, shots map[string]string) {
	t.Helper()
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for shot, name := range shots {
		b, err := os.ReadFile(filepath.Join(artifacts, shot))
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

// testWriter sends the server's output to the test log line by line. What
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
