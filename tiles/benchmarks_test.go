package tiles

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// Benchmarks of the tile path: a cache hit, and a cache miss rendered by PostGIS (building the
// statement is benchmarked in store). Whole-system throughput (HTTP, concurrency, a million
// parcels) is measured by scripts/bench-tiles.sh, not here.

func BenchmarkCacheHit(b *testing.B) {
	src := newFakeSource()
	s := newTestService(b, src, 64<<20)
	req := request("admin_units,parcels,constructions", testTile)
	mustTile(b, s, req)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := s.Tile(context.Background(), req); err != nil || res.Status != StatusHit {
				panic(fmt.Sprint(res.Status, err))
			}
		}
	})
}

// benchTiles are the tiles around Đồng Xoài from z13 to z16, where the demo has parcels.
func benchTiles() []geo.TileID {
	center := orb.Bound{Min: orb.Point{106.88, 11.53}, Max: orb.Point{106.90, 11.55}}
	var out []geo.TileID
	for z := uint32(13); z <= 16; z++ {
		for t := range geo.TilesCovering(center, z) {
			out = append(out, t)
		}
	}
	return out
}

// BenchmarkTileMiss renders composite tiles with the cache disabled: one statement against the
// demo province per iteration, plus compression.
func BenchmarkTileMiss(b *testing.B) {
	st := storetest.Store(b, storetest.Demo(b))
	s := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	list := benchTiles()
	var bytes int64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res, err := s.Tile(context.Background(), Request{Layers: "admin_units,parcels,constructions", Tile: list[i%len(list)]})
		if err != nil || res.Status != StatusMiss {
			b.Fatal(fmt.Sprint(res.Status, err))
		}
		bytes += int64(res.Size)
		i++
	}
	b.ReportMetric(float64(bytes)/float64(i), "tile-bytes/op")
}
