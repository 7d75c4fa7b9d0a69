package tiles

import (
	"math"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

// Tile geometry constants, the same for every layer and zoom.
const (
	// Extent is the size of the tile grid in MVT units.
	Extent = 4096
	// Buffer is how far, in MVT units, geometry is kept beyond the tile edge: the query envelope
	// is widened by Buffer/Extent of a tile and ST_AsMVTGeom clips at the same distance, so a
	// line or polygon edge near the border is drawn continuously across neighbouring tiles.
	Buffer = 64
	// margin is Buffer as a fraction of the tile side.
	margin = float64(Buffer) / Extent
	// simplifyMaxZoom is the deepest zoom at which polygons and lines are simplified to the
	// tile's pixel size before ST_AsMVTGeom, and features smaller than a pixel are skipped. From
	// z13 a pixel is 1.2 m or less: cadastral geometry has no vertices that close worth
	// removing, ST_AsMVTGeom's snapping to the grid already drops repeated points, and on the
	// million-parcel benchmark simplifying at z13–z15 gave the same bytes for more time.
	simplifyMaxZoom = 12
)

// InZoom reports whether the catalog's zoom policy shows layer l at zoom z.
func InZoom(l *store.Layer, z uint32) bool {
	return int(z) >= l.MinZoom && int(z) <= l.MaxZoom
}

// generalize sets the generalization and projection of q for its zoom: at low zoom lines and
// polygons are simplified to a pixel and features smaller than a pixel in both directions are
// left out; where the affine map fits Web Mercator to within maxFitError, store projects with it.
func generalize(q *store.TileQuery) {
	t := q.Tile
	if t.Z <= simplifyMaxZoom {
		// The tile's latitude span is taken as a whole, exact enough for "smaller than a pixel".
		q.Simplify = t.PixelSize(Extent)
		b := t.Bound()
		q.MinSize = store.MinSize{Lon: (b.Max[0] - b.Min[0]) / Extent, Lat: (b.Max[1] - b.Min[1]) / Extent}
	}
	if f := fitMercator(t); f.ok {
		q.Affine = &store.Affine{XScale: f.ax, YScale: f.ay, YOffset: f.by}
	}
}

// endOfDay is the instant a past day is read at: its end in Vietnam, after every change made
// that day. date is from vntime.Date.
func endOfDay(date string) *time.Time {
	d, err := vntime.ParseDate(date)
	if err != nil {
		return nil
	}
	end := d.AddDate(0, 0, 1)
	return &end
}

// The affine projection.
//
// ST_Transform goes through PROJ for every feature. Over one tile and its buffer the projection
// is, to well under a tile unit, an affine map: x is exactly proportional to longitude, and y is
// close to a straight line in latitude (the secant through the envelope's edges). When that line
// strays from the true y by at most maxFitError tile units — at the province's latitude, from
// z13 — store projects the features lying inside the envelope with ST_Affine, plain arithmetic,
// and the rest (whose far vertices the line would misplace) with ST_Transform. On a z13 tile of
// 3,300 parcels, projecting them costs 1.8 ms of CPU instead of 5.8 ms, about a tenth of the
// statement; TestAffineProjectionMatchesPROJ checks that the tiles match PROJ's to a unit.

// affine maps lon/lat to EPSG:3857 as x = ax·lon, y = ay·lat + by.
type affine struct {
	ax, ay, by float64
	ok         bool // the map is within maxFitError over the tile and its buffer
}

// maxFitError is the largest error, in tile units (1/Extent of the tile side), allowed for the
// affine projection. ST_AsMVTGeom rounds every vertex to a unit, moving it by up to half a unit;
// an eighth of a unit more is invisible. A variable so that tests can compare with PROJ.
var maxFitError = 0.125

// fitMercator computes the secant of the Web Mercator y over the tile's buffered latitude range
// and how far it strays from the true y.
func fitMercator(t geo.TileID) affine {
	mb := t.MercatorBound()
	size := mb.Max[0] - mb.Min[0]
	half := geo.MercatorHalf
	yS := math.Max(mb.Min[1]-size*margin, -half)
	yN := math.Min(mb.Max[1]+size*margin, half)
	latS, latN := geo.MercatorLat(yS), geo.MercatorLat(yN)
	f := affine{ax: half / 180}
	if latN <= latS {
		return f
	}
	f.ay = (yN - yS) / (latN - latS)
	f.by = yS - f.ay*latS
	var worst float64
	const samples = 64
	for i := 1; i < samples; i++ {
		lat := latS + (latN-latS)*float64(i)/samples
		worst = math.Max(worst, math.Abs(geo.MercatorY(lat)-(f.ay*lat+f.by)))
	}
	f.ok = worst <= maxFitError*size/Extent
	return f
}

// bufferDegrees is the tile buffer at zoom z in degrees of longitude. A degree of latitude is
// never shorter on the Web Mercator grid than a degree of longitude, so it bounds the buffer in
// latitude too.
func bufferDegrees(z uint32) float64 {
	return 360 / float64(uint64(1)<<z) * margin
}
