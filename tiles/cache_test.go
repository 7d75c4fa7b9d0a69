package tiles

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
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

func request(t testing.TB, s *Service, list string, tile geo.TileID) Request {
	t.Helper()
	ls, err := s.Layers(list, nil)
	if err != nil {
		t.Fatalf("Layers(%q): %v", list, err)
	}
	return Request{Layers: ls, Tile: tile}
}

func mustTile(t testing.TB, s *Service, req Request) (*Tile, Status) {
	t.Helper()
	tile, st, err := s.Tile(context.Background(), req)
	if err != nil {
		t.Fatalf("Tile(%v): %v", req.Tile, err)
	}
	return tile, st
}

func TestService_HitAfterMiss(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request(t, s, "parcels", testTile)
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
	tile, st := mustTile(t, s, request(t, s, "parcels,constructions", geo.TileID{Z: 12, X: 3264, Y: 1918}))
	if st != StatusSkipped || !tile.Empty() || src.calls.Load() != 0 {
		t.Errorf("z12: status %v, empty %v, statements %d; want SKIP, empty, 0", st, tile.Empty(), src.calls.Load())
	}
	// At z14 only parcels are rendered, so the tile is the same entry as "parcels" alone.
	mustTile(t, s, request(t, s, "parcels,constructions", geo.TileID{Z: 14, X: 13056, Y: 7675}))
	if _, st := mustTile(t, s, request(t, s, "parcels", geo.TileID{Z: 14, X: 13056, Y: 7675})); st != StatusHit {
		t.Errorf("parcels at z14 after parcels,constructions: %v, want HIT (same layers rendered)", st)
	}
}

func TestService_EmptyTileIsCached(t *testing.T) {
	src := newFakeSource()
	src.setPayload(nil)
	s := newTestService(t, src, 1<<20)
	req := request(t, s, "parcels", testTile)
	if tile, _ := mustTile(t, s, req); !tile.Empty() {
		t.Fatal("want an empty tile")
	}
	if _, st := mustTile(t, s, req); st != StatusHit {
		t.Errorf("empty tile again: %v, want HIT", st)
	}
}

func TestService_DateInKey(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	req := request(t, s, "admin_units", testTile)
	mustTile(t, s, req)
	if !src.hasArg("2025-08-01") {
		t.Errorf("default date: want today in Asia/Ho_Chi_Minh (2025-08-01) bound, SQL %s", src.lastSQL)
	}
	req.Date = "2025-06-30"
	if _, st := mustTile(t, s, req); st != StatusMiss || !src.hasArg("2025-06-30") {
		t.Errorf("another date: %v, want MISS with the date bound", st)
	}
	req.Date = "2025-08-01"
	if _, st := mustTile(t, s, req); st != StatusHit {
		t.Errorf("explicit date equal to today: %v, want HIT", st)
	}
}

func TestService_Invalidation(t *testing.T) {
	src := newFakeSource()
	s := newTestService(t, src, 1<<20)
	parcels := request(t, s, "parcels", testTile)
	constructions := request(t, s, "constructions", testTile)
	neighbour := request(t, s, "parcels", geo.TileID{Z: 16, X: testTile.X + 2, Y: testTile.Y})
	low := request(t, s, "parcels", geo.TileID{Z: 13, X: testTile.X >> 3, Y: testTile.Y >> 3})
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
	req := request(t, s, "parcels", testTile)
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
	req := request(t, s, "parcels", geo.TileID{Z: 22, X: 3342400, Y: 1964800})
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
	req := request(t, s, "parcels", testTile)
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
	parcels := request(t, s, "parcels", testTile)
	constructions := request(t, s, "constructions", testTile)
	mustTile(t, s, parcels)
	mustTile(t, s, constructions)

	// A reload that changes nothing tiles depend on keeps the cache.
	src.setCatalog(store.NewCatalog(builtinLayers()...))
	if _, st := mustTile(t, s, parcels); st != StatusHit {
		t.Errorf("after an identical reload: %v, want HIT", st)
	}
	// Parcels from z14 now: parcels' tiles go, constructions' stay.
	layers := builtinLayers()
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
			req := request(t, s, "parcels", testTile)
			done := make(chan Status)
			go func() {
				tile, st, err := s.Tile(context.Background(), req)
				if err != nil || tile.Empty() {
					t.Errorf("render: %v, empty %v", err, tile == nil || tile.Empty())
				}
				done <- st
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
	req := request(t, s, "parcels", testTile)
	var wg sync.WaitGroup
	statuses := make(chan Status, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, st, err := s.Tile(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			statuses <- st
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
	req := request(t, s, "parcels", testTile)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, _ = s.Tile(context.Background(), req) }()
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
	req := request(t, s, "parcels", testTile)

	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, _, err := s.Tile(ctx1, req); errs <- err }()
	<-src.started
	go func() { _, _, err := s.Tile(ctx2, req); errs <- err }()
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
	_, _, err := s.Tile(context.Background(), request(t, s, "parcels", testTile))
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
		r := request(t, s, "parcels", geo.TileID{Z: 16, X: testTile.X + uint32(i), Y: testTile.Y})
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

func TestLayers(t *testing.T) {
	s := newTestService(t, newFakeSource(), 0)
	for _, tc := range []struct {
		list string
		want error
	}{
		{"parcels", nil},
		{"admin_units,parcels,constructions", nil},
		{"wells", nil},
		{"nope", ErrUnknownLayer},
		{"secret", ErrUnknownLayer}, // restricted: not served until keys exist
		{"parcels,", ErrInvalid},
		{"", ErrInvalid},
		{"parcels,parcels", ErrInvalid},
	} {
		_, err := s.Layers(tc.list, nil)
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("Layers(%q) = %v, want %v", tc.list, err, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, ok := range map[string]bool{"": true, "2025-07-01": true, "2024-02-29": true, "2025-02-29": false,
		"2025-7-1": false, "2025-07-01T00:00:00Z": false, "yesterday": false, "20250701": false, " 2025-07-01": false} {
		if _, err := ParseDate(in); (err == nil) != ok {
			t.Errorf("ParseDate(%q) err = %v, want ok %v", in, err, ok)
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
