package tiles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// Source is what the service needs from the database; *store.Store implements it.
type Source interface {
	// Catalog is the current catalog snapshot.
	Catalog() *store.Catalog
	// TileMVT runs one tile statement and returns its single bytea result.
	TileMVT(ctx context.Context, sql string, args ...any) ([]byte, error)
	// LayerStats gives the layers' extents, for TileJSON bounds.
	LayerStats(ctx context.Context, c *store.Catalog) ([]store.LayerStat, error)
}

// Errors the service returns; api maps them to HTTP statuses.
var (
	// ErrUnknownLayer: a requested layer is not in the catalog, or the caller may not read it
	// (404: the two look the same).
	ErrUnknownLayer = errors.New("unknown layer")
	// ErrInvalid: a malformed request parameter (400).
	ErrInvalid = errors.New("invalid tile request")
	// ErrTimeout: the tile statement ran out of time (503).
	ErrTimeout = errors.New("tile rendering timed out")
)

// RequestError is a request parameter the service refused; it wraps ErrInvalid or
// ErrUnknownLayer.
type RequestError struct {
	Param  string
	Reason string
	kind   error
}

func (e *RequestError) Error() string { return "tiles: " + e.Param + ": " + e.Reason }
func (e *RequestError) Unwrap() error { return e.kind }

// Options configure a Service.
type Options struct {
	// CacheBytes bounds the tile cache; 0 disables caching (concurrent requests for one tile
	// still share one statement).
	CacheBytes int64
	// Timeout bounds each tile statement; 0 means no bound beyond the pool's statement_timeout.
	Timeout time.Duration
	// GzipLevel compresses tiles (compress/gzip levels, 1–9); 0 means 2. On a miss the
	// compression competes with PostgreSQL for the same cores, so speed wins: on a dense 360 KB
	// tile, level 2 of klauspost/compress takes 1.9 ms for 156 KB, the standard library's level
	// 1 5.1 ms for the same size and its level 6 16 ms for 149 KB.
	GzipLevel int
	// Now is the clock that decides "today" for temporal layers; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service renders, caches and describes vector tiles. It is safe for concurrent use and is a
// store.ChangeSubscriber: register it with Store.Subscribe so database changes invalidate it.
type Service struct {
	src     Source
	cache   *cache
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	gz      sync.Pool // of *gzip.Writer at level
	level   int
	// cat is the catalog the cached tiles were rendered with (see catalog).
	cat   atomic.Pointer[catalogState]
	catMu sync.Mutex

	boundsMu  sync.Mutex
	bounds    map[string]layerBound // by layer id; nil until read, read-only once set
	boundsGen uint64                // counts changes and resets, to spot reads they overtook
}

// New builds a service reading from src.
func New(src Source, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.GzipLevel == 0 {
		opt.GzipLevel = 2
	}
	s := &Service{src: src, cache: newCache(opt.CacheBytes), timeout: opt.Timeout, now: opt.Now,
		log: opt.Logger, level: opt.GzipLevel}
	return s
}

// Tile is a rendered tile, immutable once made.
type Tile struct {
	// Data is the gzip-compressed MVT; empty when the tile has no feature.
	Data []byte
	// ETag is a weak validator ("W/\"...\"") derived from the uncompressed content, the same on
	// every instance; empty for an empty tile.
	ETag string
	// Size is the uncompressed size in bytes.
	Size int
}

// Empty reports whether the tile has no feature (HTTP 204).
func (t *Tile) Empty() bool { return t.Size == 0 }

// Open returns a reader of the uncompressed MVT.
func (t *Tile) Open() (io.ReadCloser, error) {
	if t.Empty() {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	return gzip.NewReader(bytes.NewReader(t.Data))
}

// Status says how a tile was obtained.
type Status int

const (
	// StatusSkipped: no requested layer is shown at this zoom; no statement ran.
	StatusSkipped Status = iota
	// StatusHit: served from the cache.
	StatusHit
	// StatusMiss: rendered by the database for this request.
	StatusMiss
	// StatusShared: rendered by the database for a concurrent request for the same tile.
	StatusShared
)

func (s Status) String() string {
	return [...]string{"SKIP", "HIT", "MISS", "SHARED"}[s]
}

// Request asks for one tile.
type Request struct {
	Layers []*store.Layer // from Layers, in the order wanted in the tile
	Tile   geo.TileID
	// Date ("YYYY-MM-DD", from ParseDate) selects the valid time of temporal layers; empty means
	// today in Asia/Ho_Chi_Minh.
	Date string
	// Filters holds an extra predicate per layer id (the CQL2 seam); nil means none.
	Filters map[string]*Filter
}

// Layers resolves a comma-separated list of layer ids against the current catalog. canRead says
// whether the caller may read a layer (nil: public layers only); a layer it may not read answers
// exactly like an unknown one, wrapping ErrUnknownLayer. An empty or repeated id wraps ErrInvalid.
//
// Whoever reads a layer gets the same tiles: they carry public attributes only, so one cache
// serves every caller.
func (s *Service) Layers(list string, canRead func(*store.Layer) bool) ([]*store.Layer, error) {
	cat := s.src.Catalog()
	ids := strings.Split(list, ",")
	out := make([]*store.Layer, 0, len(ids))
	for i, id := range ids {
		if id == "" {
			return nil, &RequestError{"layers", "empty layer id in the list", ErrInvalid}
		}
		for _, prev := range ids[:i] {
			if prev == id {
				return nil, &RequestError{"layers", "layer " + quote(id) + " is listed twice", ErrInvalid}
			}
		}
		l, ok := cat.Layer(id)
		if ok && canRead == nil {
			ok = l.Access == "public"
		} else if ok {
			ok = canRead(l)
		}
		if !ok {
			return nil, &RequestError{"layers", "no layer called " + quote(id), ErrUnknownLayer}
		}
		out = append(out, l)
	}
	return out, nil
}

// ParseDate validates a date parameter (YYYY-MM-DD); empty stays empty (today).
func ParseDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) != len("2006-01-02") {
		return "", &RequestError{"date", "want a date as YYYY-MM-DD, got " + quote(s), ErrInvalid}
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return "", &RequestError{"date", "want a date as YYYY-MM-DD, got " + quote(s), ErrInvalid}
	}
	return s, nil
}

