package render

import (
	"github.com/paulmach/orb"
)

// PoleOfInaccessibility returns the point inside poly (its first ring the exterior, the rest
// holes) farthest from its outline, found to within precision in poly's own units, and that
// distance: the place where a label inside the polygon has the most room. It is the search the
// map's labels use, offered for documents that place labels themselves (the parcel extract's
// PDF). ok is false for a polygon without an exterior of three points.
func PoleOfInaccessibility(poly orb.Polygon, precision float64) (p orb.Point, dist float64, ok bool) {
	if len(poly) == 0 || len(poly[0]) < 3 || !(precision > 0) {
		return orb.Point{}, 0, false
	}
	rings := make([][]float64, 0, len(poly))
	b := emptyBox()
	for i, r := range poly {
		if len(r) < 3 {
			continue
		}
		flat := make([]float64, 0, 2*len(r))
		for _, q := range r {
			flat = append(flat, q[0], q[1])
			if i == 0 {
				b.add(q[0], q[1])
			}
		}
		rings = append(rings, flat)
	}
	var q plQueue
	x, y := polylabel(&q, rings, b, precision)
	return orb.Point{x, y}, signedDistance(x, y, rings), true
}
