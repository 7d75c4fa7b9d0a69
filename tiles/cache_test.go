package tiles

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/vntime"
)

// A z16 tile in Đồng Xoài and a bound inside it.
var (
	testTile   = geo.TileID{Z: 16, X: 52225, Y: 30700}
	insideTile = func() orb.Bound {
		c := testTile.Bound().Center()
		return orb.Bound{Min: c, Max: c}
	}()
)

func newTestService(t testing.TB, src *fakeSource, cacheBytes int64) *Service {
	t.Helper()
	return New(src, Options{CacheBytes: cacheBytes, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC) }})
}

func request(list string, tile geo.TileID) Request {
	return Request{Layers: list, Tile: tile}
}

func mustTile(t testing.TB, s *Service, req Request) (*Tile, Status) {
	t.Helper()
	res, err := s.Tile(context.Background(), req)
	if err != nil {
		t.Fatalf("Tile(%v): %v", req.Tile, err)
	}
	return res.Tile, res.Status
}

func TestService_HitAfterMiss(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)
	tile, st := mustTile(t, s, req)
	if st != StatusMiss || tile.Empty() || tile.ETag == "" {
		t.Fatalf("first: status %v, empty %v, etag %q; want MISS with content", st, tile.Empty(), tile.ETag)
	}
	r, _ := tile.Open()
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "tile-bytes" {
		t.Errorf("decompressed %q, want %q", buf[:n], "tile-bytes")
	}
	again, st := mustTile(t, s, req)
	if st != StatusHit || again != tile {
		t.Errorf("second: status %v, same tile %v; want HIT of the same tile", st, again == tile)
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("statements = %d, want 1", got)
	}
}

func TestService_ZoomPolicy(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	// Parcels start at z13, constructions at z15: at z12 nothing of "parcels,constructions" is
	// shown, and no statement runs.
	tile, st := mustTile(t, s, request("parcels,constructions", geo.TileID{Z: 12, X: 3264, Y: 1918}))
	if st != StatusSkipped || !tile.Empty() || src.calls.Load() != 0 {
		t.Errorf("z12: status %v, empty %v, statements %d; want SKIP, empty, 0", st, tile.Empty(), src.calls.Load())
	}
	// At z14 only parcels are rendered, so the tile is the same entry as "parcels" alone.
	mustTile(t, s, request("parcels,constructions", geo.TileID{Z: 14, X: 13056, Y: 7675}))
	if _, st := mustTile(t, s, request("parcels", geo.TileID{Z: 14, X: 13056, Y: 7675})); st != StatusHit {
		t.Errorf("parcels at z14 after parcels,constructions: %v, want HIT (same layers rendered)", st)
	}
}

func TestService_EmptyTileIsCached(t *testing.T) {
	src := newFakeSource()
	src.setPayload(nil)
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)
	if tile, _ := mustTile(t, s, req); !tile.Empty() {
		t.Fatal("want an empty tile")
	}
	if _, st := mustTile(t, s, req); st != StatusHit {
		t.Errorf("empty tile again: %v, want HIT", st)
	}
}

func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := vntime.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestService_DateInKey(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request("admin_units", testTile)
	mustTile(t, s, req)
	// The clock says 12:00 UTC on 2025-08-01, 19:00 in Vietnam.
	if q := src.lastQuery(); q.Date != "2025-08-01" || q.AsOf != nil {
		t.Errorf("default date: %q (as of %v), want today in Vietnam (2025-08-01)", q.Date, q.AsOf)
	}
	req.Date = day(t, "2025-06-30")
	if _, st := mustTile(t, s, req); st != StatusMiss || src.lastQuery().Date != "2025-06-30" {
		t.Errorf("another date: %v, date %q; want MISS with the date", st, src.lastQuery().Date)
	}
	req.Date = day(t, "2025-08-01")
	if _, st := mustTile(t, s, req); st != StatusHit {
		t.Errorf("explicit date equal to today: %v, want HIT", st)
	}
	// Layers without valid time do not depend on a date unless it is past: then they are read
	// as recorded at the end of that day in Vietnam.
	parcels := request("parcels", testTile)
	mustTile(t, s, parcels)
	parcels.Date = day(t, "2025-09-01")
	if _, st := mustTile(t, s, parcels); st != StatusHit {
		t.Errorf("parcels on a future date: %v, want HIT (today's tile)", st)
	}
	parcels.Date = day(t, "2024-01-01")
	if _, st := mustTile(t, s, parcels); st != StatusMiss {
		t.Errorf("parcels on a past date: %v, want MISS", st)
	}
	if q, want := src.lastQuery(), time.Date(2024, 1, 1, 17, 0, 0, 0, time.UTC); q.AsOf == nil || !q.AsOf.Equal(want) {
		t.Errorf("parcels on 2024-01-01: as of %v, want %v (midnight after that day in Vietnam)", q.AsOf, want)
	}
}

