package tiles

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// fakeSource answers tile queries with a fixed MVT-like payload and counts them, so the cache
// and the policy can be tested without a database. A test may hold renders back with gate.
type fakeSource struct {
	mu      sync.Mutex
	cat     *store.Catalog
	payload []byte
	calls   atomic.Int64
	started chan struct{} // receives once per render, if not nil
	gate    chan struct{} // renders wait for it, if not nil
	stats   []store.LayerStat
	last    store.TileQuery
}

func newFakeSource() *fakeSource {
	return &fakeSource{cat: store.NewCatalog(storetest.Layers()...), payload: []byte("tile-bytes")}
}

func (f *fakeSource) Catalog() *store.Catalog {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cat
}

func (f *fakeSource) setCatalog(c *store.Catalog) {
	f.mu.Lock()
	f.cat = c
	f.mu.Unlock()
}

func (f *fakeSource) setPayload(b []byte) {
	f.mu.Lock()
	f.payload = b
	f.mu.Unlock()
}

func (f *fakeSource) RenderTile(ctx context.Context, q store.TileQuery) ([]byte, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.last = q
	p := f.payload
	f.mu.Unlock()
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p, nil
}

// lastQuery is the query of the latest render.
func (f *fakeSource) lastQuery() store.TileQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *fakeSource) LayerStats(ctx context.Context, c *store.Catalog) ([]store.LayerStat, error) {
	if f.stats != nil {
		return f.stats, nil
	}
	return []store.LayerStat{{Layer: "parcels", Count: 2, Extent: orb.Bound{Min: orb.Point{106.5, 11.2}, Max: orb.Point{107.4, 12.3}}}}, nil
}
