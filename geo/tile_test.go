package geo

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestParseTile(t *testing.T) {
	tests := []struct {
		z, x, y string
		want    TileID
	}{
		{"0", "0", "0", TileID{0, 0, 0}},
		{"1", "1", "1", TileID{1, 1, 1}},
		{"14", "13056", "7666", TileID{14, 13056, 7666}},
		{"22", "4194303", "4194303", TileID{22, 4194303, 4194303}},
		{"08", "0207", "0121", TileID{8, 207, 121}},
	}
	for _, tt := range tests {
		t.Run(tt.z+"/"+tt.x+"/"+tt.y, func(t *testing.T) {
			got, err := ParseTile(tt.z, tt.x, tt.y)
			if err != nil {
				t.Fatalf("ParseTile err = %v, want nil", err)
			}
			if got != tt.want {
				t.Errorf("ParseTile = %v, want %v", got, tt.want)
			}
			if !got.Valid() {
				t.Errorf("%v.Valid() = false, want true", got)
			}
		})
	}
}

func TestParseTile_Errors(t *testing.T) {
	tests := []struct {
		z, x, y, want string
	}{
		{"", "0", "0", "geo: tile: z is empty"},
		{"0", "", "0", "geo: tile: x is empty"},
		{"0", "0", "", "geo: tile: y is empty"},
		{"23", "0", "0", "geo: tile: z 23 outside 0..22"},
		{"99999999999999999999999", "0", "0", "geo: tile: z 99999999999999999999999 outside 0..22"},
		{"-1", "0", "0", `geo: tile: z "-1" is not a non-negative integer`},
		{"+1", "0", "0", `geo: tile: z "+1" is not a non-negative integer`},
		{" 1", "0", "0", `geo: tile: z " 1" is not a non-negative integer`},
		{"1.0", "0", "0", `geo: tile: z "1.0" is not a non-negative integer`},
		{"0", "1", "0", "geo: tile: x 1 outside 0..0"},
		{"1", "2", "0", "geo: tile: x 2 outside 0..1"},
		{"1", "0", "2", "geo: tile: y 2 outside 0..1"},
		{"22", "4194304", "0", "geo: tile: x 4194304 outside 0..4194303"},
		{"3", "0x1", "0", `geo: tile: x "0x1" is not a non-negative integer`},
		{"3", "1_0", "0", `geo: tile: x "1_0" is not a non-negative integer`},
		{"3", "1", "1.pbf", `geo: tile: y "1.pbf" is not a non-negative integer`},
		{"3", "1", "٣", `geo: tile: y "٣" is not a non-negative integer`},
	}
	for _, tt := range tests {
		t.Run(tt.z+"/"+tt.x+"/"+tt.y, func(t *testing.T) {
			got, err := ParseTile(tt.z, tt.x, tt.y)
			wantErr(t, err, ErrInvalidTile, "")
			if err != nil && err.Error() != tt.want {
				t.Errorf("ParseTile err = %q, want %q", err, tt.want)
			}
			if got != (TileID{}) {
				t.Errorf("ParseTile = %v, want zero TileID on error", got)
			}
		})
	}
}

func TestTileID_String(t *testing.T) {
	if got, want := (TileID{Z: 14, X: 13056, Y: 7666}).String(), "14/13056/7666"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestTileID_Valid(t *testing.T) {
	for _, tt := range []struct {
		t    TileID
		want bool
	}{
		{TileID{0, 0, 0}, true}, {TileID{0, 1, 0}, false}, {TileID{2, 3, 3}, true},
		{TileID{2, 4, 0}, false}, {TileID{23, 0, 0}, false},
	} {
		if got := tt.t.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v, want %v", tt.t, got, tt.want)
		}
	}
}

// dongXoai is the tile containing Đồng Xoài at z14.
var dongXoai = TileID{Z: 14, X: uint32(maptile.At(orb.Point{106.89, 11.535}, 14).X), Y: uint32(maptile.At(orb.Point{106.89, 11.535}, 14).Y)}

func TestTileID_Bound(t *testing.T) {
	world := TileID{}.Bound()
	near(t, "z0 minx", world.Min[0], -180, 1e-12)
	near(t, "z0 maxx", world.Max[0], 180, 1e-12)
	near(t, "z0 miny", world.Min[1], -85.0511287798066, 1e-9)
	near(t, "z0 maxy", world.Max[1], 85.0511287798066, 1e-9)

	ne := TileID{Z: 1, X: 1, Y: 0}.Bound()
	near(t, "1/1/0 minx", ne.Min[0], 0, 1e-12)
	near(t, "1/1/0 miny", ne.Min[1], 0, 1e-12)

	b := dongXoai.Bound()
	if !b.Contains(orb.Point{106.89, 11.535}) {
		t.Errorf("%v.Bound() = %v, want it to contain Đồng Xoài", dongXoai, b)
	}
	// A z14 tile is 360/2^14 degrees wide.
	near(t, "z14 width", b.Max[0]-b.Min[0], 360.0/16384, 1e-12)
}