// The filter goes to store as parsed, and keys the cache by its canonical text: the same
// predicate spelled differently is the same entry, another predicate another one.
func TestService_FilterInKey(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	parse := func(text string) cql2.Expr {
		e, err := cql2.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	req := request("parcels", testTile)
	mustTile(t, s, req)
	req.Filter = parse("main_use = 'ONT'")
	if _, st := mustTile(t, s, req); st != StatusMiss || src.lastQuery().Filter == nil {
		t.Errorf("filtered: %v, want MISS with the filter passed on", st)
	}
	req.Filter = parse("main_use='ONT'")
	if _, st := mustTile(t, s, req); st != StatusHit {
		t.Errorf("same filter, other spelling: %v, want HIT", st)
	}
	req.Filter = parse("main_use = 'CLN'")
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("other filter: %v, want MISS", st)
	}
	req.FilterCRS, _ = geo.LookupCRS(geo.SRIDWGS84) // EPSG:4326: latitude first
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("same filter in another CRS: %v, want MISS", st)
	}
}

func TestService_Invalidation(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	parcels := request("parcels", testTile)
	constructions := request("constructions", testTile)
	neighbour := request("parcels", geo.TileID{Z: 16, X: testTile.X + 2, Y: testTile.Y})
	low := request("parcels", geo.TileID{Z: 13, X: testTile.X >> 3, Y: testTile.Y >> 3})
	for _, r := range []Request{parcels, constructions, neighbour, low} {
		mustTile(t, s, r)
	}
	s.Changed(store.ChangeEvent{Layer: "parcels", BBox: insideTile})
	for _, tc := range []struct {
		name string
		req  Request
		want Status
	}{
		{"changed layer, same tile", parcels, StatusMiss},
		{"changed layer, parent tile", low, StatusMiss},
		{"other layer, same tile", constructions, StatusHit},
		{"changed layer, tile two columns away", neighbour, StatusHit},
	} {
		if _, st := mustTile(t, s, tc.req); st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, st, tc.want)
		}
	}
}

func TestService_InvalidationReachesBuffer(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)
	mustTile(t, s, req)
	// A change just east of the tile, inside its buffer (64/4096 of a tile), touches it.
	b := testTile.Bound()
	w := (b.Max[0] - b.Min[0]) * 32 / 4096
	s.Changed(store.ChangeEvent{Layer: "parcels", BBox: orb.Bound{Min: orb.Point{b.Max[0] + w, b.Min[1]}, Max: orb.Point{b.Max[0] + w, b.Min[1]}}})
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("change in the buffer: %v, want MISS", st)
	}
}

func TestService_LargeChangeScansCache(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request("parcels", geo.TileID{Z: 22, X: 3342400, Y: 1964800})
	mustTile(t, s, req)
	// A province-wide change covers ~10^8 tiles at z22: the cache scans its entries instead.
	s.Changed(store.ChangeEvent{Layer: "parcels", BBox: orb.Bound{Min: orb.Point{100, 8}, Max: orb.Point{110, 24}}})
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("after a province-wide change: %v, want MISS", st)
	}
}

func TestService_Reset(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)
	mustTile(t, s, req)
	s.Reset()
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("after Reset: %v, want MISS", st)
	}
	if st := s.Stats(); st.Entries != 1 {
		t.Errorf("entries = %d, want 1", st.Entries)
	}
}

func TestService_CatalogChange(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	parcels := request("parcels", testTile)
	constructions := request("constructions", testTile)
	mustTile(t, s, parcels)
	mustTile(t, s, constructions)

	// A reload that changes nothing tiles depend on keeps the cache.
	src.setCatalog(store.NewCatalog(storetest.Layers()...))
	if _, st := mustTile(t, s, parcels); st != StatusHit {
		t.Errorf("after an identical reload: %v, want HIT", st)
	}
	// Parcels from z14 now: parcels' tiles go, constructions' stay.
	layers := storetest.Layers()
	for _, l := range layers {
		if l.ID == "parcels" {
			l.MinZoom = 14
		}
	}
	src.setCatalog(store.NewCatalog(layers...))
	if _, st := mustTile(t, s, parcels); st != StatusMiss {
		t.Errorf("parcels after their zooms changed: %v, want MISS", st)
	}
	if _, st := mustTile(t, s, constructions); st != StatusHit {
		t.Errorf("constructions after parcels changed: %v, want HIT", st)
	}
}

