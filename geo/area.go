package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// PlanarArea returns the area in m² of a polygonal geometry given in WGS 84
// lon/lat, measured the way the official parcel area (diện tích) is: planar,
// in the province's VN-2000 TM-3 zone (ProvinceZone), using this package's
// own transformation. It lets tests and tools sanity-check areas without a
// database.
//
// Polygon, MultiPolygon, Ring, Bound and Collection are measured; holes are
// subtracted and ring orientation does not matter. Points and lines have
// area 0. NaN means a vertex could not be projected (not finite, or more
// than 60° of longitude from the zone); PlanarAreaIn reports why.
func PlanarArea(g orb.Geometry) float64 {
	a, err := PlanarAreaIn(g, ProvinceZone)
	if err != nil {
		return math.NaN()
	}
	return a
}

// PlanarAreaIn is PlanarArea in the TM-3 zone srid (e.g. 5899 for data
// from the former Đồng Nai). Errors wrap ErrUnknownCRS or ErrOutOfRange.
func PlanarAreaIn(g orb.Geometry, srid int) (float64, error) {
	if !isTM3(srid) {
		return 0, errNotTM3(srid)
	}
	switch g := g.(type) {
	case nil:
		return 0, nil
	case orb.Ring:
		return ringArea(g, srid)
	case orb.Polygon:
		return polygonArea(g, srid)
	case orb.MultiPolygon:
		total := 0.0
		for _, p := range g {
			a, err := polygonArea(p, srid)
			if err != nil {
				return 0, err
			}
			total += a
		}
		return total, nil
	case orb.Bound:
		return ringArea(g.ToRing(), srid)
	case orb.Collection:
		total := 0.0
		for _, m := range g {
			a, err := PlanarAreaIn(m, srid)
			if err != nil {
				return 0, err
			}
			total += a
		}
		return total, nil
	}
	return 0, nil
}

// polygonArea is the outer ring's area minus its holes'.
func polygonArea(p orb.Polygon, srid int) (float64, error) {
	total := 0.0
	for i, r := range p {
		a, err := ringArea(r, srid)
		if err != nil {
			return 0, err
		}
		if i == 0 {
			total += a
		} else {
			total -= a
		}
	}
	return total, nil
}

// ringArea is the shoelace area of the projected ring, unsigned. Coordinates
// are taken relative to the first vertex: eastings and northings are around
// 10^6 m, and their raw cross products would lose about 1e-4 m² to
// rounding.
func ringArea(r orb.Ring, srid int) (float64, error) {
	if len(r) < 3 {
		return 0, nil
	}
	pts := make([]orb.Point, len(r))
	for i, p := range r {
		x, y, err := ToVN2000TM3(p[0], p[1], srid)
		if err != nil {
			return 0, prefix(err, fmt.Sprintf("area: vertex %d", i))
		}
		pts[i] = orb.Point{x, y}
	}
	o := pts[0]
	sum := 0.0
	for i := 1; i+1 < len(pts); i++ {
		ax, ay := pts[i][0]-o[0], pts[i][1]-o[1]
		bx, by := pts[i+1][0]-o[0], pts[i+1][1]-o[1]
		sum += ax*by - bx*ay
	}
	// An unclosed ring is closed implicitly: the last edge back to the first
	// vertex contributes zero relative to the origin.
	return math.Abs(sum) / 2, nil
}

// RoundArea rounds an area in m² to 0.1 m², the precision of the official
// parcel area.
func RoundArea(a float64) float64 {
	return math.Round(a*10) / 10
}