func TestTileID_MercatorBound(t *testing.T) {
	const half = 20037508.342789244
	tests := []struct {
		tile TileID
		want orb.Bound
	}{
		{TileID{0, 0, 0}, orb.Bound{Min: orb.Point{-half, -half}, Max: orb.Point{half, half}}},
		{TileID{1, 1, 0}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{half, half}}},
		{TileID{1, 0, 1}, orb.Bound{Min: orb.Point{-half, -half}, Max: orb.Point{0, 0}}},
		{TileID{2, 3, 3}, orb.Bound{Min: orb.Point{half / 2, -half}, Max: orb.Point{half, -half / 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.tile.String(), func(t *testing.T) {
			got := tt.tile.MercatorBound()
			for i, pair := range [][2]float64{
				{got.Min[0], tt.want.Min[0]}, {got.Min[1], tt.want.Min[1]},
				{got.Max[0], tt.want.Max[0]}, {got.Max[1], tt.want.Max[1]},
			} {
				near(t, fmt.Sprintf("coordinate %d", i), pair[0], pair[1], 1e-6)
			}
		})
	}
	// The 3857 bound unprojects to the lon/lat bound.
	for _, tile := range []TileID{dongXoai, {Z: 22, X: 3312345, Y: 1912345}, {Z: 5, X: 25, Y: 14}} {
		mb, b := tile.MercatorBound(), tile.Bound()
		lon0, lat0, err := ToWGS84(mb.Min[0], mb.Min[1], 3857)
		if err != nil {
			t.Fatal(err)
		}
		lon1, lat1, err := ToWGS84(mb.Max[0], mb.Max[1], 3857)
		if err != nil {
			t.Fatal(err)
		}
		near(t, tile.String()+" min lon", lon0, b.Min[0], 1e-9)
		near(t, tile.String()+" min lat", lat0, b.Min[1], 1e-9)
		near(t, tile.String()+" max lon", lon1, b.Max[0], 1e-9)
		near(t, tile.String()+" max lat", lat1, b.Max[1], 1e-9)
	}
}

func TestTileID_PixelSize(t *testing.T) {
	const circumference = 40075016.68557849
	tests := []struct {
		tile   TileID
		extent int
		want   float64
	}{
		{TileID{0, 0, 0}, 4096, circumference / 4096},
		{TileID{0, 0, 0}, 256, 156543.03392804097},
		{TileID{14, 1, 1}, 4096, circumference / 16384 / 4096},
		{TileID{22, 0, 0}, 4096, circumference / 4194304 / 4096},
		{TileID{10, 0, 0}, 0, 0},
		{TileID{10, 0, 0}, -4096, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%d", tt.tile, tt.extent), func(t *testing.T) {
			near(t, "PixelSize", tt.tile.PixelSize(tt.extent), tt.want, tt.want*1e-12)
		})
	}
}

func TestTileID_Intersects(t *testing.T) {
	b := dongXoai.Bound()
	tests := []struct {
		name string
		tile TileID
		box  orb.Bound
		want bool
	}{
		{"own bound", dongXoai, b, true},
		{"point inside", dongXoai, orb.Bound{Min: orb.Point{106.89, 11.535}, Max: orb.Point{106.89, 11.535}}, true},
		{"province", dongXoai, ProvinceBound, true},
		{"east neighbour shares edge", TileID{14, dongXoai.X + 1, dongXoai.Y}, b, true},
		{"two tiles east", TileID{14, dongXoai.X + 2, dongXoai.Y}, b, false},
		{"far", dongXoai, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, false},
		{"world tile", TileID{}, ProvinceBound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tile.Intersects(tt.box); got != tt.want {
				t.Errorf("%v.Intersects(%v) = %v, want %v", tt.tile, tt.box, got, tt.want)
			}
		})
	}
}

