package tiles

import (
	"container/list"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
)

// entryOverhead approximates the memory an entry costs beyond its bytes (the entry, its list
// element, map and index slots), so that a cache full of small or empty tiles stays in budget.
const entryOverhead = 256

// CacheStats are the cache's counters since it was made.
type CacheStats struct {
	Hits          uint64 // served from the cache
	Misses        uint64 // rendered by the database
	Shared        uint64 // waited for a render another request had started (singleflight)
	Evictions     uint64 // dropped to stay within the byte budget
	Invalidations uint64 // dropped because a change touched them
	Discarded     uint64 // rendered, served, but not cached: a change touched them in flight
	Entries       int
	Bytes         int64
	MaxBytes      int64
}

// cache is a byte-bounded LRU of rendered tiles plus the set of renders in flight. One mutex
// guards everything: a hit holds it for a map lookup and a list move.
//
// Invalidation must never let a tile read before a change be cached after the change's
// notification. A render records the tiles' layers and bounds in its flight; Changed marks every
// flight it touches as stale, and a stale flight's result is handed to its waiters but not stored.
// A render that starts after the notification was handled reads a snapshot that includes the
// change, since PostgreSQL sends NOTIFY only after the commit.
type cache struct {
	mu      sync.Mutex
	max     int64 // 0: store nothing, still collapse concurrent renders
	used    int64
	lru     list.List // of *entry, most recent first
	entries map[string]*entry
	// byTile indexes entries by zoom and tile, so a change visits only the tiles it covers.
	byTile  [geo.MaxZoom + 1]map[geo.TileID][]*entry
	flights map[string]*flight

	hits, misses, shared, evictions, invalidations, discarded atomic.Uint64
}

type entry struct {
	key   string
	tile  *Tile
	scope scope
	cost  int64
	elem  *list.Element
}

// scope is what a cached tile depends on: its layers (those actually rendered) and its tile.
type scope struct {
	layers []string
	tile   geo.TileID
}

// touchedBy reports whether a change of layer within bounds b may alter the tile. b is already
// widened by the tile buffer at the tile's zoom.
func (s scope) touchedBy(layer string, b orb.Bound) bool {
	return slices.Contains(s.layers, layer) && s.tile.Intersects(b)
}

type flight struct {
	done    chan struct{}
	tile    *Tile
	err     error
	scope   scope
	stale   bool // a change or reset touched it while it ran: do not cache its result
	waiters int
	cancel  context.CancelFunc
}

func newCache(maxBytes int64) *cache {
	c := &cache{max: max(maxBytes, 0), entries: map[string]*entry{}, flights: map[string]*flight{}}
	for z := range c.byTile {
		c.byTile[z] = map[geo.TileID][]*entry{}
	}
	return c
}

// render returns the tile for key from the cache, from a render in flight, or by starting one.
// The render runs detached from ctx, so a request that goes away does not fail the others waiting
// for the same tile; when the last waiter has gone, the render's context is cancelled, which
// cancels its statement. fn's boolean result says whether its tile may be cached.
func (c *cache) render(ctx context.Context, key string, sc func() scope, fn renderFunc) (*Tile, Status, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		c.hits.Add(1)
		return e.tile, StatusHit, nil
	}
	f, ok := c.flights[key]
	if ok {
		f.waiters++
		c.shared.Add(1)
	} else {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), scope: sc(), waiters: 1, cancel: cancel}
		c.flights[key] = f
		c.misses.Add(1)
		go c.run(fctx, key, f, fn)
	}
	c.mu.Unlock()
	st := StatusMiss
	if ok {
		st = StatusShared
	}

	select {
	case <-f.done:
		return f.tile, st, f.err
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants this tile any more: stop the statement, and let the next request
			// start afresh rather than join a cancelled render.
			f.cancel()
			if c.flights[key] == f {
				delete(c.flights, key)
			}
		}
		c.mu.Unlock()
		return nil, st, ctx.Err()
	}
}

type renderFunc func(context.Context) (t *Tile, cacheable bool, err error)

