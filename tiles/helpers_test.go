package tiles

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/store"
)

// builtinLayers mirrors the catalog rows migration 000003 inserts, plus one generic layer, so
// the builder and the cache can be tested without a database.
func builtinLayers() []*store.Layer {
	pub := func(name, typ string) store.Attribute {
		return store.Attribute{Name: name, Type: typ, Visibility: store.VisibilityPublic}
	}
	return []*store.Layer{
		{ID: "admin_units", Storage: store.StorageTable, TableName: "admin_units", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 0, MaxZoom: 22, Temporal: &store.Temporal{Start: "valid_from", End: "valid_to"},
			Attributes: []store.Attribute{pub("code", "string"), pub("level", "string"), pub("name", "string"),
				pub("valid_from", "date"), pub("valid_to", "date"), pub("area_m2", "number")}},
		{ID: "parcels", Storage: store.StorageTable, TableName: "parcels", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 13, MaxZoom: 22,
			Attributes: []store.Attribute{pub("commune_code", "string"), pub("sheet_no", "integer"), pub("parcel_no", "integer"),
				pub("main_use", "string"), pub("land_use", "json"), pub("official_area_m2", "number"),
				{Name: "owner_name", Type: "string", Visibility: store.VisibilityPersonal},
				{Name: "owner_id_number", Type: "string", Visibility: store.VisibilityPersonal},
				{Name: "certificate_no", Type: "string", Visibility: store.VisibilityPersonal}}},
		{ID: "constructions", Storage: store.StorageTable, TableName: "constructions", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 15, MaxZoom: 22,
			Attributes: []store.Attribute{pub("kind", "string"), pub("storeys", "integer"), pub("height_m", "number"),
				{Name: "permit_issuer", Type: "string", Visibility: store.VisibilityRestricted}}},
		{ID: "wells", Storage: store.StorageGeneric, GeometryType: "Point", Access: "public", MinZoom: 10, MaxZoom: 22,
			Attributes: []store.Attribute{pub("depth", "number"), pub("drilled", "datetime"), pub("active", "boolean"), pub("meta", "json")}},
		{ID: "secret", Storage: store.StorageGeneric, GeometryType: "Geometry", Access: "restricted", MinZoom: 0, MaxZoom: 22},
	}
}

func layer(tb testing.TB, id string) *store.Layer {
	tb.Helper()
	for _, l := range builtinLayers() {
		if l.ID == id {
			return l
		}
	}
	tb.Fatalf("no test layer %s", id)
	return nil
}

// fakeSource answers tile statements with a fixed MVT-like payload and counts them. A test may
// hold statements back with gate.
type fakeSource struct {
	mu       sync.Mutex
	cat      *store.Catalog
	payload  []byte
	calls    atomic.Int64
	started  chan struct{} // receives once per statement, if not nil
	gate     chan struct{} // statements wait for it, if not nil
	stats    []store.LayerStat
	lastSQL  string
	lastArgs []any
}

func newFakeSource() *fakeSource {
	return &fakeSource{cat: store.NewCatalog(builtinLayers()...), payload: []byte("tile-bytes")}
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

func (f *fakeSource) TileMVT(ctx context.Context, sql string, args ...any) ([]byte, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.lastSQL, f.lastArgs = sql, args
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

func (f *fakeSource) hasArg(v any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.lastArgs {
		if a == v {
			return true
		}
	}
	return false
}

func (f *fakeSource) LayerStats(ctx context.Context, c *store.Catalog) ([]store.LayerStat, error) {
	if f.stats != nil {
		return f.stats, nil
	}
	return []store.LayerStat{{Layer: "parcels", Count: 2, Extent: orb.Bound{Min: orb.Point{106.5, 11.2}, Max: orb.Point{107.4, 12.3}}}}, nil
}