func TestTilesCovering(t *testing.T) {
	collect := func(b orb.Bound, z uint32) []TileID {
		return slices.Collect(TilesCovering(b, z))
	}
	tests := []struct {
		name string
		b    orb.Bound
		z    uint32
		want []TileID
	}{
		{"world z0", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, 0, []TileID{{0, 0, 0}}},
		{"point z14", orb.Bound{Min: orb.Point{106.89, 11.535}, Max: orb.Point{106.89, 11.535}}, 14, []TileID{dongXoai}},
		// A box whose west edge is the meridian 0 touches the tiles on both sides.
		{"edge z1", orb.Bound{Min: orb.Point{0, 10}, Max: orb.Point{10, 20}}, 1, []TileID{{1, 0, 0}, {1, 1, 0}}},
		{"province z6", ProvinceBound, 6, []TileID{{6, 50, 29}, {6, 51, 29}}},
		{"province z8", ProvinceBound, 8, []TileID{{8, 203, 119}, {8, 204, 119}}},
		{"polar clamp", orb.Bound{Min: orb.Point{-1, 86}, Max: orb.Point{1, 89}}, 1, []TileID{{1, 0, 0}, {1, 1, 0}}},
		{"z too deep", ProvinceBound, 23, nil},
		{"inverted", orb.Bound{Min: orb.Point{107, 12}, Max: orb.Point{106, 11}}, 10, nil},
		{"nan", orb.Bound{Min: orb.Point{math.NaN(), 12}, Max: orb.Point{106, 11}}, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(tt.b, tt.z)
			if !slices.Equal(got, tt.want) {
				t.Errorf("TilesCovering(%v, %d) = %v, want %v", tt.b, tt.z, got, tt.want)
			}
			if n := CountTilesCovering(tt.b, tt.z); n != uint64(len(tt.want)) {
				t.Errorf("CountTilesCovering(%v, %d) = %d, want %d", tt.b, tt.z, n, len(tt.want))
			}
		})
	}
}

// TestTilesCovering_BruteForce compares the cover with testing every tile
// of the neighbourhood with Intersects.
func TestTilesCovering_BruteForce(t *testing.T) {
	boxes := []orb.Bound{
		ProvinceBound,
		{Min: orb.Point{106.8812, 11.5123}, Max: orb.Point{106.9034, 11.5431}},
		{Min: orb.Point{-10.3, -40.7}, Max: orb.Point{30.1, 5.2}},
		{Min: orb.Point{106.9, 11.5}, Max: orb.Point{106.9, 11.5}},
	}
	for _, b := range boxes {
		for z := uint32(0); z <= 12; z++ {
			t.Run(fmt.Sprintf("%v/z%d", b, z), func(t *testing.T) {
				got := slices.Collect(TilesCovering(b, z))
				if n := CountTilesCovering(b, z); n != uint64(len(got)) {
					t.Errorf("CountTilesCovering = %d, want %d", n, len(got))
				}
				if len(got) > 5000 {
					return // brute force only small covers
				}
				lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
				hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
				var want []TileID
				n := uint32(1) << z
				for y := max(int(lo.Y)-2, 0); y <= min(int(hi.Y)+2, int(n)-1); y++ {
					for x := max(int(lo.X)-2, 0); x <= min(int(hi.X)+2, int(n)-1); x++ {
						tile := TileID{Z: z, X: uint32(x), Y: uint32(y)}
						if tile.Intersects(b) {
							want = append(want, tile)
						}
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("TilesCovering = %v, want %v", got, want)
				}
			})
		}
	}
}

func TestTilesCovering_StopsEarly(t *testing.T) {
	n := 0
	for range TilesCovering(ProvinceBound, 22) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("iterations = %d, want 3", n)
	}
	if got := CountTilesCovering(ProvinceBound, 22); got < 1e8 {
		t.Errorf("CountTilesCovering(province, 22) = %d, want > 1e8", got)
	}
}

func FuzzParseTile(f *testing.F) {
	f.Add("14", "13056", "7666")
	f.Add("23", "0", "0")
	f.Add("1", "-1", "x")
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseTile(z, x, y)
		if err != nil {
			wantErr(t, err, ErrInvalidTile, "")
			return
		}
		if !tile.Valid() {
			t.Errorf("ParseTile(%q, %q, %q) = %v, which is not Valid", z, x, y, tile)
		}
	})
}

func TestMercatorY(t *testing.T) {
	// The edge of the web map is the latitude whose y is the square's half side.
	near(t, "y of 85.0511°", MercatorY(85.0511287798066), MercatorHalf, 1e-6)
	near(t, "y of the equator", MercatorY(0), 0, 1e-9)
	for _, lat := range []float64{-85, -45.5, -1e-7, 11.53, 23.39, 60, 85} {
		near(t, "round trip", MercatorLat(MercatorY(lat)), lat, 1e-12)
		x, y, err := FromWGS84(106.9, lat, 3857)
		if err != nil || y != MercatorY(lat) || x <= 0 {
			t.Errorf("FromWGS84(106.9, %g, 3857) = %g, %g, %v; want y %g", lat, x, y, err, MercatorY(lat))
		}
	}
}
