package geo

import (
	"math"

	"github.com/twpayne/go-geom"
)

// maxProvenEdges bounds the pairwise edge test of ProvablySimple (O(n²)); a longer ring is left
// to PostGIS, which sweeps.
const maxProvenEdges = 64

// ProvablySimple reports whether g is certainly a valid OGC polygon: a Polygon, or a
// MultiPolygon of one Polygon, with a single ring of finite, distinct consecutive positions,
// at least three of them not on one line, whose edges meet only where consecutive edges share
// a vertex. Every orientation it relies on is decided by a margin far above floating-point
// error, so where it says true, GEOS (ST_IsValid), deciding exactly, says valid too.
//
// False means "not proven", not "invalid": holes, several parts, long rings, positions nearly
// on one line and real self-intersections are all left to PostGIS. The importer asks PostGIS
// only about those, which for cadastral parcels is almost none.
func ProvablySimple(g geom.T) bool {
	var p *geom.Polygon
	switch t := g.(type) {
	case *geom.Polygon:
		p = t
	case *geom.MultiPolygon:
		if t.NumPolygons() != 1 {
			return false
		}
		p = t.Polygon(0)
	default:
		return false
	}
	if p.NumLinearRings() != 1 {
		return false
	}
	flat, stride := p.FlatCoords(), p.Stride()
	n := len(flat)/stride - 1 // edges; the last position repeats the first
	if n < 3 || n > maxProvenEdges {
		return false
	}
	pt := func(i int) (float64, float64) { return flat[i*stride], flat[i*stride+1] }
	if x0, y0 := pt(0); x0 != flat[n*stride] || y0 != flat[n*stride+1] {
		return false
	}
	for i := 0; i <= n; i++ {
		x, y := pt(i)
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return false
		}
		if i < n {
			if nx, ny := pt(i + 1); nx == x && ny == y {
				return false
			}
		}
	}
	for i := range n {
		ax, ay := pt(i)
		bx, by := pt(i + 1)
		// Consecutive edges share a vertex: a clear turn there means they neither fold back
		// over each other nor all lie on one line. (A vertex on a straight line is left to
		// PostGIS.)
		cx, cy := pt((i + 2) % n)
		if orient(ax, ay, bx, by, cx, cy) == 0 {
			return false
		}
		// Edges that are not consecutive must not meet at all.
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // the closing edge shares the first vertex
			}
			dx, dy := pt(j)
			ex, ey := pt(j + 1)
			if math.Max(ax, bx) < math.Min(dx, ex) || math.Max(dx, ex) < math.Min(ax, bx) ||
				math.Max(ay, by) < math.Min(dy, ey) || math.Max(dy, ey) < math.Min(ay, by) {
				continue
			}
			o1, o2 := orient(ax, ay, bx, by, dx, dy), orient(ax, ay, bx, by, ex, ey)
			o3, o4 := orient(dx, dy, ex, ey, ax, ay), orient(dx, dy, ex, ey, bx, by)
			if o1 == 0 || o2 == 0 || o3 == 0 || o4 == 0 || (o1 != o2 && o3 != o4) {
				return false // touching, crossing or too close to call
			}
		}
	}
	return true
}

// orient is the turn a→b→c: 1 left, -1 right, 0 when the determinant is within a margin of
// its rounding error (Shewchuk's bound for this filter is 3.3e-16 times l+r; the margin is
// 1e-10 times, so a decided sign is the exact one).
func orient(ax, ay, bx, by, cx, cy float64) int {
	l := (bx - ax) * (cy - ay)
	r := (by - ay) * (cx - ax)
	det := l - r
	bound := 1e-10 * (math.Abs(l) + math.Abs(r))
	switch {
	case det > bound:
		return 1
	case det < -bound:
		return -1
	}
	return 0
}
