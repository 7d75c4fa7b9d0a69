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

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

// Source is what the service needs from the database; *store.Store implements it.
type Source interface {
	// Catalog is the current catalog snapshot.
	Catalog() *store.Catalog
	// RenderTile renders the tile a TileQuery describes and returns the MVT.
	RenderTile(ctx context.Context, q store.TileQuery) ([]byte, error)
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

// Request asks for one tile, or (TileJSON) describes a tile set.
type Request struct {
	// Layers is the comma-separated list of layer ids as the client wrote it, in the order
	// wanted in the tile.
	Layers string
	// CanRead says whether the caller may read a layer; nil means public layers only. A layer
	// the caller may not read answers exactly like an unknown one.
	CanRead func(*store.Layer) bool
	Tile    geo.TileID // ignored by TileJSON
	// Date is the day whose map is wanted, as vntime.ParseDate returns it: layers with a valid
	// time show what was valid that day, and for a past day the others show what was recorded
	// by its end. Zero means today in Vietnam. Ignored by TileJSON.
	Date time.Time
	// Filter, if not nil, is a CQL2 filter that every requested layer must be able to evaluate
	// on its public attributes, and that every rendered layer's features pass. Its geometry
	// literals are in FilterCRS (zero: CRS84).
	Filter    cql2.Expr
	FilterCRS geo.CRS
}

// Result is a tile and how it was obtained.
type Result struct {
	*Tile
	Status Status
	// Private is true when a requested layer needs a key: a shared cache must not keep the
	// tile. (Whoever reads a layer gets the same tile: tiles carry public attributes only, so
	// one cache serves every caller.)
	Private bool
}

// resolve checks a request against catalog snapshot cat: the layers exist and the caller may
// read them, and the filter can be evaluated on each one's public attributes. A layer the
// caller may not read answers exactly like an unknown one, wrapping ErrUnknownLayer; an empty or
// repeated id, or a filter a layer cannot evaluate, wraps ErrInvalid. The check is made before
// the cache is consulted, so a bad request is refused even when the zoom shows no layer.
func resolve(cat *store.Catalog, req Request) (layers []*store.Layer, private bool, err error) {
	layers, err = resolveLayers(cat, req.Layers, req.CanRead)
	if err != nil {
		return nil, false, err
	}
	for _, l := range layers {
		private = private || l.Access != "public"
		if req.Filter == nil {
			continue
		}
		// Tiles carry public attributes only, so a filter may name only those: a filter on
		// another would reveal its values one tile at a time.
		if err := l.CheckFilter(req.Filter, req.FilterCRS); err != nil {
			return nil, false, &RequestError{"filter", "layer " + l.ID + ": " + store.ClientMessage(err), ErrInvalid}
		}
	}
	return layers, private, nil
}

func resolveLayers(cat *store.Catalog, list string, canRead func(*store.Layer) bool) ([]*store.Layer, error) {
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

// Tile returns the tile for req: from the cache, from a render in flight, or rendered now. It
// resolves the layers once, against the current catalog snapshot, and renders with that snapshot.
func (s *Service) Tile(ctx context.Context, req Request) (Result, error) {
	cat := s.catalog()
	requested, private, err := resolve(cat, req)
	if err != nil {
		return Result{}, err
	}
	layers := requested[:0] // resolve made the slice for this request
	temporal, timeless := false, false
	for _, l := range requested {
		if InZoom(l, req.Tile.Z) {
			layers = append(layers, l)
			temporal = temporal || l.Temporal != nil
			timeless = timeless || l.Temporal == nil
		}
	}
	if len(layers) == 0 {
		return Result{Tile: &Tile{}, Status: StatusSkipped, Private: private}, nil
	}
	// The day matters to layers with a valid time, and to the others when it is past: they are
	// then read as they were recorded by its end (time travel). Otherwise the date stays empty
	// and one cache entry serves every date.
	var date string
	var at *time.Time
	if temporal || timeless && !req.Date.IsZero() {
		today := vntime.Date(s.now())
		date = today
		if !req.Date.IsZero() {
			date = vntime.Date(req.Date)
		}
		if timeless && date < today {
			at = endOfDay(date)
		} else if !temporal {
			date = ""
		}
	}
	q := store.TileQuery{Tile: req.Tile, Layers: layers, Extent: Extent, Buffer: Buffer, Date: date, AsOf: at,
		Filter: req.Filter, FilterCRS: req.FilterCRS}
	key := cacheKey(q)
	t, st, err := s.cache.render(ctx, key, func() scope { return scopeOf(q) }, func(ctx context.Context) (*Tile, bool, error) {
		// Generalization is worked out only when the tile is rendered, not on every cache hit.
		rq := q
		generalize(&rq)
		return s.render(ctx, cat, rq)
	})
	if err != nil {
		return Result{Status: st, Private: private}, err
	}
	return Result{Tile: t, Status: st, Private: private}, nil
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
// layer rendered depends on it, and the filter in canonical CQL2 text with its CRS (equal keys,
// equal predicates, however the client spelled the filter).
func cacheKey(q store.TileQuery) string {
	t, date := q.Tile, q.Date
	b := make([]byte, 0, 64)
	for i, l := range q.Layers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.ID...)
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
	if q.Filter != nil {
		crs := q.FilterCRS
		if crs.SRID == 0 {
			crs = geo.CRS84
		}
		b = append(b, '?')
		b = append(b, crs.URI...)
		b = append(b, ' ')
		b = append(b, q.Filter.String()...)
	}
	return string(b)
}

// scopeOf is what a rendered tile depends on, for invalidation.
func scopeOf(q store.TileQuery) scope {
	ids := make([]string, len(q.Layers))
	for i, l := range q.Layers {
		ids[i] = l.ID
	}
	return scope{layers: ids, tile: q.Tile}
}

// render has store render the tile and compresses the result. The result may be cached only if
// the catalog it was built from is still current when it returns (see Service.catalog).
func (s *Service) render(ctx context.Context, cat *store.Catalog, q store.TileQuery) (*Tile, bool, error) {
	t := q.Tile
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	mvt, err := s.src.RenderTile(ctx, q)
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
