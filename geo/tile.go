package geo

import (
	"fmt"
	"iter"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the deepest zoom the tile server accepts. At z22 a 4096-unit
// MVT tile has 2.3 cm cells at the province's latitude, finer than any
// cadastral survey.
const MaxZoom = 22

// MercatorHalf is half the side of the Pseudo-Mercator (EPSG:3857) square, π·a metres: x and y
// run from -MercatorHalf to MercatorHalf.
const MercatorHalf = math.Pi * wgs84A

// MercatorY is the Pseudo-Mercator (EPSG:3857) y in metres of latitude lat in degrees; x is
// proportional to longitude. The web-map tile grid, the tile server's projection and
// FromWGS84 all use this one formula.
func MercatorY(lat float64) float64 {
	return wgs84A * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

// MercatorLat is the inverse of MercatorY: the latitude in degrees of Pseudo-Mercator y.
func MercatorLat(y float64) float64 {
	return math.Atan(math.Sinh(y/wgs84A)) * 180 / math.Pi
}

// TileID addresses one web-map (XYZ, EPSG:3857) tile: Y grows southward from
// the top-left, as in the {z}/{x}/{y} URLs of MVT and TileJSON.
type TileID struct {
	Z, X, Y uint32
}

// ParseTile parses the three path parts of a {z}/{x}/{y} tile URL. Each
// must be plain decimal digits (no sign, no spaces), z at most MaxZoom and
// x, y at most 2^z-1. Errors wrap ErrInvalidTile and say which part failed.
func ParseTile(z, x, y string) (TileID, error) {
	zz, err := parseTilePart("z", z, MaxZoom)
	if err != nil {
		return TileID{}, err
	}
	limit := uint64(1)<<zz - 1
	xx, err := parseTilePart("x", x, limit)
	if err != nil {
		return TileID{}, err
	}
	yy, err := parseTilePart("y", y, limit)
	if err != nil {
		return TileID{}, err
	}
	return TileID{Z: uint32(zz), X: uint32(xx), Y: uint32(yy)}, nil
}

func parseTilePart(name, s string, limit uint64) (uint64, error) {
	if s == "" {
		return 0, tileErr("%s is empty", name)
	}
	// ParseUint would accept nothing worse, but checking digits first gives
	// a clear message and rejects "+1" and "1_0" style input up front.
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, tileErr("%s %q is not a non-negative integer", name, s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > limit {
		return 0, tileErr("%s %s outside 0..%d", name, s, limit)
	}
	return n, nil
}

func tileErr(format string, args ...any) error {
	return &geoError{ErrInvalidTile, fmt.Sprintf(format, args...)}
}

// String returns "z/x/y", the form used in URLs and cache keys.
func (t TileID) String() string {
	return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y)
}

// Valid reports whether z is at most MaxZoom and x, y are inside the zoom's
// grid; ParseTile only returns valid tiles.
func (t TileID) Valid() bool {
	return t.Z <= MaxZoom && t.maptile().Valid()
}

func (t TileID) maptile() maptile.Tile {
	return maptile.New(t.X, t.Y, maptile.Zoom(t.Z))
}

// Bound returns the tile's extent in WGS 84 lon/lat.
func (t TileID) Bound() orb.Bound {
	return t.maptile().Bound()
}

// MercatorBound returns the tile's extent in EPSG:3857 metres, the envelope
// ST_TileEnvelope(z, x, y) computes in PostGIS.
func (t TileID) MercatorBound() orb.Bound {
	size := tileSize(t.Z)
	minx := -MercatorHalf + float64(t.X)*size
	maxy := MercatorHalf - float64(t.Y)*size
	return orb.Bound{
		Min: orb.Point{minx, maxy - size},
		Max: orb.Point{minx + size, maxy},
	}
}

// tileSize is the side of a tile at zoom z in EPSG:3857 metres.
func tileSize(z uint32) float64 {
	return 2 * MercatorHalf / float64(uint64(1)<<z)
}

// PixelSize returns the side of one tile cell in EPSG:3857 metres for an MVT
// extent (usually 4096), the natural tolerance for simplifying and snapping
// geometry for this tile. Ground size is this times cos(latitude)
// (about 0.98 in the province). A non-positive extent returns 0.
func (t TileID) PixelSize(extent int) float64 {
	if extent <= 0 {
		return 0
	}
	return tileSize(t.Z) / float64(extent)
}

// Intersects reports whether the tile's lon/lat bound and b share at least a
// point; touching edges count, so a change on a tile border invalidates both
// neighbours.
func (t TileID) Intersects(b orb.Bound) bool {
	return t.Bound().Intersects(b)
}

// TilesCovering yields, row by row, every tile at zoom z whose lon/lat bound
// intersects b (edges included, as in Intersects). The tile cache uses it to
// drop the tiles a change touched; pad b by the tile buffer first if tiles
// are rendered with one.
//
// It is an iterator because the count grows fourfold per zoom (a province
// bbox is over 10^8 tiles at z22); use CountTilesCovering to decide first
// whether walking is sensible. Latitudes beyond ±85.0511° clamp to the edge
// rows; z above MaxZoom or an empty/invalid b yields nothing.
func TilesCovering(b orb.Bound, z uint32) iter.Seq[TileID] {
	minX, minY, maxX, maxY, ok := tileRange(b, z)
	return func(yield func(TileID) bool) {
		if !ok {
			return
		}
		for y := minY; y <= maxY; y++ {
			for x := minX; x <= maxX; x++ {
				if !yield(TileID{Z: z, X: x, Y: y}) {
					return
				}
			}
		}
	}
}

// CountTilesCovering returns how many tiles TilesCovering(b, z) yields.
func CountTilesCovering(b orb.Bound, z uint32) uint64 {
	minX, minY, maxX, maxY, ok := tileRange(b, z)
	if !ok {
		return 0
	}
	return uint64(maxX-minX+1) * uint64(maxY-minY+1)
}

// tileRange returns the inclusive tile index range of b at zoom z.
func tileRange(b orb.Bound, z uint32) (minX, minY, maxX, maxY uint32, ok bool) {
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if !isFinite(v) {
			return 0, 0, 0, 0, false
		}
	}
	if z > MaxZoom || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return 0, 0, 0, 0, false
	}
	zoom := maptile.Zoom(z)
	n := float64(uint64(1) << z)
	// Fraction gives the continuous tile coordinate; Y grows southward, so
	// the north edge of b gives the smallest row.
	lo := maptile.Fraction(orb.Point{clampLon(b.Min[0]), b.Max[1]}, zoom)
	hi := maptile.Fraction(orb.Point{clampLon(b.Max[0]), b.Min[1]}, zoom)
	// A west/north edge lying exactly on a tile border also touches the
	// tile before it (closed intersection), hence ceil-1 rather than floor.
	return tileIndex(math.Ceil(lo[0])-1, n), tileIndex(math.Ceil(lo[1])-1, n),
		tileIndex(math.Floor(hi[0]), n), tileIndex(math.Floor(hi[1]), n), true
}

func clampLon(lon float64) float64 {
	return math.Max(-180, math.Min(180, lon))
}

// tileIndex clamps a tile coordinate to 0..n-1.
func tileIndex(f, n float64) uint32 {
	return uint32(math.Max(0, math.Min(n-1, f)))
}