// The race the cache must win: a statement that started before a change commits and finishes
// after its notification was handled has read the old data. Its waiters get it, but it must
// not be cached.
func TestService_ChangeDuringRenderIsNotCached(t *testing.T) {
	for _, tc := range []struct {
		name    string
		event   func(*Service)
		cached  bool
		discard uint64
	}{
		{"change touching the tile", func(s *Service) { s.Changed(store.ChangeEvent{Layer: "parcels", BBox: insideTile}) }, false, 1},
		{"reset", func(s *Service) { s.Reset() }, false, 1},
		{"change elsewhere", func(s *Service) {
			s.Changed(store.ChangeEvent{Layer: "parcels", BBox: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}})
		}, true, 0},
		{"change of another layer", func(s *Service) { s.Changed(store.ChangeEvent{Layer: "constructions", BBox: insideTile}) }, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource()
			src.started = make(chan struct{}, 1)
			src.gate = make(chan struct{})
			s := newTestService(t, src, 1<<20)
			req := request("parcels", testTile)
			done := make(chan Status)
			go func() {
				res, err := s.Tile(context.Background(), req)
				if err != nil || res.Empty() {
					t.Errorf("render: %v, empty %v", err, res.Tile == nil || res.Empty())
				}
				done <- res.Status
			}()
			<-src.started
			tc.event(s)
			close(src.gate)
			if st := <-done; st != StatusMiss {
				t.Errorf("racing request: %v, want MISS", st)
			}
			src.gate = nil
			_, st := mustTile(t, s, req)
			if got := st == StatusHit; got != tc.cached {
				t.Errorf("next request: %v, cached %v, want cached %v", st, got, tc.cached)
			}
			if got := s.Stats().Discarded; got != tc.discard {
				t.Errorf("discarded = %d, want %d", got, tc.discard)
			}
		})
	}
}

func TestService_Singleflight(t *testing.T) {
	const n = 32
	src := newFakeSource()
	src.gate = make(chan struct{})
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)
	var wg sync.WaitGroup
	statuses := make(chan Status, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Tile(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			statuses <- res.Status
		}()
	}
	waitFor(t, func() bool { st := s.Stats(); return st.Misses+st.Shared == n })
	close(src.gate)
	wg.Wait()
	close(statuses)
	count := map[Status]int{}
	for st := range statuses {
		count[st]++
	}
	if src.calls.Load() != 1 || count[StatusMiss] != 1 || count[StatusShared] != n-1 {
		t.Errorf("statements %d, statuses %v; want 1 statement, 1 MISS, %d SHARED", src.calls.Load(), count, n-1)
	}
}

func TestService_SingleflightWithoutCache(t *testing.T) {
	src := newFakeSource()
	src.gate = make(chan struct{})
	s := newTestService(t, src, 0)
	req := request("parcels", testTile)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = s.Tile(context.Background(), req) }()
	}
	waitFor(t, func() bool { st := s.Stats(); return st.Misses+st.Shared == 4 })
	close(src.gate)
	wg.Wait()
	src.gate = nil
	if _, st := mustTile(t, s, req); st != StatusMiss || src.calls.Load() != 2 {
		t.Errorf("cache disabled: %v after %d statements; want MISS after 2", st, src.calls.Load())
	}
	if e := s.Stats().Entries; e != 0 {
		t.Errorf("entries = %d with the cache disabled", e)
	}
}

// A waiter that goes away does not fail the others; when the last one goes, the statement's
// context is cancelled.
func TestService_CancelLastWaiterCancelsStatement(t *testing.T) {
	src := newFakeSource()
	src.started = make(chan struct{}, 1)
	src.gate = make(chan struct{}) // never opened: only cancellation ends the statement
	s := newTestService(t, src, 1<<20)
	req := request("parcels", testTile)

	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err := s.Tile(ctx1, req); errs <- err }()
	<-src.started
	go func() { _, err := s.Tile(ctx2, req); errs <- err }()
	waitFor(t, func() bool { return s.Stats().Shared == 1 })
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("first waiter: %v, want context.Canceled", err)
	}
	select {
	case err := <-errs:
		t.Fatalf("second waiter ended with the first: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel2()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("second waiter: %v, want context.Canceled", err)
	}
	// The statement saw its context end; a new request starts a new render.
	src.gate = nil
	if _, st := mustTile(t, s, req); st != StatusMiss {
		t.Errorf("after cancellation: %v, want a fresh MISS", st)
	}
}