// province is the time zone in which "today" is decided: Vietnam has no daylight saving time.
var province = time.FixedZone("ICT", 7*60*60)

// Tile returns the tile for req: from the cache, from a render in flight, or rendered now.
func (s *Service) Tile(ctx context.Context, req Request) (*Tile, Status, error) {
	cat := s.catalog()
	var layers []LayerQuery
	temporal := false
	for _, l := range req.Layers {
		if !InZoom(l, req.Tile.Z) {
			continue
		}
		// The request's layers were resolved against a snapshot that may be older.
		cur, ok := cat.Layer(l.ID)
		if !ok {
			return nil, 0, &RequestError{"layers", "no layer called " + quote(l.ID), ErrUnknownLayer}
		}
		lq := LayerQuery{Layer: cur}
		if req.Filters != nil {
			lq.Filter = req.Filters[l.ID]
		}
		// A past date shows layers without valid time as they were then (time travel).
		if cur.Temporal == nil && req.Date != "" && req.Date < s.now().In(province).Format("2006-01-02") {
			lq.AsOf = true
		}
		layers = append(layers, lq)
		temporal = temporal || cur.Temporal != nil || lq.AsOf
	}
	if len(layers) == 0 {
		return &Tile{}, StatusSkipped, nil
	}
	date := ""
	if temporal {
		date = req.Date
		if date == "" {
			date = s.now().In(province).Format("2006-01-02")
		}
	}
	key := cacheKey(req.Tile, layers, date)
	t, st, err := s.cache.render(ctx, key, func() scope { return scopeOf(req.Tile, layers) }, func(ctx context.Context) (*Tile, bool, error) {
		return s.render(ctx, cat, req.Tile, layers, date)
	})
	if err != nil {
		return nil, st, err
	}
	return t, st, nil
}

// catalog returns the current catalog. When it is a new snapshot, the cached tiles of every
// layer whose definition as tiles see it changed (attributes, zooms, access, storage...) are
// dropped: a tile rendered with other attributes or zoom ranges must not be served. A reload
// that changed nothing for tiles, such as an import creating another layer, keeps the cache.
func (s *Service) catalog() *store.Catalog {
	cat := s.src.Catalog()
	if prev := s.cat.Load(); prev != nil && prev.cat == cat {
		return cat
	}
	s.catMu.Lock()
	defer s.catMu.Unlock()
	prev := s.cat.Load()
	if prev != nil && prev.cat == cat {
		return cat
	}
	next := &catalogState{cat: cat, prints: make(map[string]string, len(cat.Layers()))}
	for _, l := range cat.Layers() {
		next.prints[l.ID] = fingerprint(l)
	}
	if prev != nil {
		for id, fp := range prev.prints {
			if next.prints[id] != fp {
				n := s.cache.invalidate(id, world)
				s.log.Info("tiles: layer definition changed; dropped its cached tiles", "layer", id, "dropped", n)
			}
		}
	}
	s.cat.Store(next)
	return cat
}