func (c *cache) run(ctx context.Context, key string, f *flight, fn renderFunc) {
	t, cacheable, err := fn(ctx)
	f.cancel()
	c.mu.Lock()
	// A flight its waiters abandoned was unregistered, so changes no longer mark it: its result,
	// if it has one, is not cached either.
	registered := c.flights[key] == f
	if registered {
		delete(c.flights, key)
	}
	f.tile, f.err = t, err
	switch {
	case err != nil || !registered:
	case f.stale || !cacheable:
		c.discarded.Add(1)
	case c.max > 0:
		c.add(key, t, f.scope)
	}
	c.mu.Unlock()
	close(f.done)
}

// add stores a tile; c.mu is held.
func (c *cache) add(key string, t *Tile, sc scope) {
	cost := int64(len(t.Data)+len(key)+len(t.ETag)) + entryOverhead
	if cost > c.max/8 {
		return // one tile may not push out an eighth of the cache
	}
	if old, ok := c.entries[key]; ok {
		c.remove(old)
	}
	e := &entry{key: key, tile: t, scope: sc, cost: cost}
	e.elem = c.lru.PushFront(e)
	c.entries[key] = e
	idx := c.byTile[sc.tile.Z]
	idx[sc.tile] = append(idx[sc.tile], e)
	c.used += cost
	for c.used > c.max {
		oldest := c.lru.Back().Value.(*entry)
		c.remove(oldest)
		c.evictions.Add(1)
	}
}

// remove drops an entry; c.mu is held.
func (c *cache) remove(e *entry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	idx := c.byTile[e.scope.tile.Z]
	list := idx[e.scope.tile]
	if i := slices.Index(list, e); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(idx, e.scope.tile)
	} else {
		idx[e.scope.tile] = list
	}
	c.used -= e.cost
}

// invalidate drops every cached tile of layer whose buffered bounds touch b (lon/lat), and marks
// the renders in flight that it touches.
func (c *cache) invalidate(layer string, b orb.Bound) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.flights {
		if !f.stale && f.scope.touchedBy(layer, widen(b, f.scope.tile.Z)) {
			f.stale = true
		}
	}
	var victims []*entry
	for z := range c.byTile {
		idx := c.byTile[z]
		if len(idx) == 0 {
			continue
		}
		wb := widen(b, uint32(z))
		// Visit whichever is smaller: the tiles the change covers, or the cached tiles.
		if n := geo.CountTilesCovering(wb, uint32(z)); n <= uint64(len(idx)) {
			for t := range geo.TilesCovering(wb, uint32(z)) {
				for _, e := range idx[t] {
					if slices.Contains(e.scope.layers, layer) {
						victims = append(victims, e)
					}
				}
			}
		} else {
			for _, list := range idx {
				for _, e := range list {
					if e.scope.touchedBy(layer, wb) {
						victims = append(victims, e)
					}
				}
			}
		}
	}
	for _, e := range victims {
		c.remove(e)
	}
	c.invalidations.Add(uint64(len(victims)))
	return len(victims)
}

// reset drops everything and marks every render in flight.
func (c *cache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.flights {
		f.stale = true
	}
	n := len(c.entries)
	c.entries = map[string]*entry{}
	for z := range c.byTile {
		c.byTile[z] = map[geo.TileID][]*entry{}
	}
	c.lru.Init()
	c.used = 0
	c.invalidations.Add(uint64(n))
}

func (c *cache) stats() CacheStats {
	c.mu.Lock()
	n, used := len(c.entries), c.used
	c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Shared: c.shared.Load(),
		Evictions: c.evictions.Load(), Invalidations: c.invalidations.Load(), Discarded: c.discarded.Load(),
		Entries: n, Bytes: used, MaxBytes: c.max,
	}
}

// widen grows b by the tile buffer at zoom z: a feature that close to a tile is drawn in it.
func widen(b orb.Bound, z uint32) orb.Bound {
	d := bufferDegrees(z)
	return orb.Bound{Min: orb.Point{b.Min[0] - d, b.Min[1] - d}, Max: orb.Point{b.Max[0] + d, b.Max[1] + d}}
}