func TestService_Timeout(t *testing.T) {
	src := newFakeSource()
	src.gate = make(chan struct{})
	s := New(src, Options{CacheBytes: 1 << 20, Timeout: 20 * time.Millisecond})
	_, err := s.Tile(context.Background(), request("parcels", testTile))
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
}

func TestCache_ByteBudget(t *testing.T) {
	src := newFakeSource()
	src.setPayload(make([]byte, 1000)) // compresses to ~30 bytes; each entry costs ~400
	s := newTestService(t, src, 8*1024)
	var reqs []Request
	for i := range 100 {
		r := request("parcels", geo.TileID{Z: 16, X: testTile.X + uint32(i), Y: testTile.Y})
		reqs = append(reqs, r)
		mustTile(t, s, r)
	}
	st := s.Stats()
	if st.Bytes > st.MaxBytes || st.Evictions == 0 || st.Entries == 0 {
		t.Fatalf("stats %+v: want bytes within budget after evictions", st)
	}
	if _, got := mustTile(t, s, reqs[len(reqs)-1]); got != StatusHit {
		t.Errorf("most recent tile: %v, want HIT", got)
	}
	if _, got := mustTile(t, s, reqs[0]); got != StatusMiss {
		t.Errorf("oldest tile: %v, want MISS (evicted)", got)
	}
}

// A request is checked before the cache and the zoom policy: unknown layers, layers the caller
// may not read, malformed lists and filters a layer cannot evaluate are refused with no render,
// even at a zoom where no layer is shown.
func TestService_RefusedRequests(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	owner, err := cql2.Parse("owner_name = 'x'")
	if err != nil {
		t.Fatal(err)
	}
	use, _ := cql2.Parse("main_use = 'ONT'")
	readAll := func(*store.Layer) bool { return true }
	for _, tc := range []struct {
		req   Request
		want  error
		param string
	}{
		{Request{Layers: "nope"}, ErrUnknownLayer, "layers"},
		{Request{Layers: "secret"}, ErrUnknownLayer, "layers"}, // restricted, and no key
		{Request{Layers: "parcels,"}, ErrInvalid, "layers"},
		{Request{Layers: ""}, ErrInvalid, "layers"},
		{Request{Layers: "parcels,parcels"}, ErrInvalid, "layers"},
		{Request{Layers: "parcels", Filter: owner}, ErrInvalid, "filter"},                   // personal
		{Request{Layers: "admin_units,parcels", Filter: use}, ErrInvalid, "filter"},         // admin_units has no main_use
		{Request{Layers: "parcels", Filter: owner, CanRead: readAll}, ErrInvalid, "filter"}, // personal whoever asks
	} {
		for _, z := range []uint32{0, 16} {
			req := tc.req
			req.Tile = geo.TileID{Z: z}
			_, err := s.Tile(context.Background(), req)
			var re *RequestError
			if !errors.Is(err, tc.want) || !errors.As(err, &re) || re.Param != tc.param {
				t.Errorf("%q filter %v at z%d: %v, want %v on %s", tc.req.Layers, tc.req.Filter, z, err, tc.want, tc.param)
			}
			if _, err := s.TileJSON(context.Background(), req, "x"); !errors.Is(err, tc.want) {
				t.Errorf("TileJSON %q filter %v: %v, want %v", tc.req.Layers, tc.req.Filter, err, tc.want)
			}
		}
	}
	if n := src.calls.Load(); n != 0 {
		t.Errorf("refused requests rendered %d tiles", n)
	}
	for _, tc := range []struct {
		req     Request
		private bool
	}{
		{Request{Layers: "parcels"}, false},
		{Request{Layers: "wells,secret", CanRead: readAll}, true},
	} {
		res, err := s.Tile(context.Background(), tc.req)
		if err != nil || res.Private != tc.private {
			t.Errorf("%q: private %v, %v; want %v", tc.req.Layers, res.Private, err, tc.private)
		}
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
