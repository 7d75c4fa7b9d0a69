package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

func TestInZoom(t *testing.T) {
	p := storetest.Layer(t, "parcels")
	for z, want := range map[uint32]bool{12: false, 13: true, 22: true} {
		if got := InZoom(p, z); got != want {
			t.Errorf("InZoom(parcels, %d) = %v, want %v", z, got, want)
		}
	}
}

// tileAt is the tile at zoom z holding (lon, lat).
func tileAt(t testing.TB, lon, lat float64, z uint32) geo.TileID {
	t.Helper()
	for tile := range geo.TilesCovering(orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon, lat}}, z) {
		return tile
	}
	t.Fatalf("no tile at %v,%v z%d", lon, lat, z)
	return geo.TileID{}
}

// Low zooms are simplified to a pixel and lose what is smaller than a pixel; from z13 neither.
// Where the affine map fits (at the province's latitude from z13) it is used.
func TestGeneralize(t *testing.T) {
	for z := uint32(0); z <= 18; z++ {
		tile := tileAt(t, 106.89, 11.53, z)
		q := store.TileQuery{Tile: tile}
		generalize(&q)
		px := tile.PixelSize(Extent)
		b := tile.Bound()
		if z <= 12 {
			if q.Simplify != px || px <= 0 {
				t.Errorf("z%d: tolerance %v, want one pixel (%v m)", z, q.Simplify, px)
			}
			if want := (store.MinSize{Lon: (b.Max[0] - b.Min[0]) / Extent, Lat: (b.Max[1] - b.Min[1]) / Extent}); q.MinSize != want {
				t.Errorf("z%d: min size %+v, want a pixel %+v", z, q.MinSize, want)
			}
		} else if q.Simplify != 0 || q.MinSize != (store.MinSize{}) {
			t.Errorf("z%d: tolerance %v, min size %+v; want none from z13", z, q.Simplify, q.MinSize)
		}
		if got, want := q.Affine != nil, z >= 13; got != want {
			t.Errorf("z%d: affine %v, want %v", z, got, want)
		}
	}
}

func TestFitMercator(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lon, lat float64
		z        uint32
		ok       bool
	}{
		{"Đồng Xoài z13", 106.89, 11.53, 13, true},
		{"Đồng Xoài z18", 106.89, 11.53, 18, true},
		{"Đồng Xoài z12", 106.89, 11.53, 12, false},
		{"Hà Giang z13", 105.0, 23.0, 13, false},
		{"Hà Giang z14", 105.0, 23.0, 14, true},
		{"equator z10", 0.5, 0.1, 10, true},
		{"z0", 0, 0, 0, false},
	} {
		tile := tileAt(t, tc.lon, tc.lat, tc.z)
		f := fitMercator(tile)
		if f.ok != tc.ok {
			t.Errorf("%s: affine %v, want %v", tc.name, f.ok, tc.ok)
		}
		if !f.ok {
			continue
		}
		// The map is exact at the tile's corners and within maxFitError units inside.
		mb, b := tile.MercatorBound(), tile.Bound()
		unit := (mb.Max[0] - mb.Min[0]) / Extent
		for _, c := range [][2]orb.Point{{b.Min, mb.Min}, {b.Max, mb.Max}} {
			x, y := f.ax*c[0][0], f.ay*c[0][1]+f.by
			if dx, dy := math.Abs(x-c[1][0])/unit, math.Abs(y-c[1][1])/unit; dx > 1e-6 || dy > maxFitError {
				t.Errorf("%s: corner %v maps %v units off in x and %v in y", tc.name, c[0], dx, dy)
			}
		}
		mid := b.Center()
		if dy := math.Abs(f.ay*mid[1]+f.by-geo.MercatorY(mid[1])) / unit; dy > maxFitError {
			t.Errorf("%s: centre %v units off", tc.name, dy)
		}
	}
}