// catalogState is a catalog snapshot with the fingerprint of each layer.
type catalogState struct {
	cat    *store.Catalog
	prints map[string]string
}

// fingerprint is everything about a layer that its tiles depend on.
func fingerprint(l *store.Layer) string {
	var b strings.Builder
	b.WriteString(l.Storage + "|" + l.TableName + "|" + l.GeometryType + "|" + l.Access + "|" +
		strconv.Itoa(l.MinZoom) + "|" + strconv.Itoa(l.MaxZoom) + "|")
	if l.Temporal != nil {
		b.WriteString(l.Temporal.Start + "/" + l.Temporal.End)
	}
	for _, a := range l.Attributes {
		b.WriteString("|" + a.Name + ":" + a.Type + ":" + a.Visibility)
	}
	return b.String()
}

// cacheKey names a tile by what it depends on: the layers rendered (not those requested, so
// "admin_units,parcels" at z10 shares the entry of "admin_units"), the tile, the date when a
// temporal layer is rendered, and the filters.
func cacheKey(t geo.TileID, layers []LayerQuery, date string) string {
	b := make([]byte, 0, 64)
	for i, lq := range layers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, lq.Layer.ID...)
	}
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.Z), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.X), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.Y), 10)
	if date != "" {
		b = append(b, '@')
		b = append(b, date...)
	}
	for _, lq := range layers {
		if lq.Filter != nil {
			b = append(b, '|')
			b = append(b, lq.Layer.ID...)
			b = append(b, '?')
			b = append(b, lq.Filter.Key...)
		}
	}
	return string(b)
}

// scopeOf is what a rendered tile depends on, for invalidation.
func scopeOf(t geo.TileID, layers []LayerQuery) scope {
	ids := make([]string, len(layers))
	for i, lq := range layers {
		ids[i] = lq.Layer.ID
	}
	return scope{layers: ids, tile: t}
}

// render runs the tile statement and compresses its result. The result may be cached only if
// the catalog it was built from is still current when it returns (see Service.catalog).
func (s *Service) render(ctx context.Context, cat *store.Catalog, t geo.TileID, layers []LayerQuery, date string) (*Tile, bool, error) {
	q, err := BuildQuery(t, layers, date)
	if err != nil {
		return nil, false, err
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	mvt, err := s.src.TileMVT(ctx, q.SQL, q.Args...)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrTimeout) {
			return nil, false, fmt.Errorf("%w: tile %s: %w", ErrTimeout, t, err)
		}
		return nil, false, err
	}
	tile, err := s.compress(mvt)
	if err != nil {
		return nil, false, err
	}
	return tile, s.src.Catalog() == cat, nil
}

func (s *Service) compress(mvt []byte) (*Tile, error) {
	if len(mvt) == 0 {
		return &Tile{}, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(mvt)/2 + 64)
	zw, _ := s.gz.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(&buf, s.level); err != nil {
			return nil, fmt.Errorf("tiles: gzip: %w", err)
		}
	} else {
		zw.Reset(&buf)
	}
	if _, err := zw.Write(mvt); err != nil {
		return nil, fmt.Errorf("tiles: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tiles: gzip: %w", err)
	}
	s.gz.Put(zw)
	sum := sha256.Sum256(mvt)
	return &Tile{Data: buf.Bytes(), ETag: `W/"` + hex.EncodeToString(sum[:12]) + `"`, Size: len(mvt)}, nil
}

// Changed drops the cached tiles a committed change touched (store.ChangeSubscriber).
func (s *Service) Changed(ev store.ChangeEvent) {
	n := s.cache.invalidate(ev.Layer, ev.BBox)
	s.growBounds(ev)
	s.log.Debug("tiles: change", "layer", ev.Layer, "bbox", ev.BBox, "dropped", n)
}

// Reset drops every cached tile, and the cached layer bounds (store.ChangeSubscriber): called
// when change notifications may have been missed.
func (s *Service) Reset() {
	s.cache.reset()
	s.boundsMu.Lock()
	s.bounds = nil
	s.boundsGen++
	s.boundsMu.Unlock()
	s.log.Debug("tiles: cache reset")
}

// Stats reports the cache's counters.
func (s *Service) Stats() CacheStats { return s.cache.stats() }

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}
