package extract

import (
	"math"

	"github.com/paulmach/orb"
)

// Vertex is one numbered corner of the parcel in the coordinate table.
type Vertex struct {
	No int // 1, 2, … over every ring of the parcel
	// X is the northing and Y the easting in metres, named as Vietnamese documents name them.
	X, Y float64
	// Next is the number of the corner the edge from this one runs to (the first corner of
	// the ring after its last one), and Edge that edge's length in metres.
	Next int
	Edge float64
	// Ring counts the parcel's rings: 0 is the first polygon's exterior; holes and further
	// polygons follow in order.
	Ring int
	// Hole is set for the corners of a hole (an enclave of another parcel).
	Hole bool
}

// Vertices numbers the corners of mp (x easting, y northing): each exterior ring clockwise and
// each hole counter-clockwise — the parcel always on the right of the walk — from the ring's
// north-west corner (the corner nearest the top-left of the ring's bounding box). A ring's
// closing point is not repeated, nor consecutive duplicate points.
func Vertices(mp orb.MultiPolygon) []Vertex {
	var out []Vertex
	ring := 0
	for _, poly := range mp {
		for i, r := range poly {
			pts := openRing(r)
			if len(pts) < 3 {
				continue
			}
			hole := i > 0
			// Clockwise seen with north up has a negative signed area in (easting, northing).
			if cw := signedArea(pts) < 0; cw == hole {
				for a, b := 0, len(pts)-1; a < b; a, b = a+1, b-1 {
					pts[a], pts[b] = pts[b], pts[a]
				}
			}
			start := northWest(pts)
			first := len(out) + 1
			for k := range pts {
				p := pts[(start+k)%len(pts)]
				q := pts[(start+k+1)%len(pts)]
				next := first + k + 1
				if k == len(pts)-1 {
					next = first
				}
				out = append(out, Vertex{No: first + k, X: p[1], Y: p[0], Next: next,
					Edge: math.Hypot(q[0]-p[0], q[1]-p[1]), Ring: ring, Hole: hole})
			}
			ring++
		}
	}
	return out
}

// openRing copies r without its closing point and without repeated consecutive points.
func openRing(r orb.Ring) []orb.Point {
	pts := make([]orb.Point, 0, len(r))
	for _, p := range r {
		if len(pts) == 0 || p != pts[len(pts)-1] {
			pts = append(pts, p)
		}
	}
	for len(pts) > 1 && pts[len(pts)-1] == pts[0] {
		pts = pts[:len(pts)-1]
	}
	return pts
}

// signedArea is the shoelace area of an open ring, positive counter-clockwise.
func signedArea(pts []orb.Point) float64 {
	var a float64
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}

// northWest is the index of the point nearest the top-left corner of the points' bounds.
func northWest(pts []orb.Point) int {
	b := orb.MultiPoint(pts).Bound()
	best, bestD := 0, math.Inf(1)
	for i, p := range pts {
		if d := math.Hypot(p[0]-b.Min[0], p[1]-b.Max[1]); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// AreaOf is the planar area in m² enclosed by the numbered corners: exteriors minus holes, by
// the shoelace formula — what anyone recomputes from the coordinate table, and, on unrounded
// coordinates, what PostGIS's ST_Area gives for the same geometry.
func AreaOf(vs []Vertex) float64 {
	var total float64
	for i := 0; i < len(vs); {
		j := i
		var a float64
		for j < len(vs) && vs[j].Ring == vs[i].Ring {
			n := vs[j].Next - 1 // corner numbers are their index in vs plus one
			a += vs[j].Y*vs[n].X - vs[n].Y*vs[j].X
			j++
		}
		total += math.Abs(a) / 2 * sign(!vs[i].Hole)
		i = j
	}
	return total
}

func sign(positive bool) float64 {
	if positive {
		return 1
	}
	return -1
}

// Perimeter is the sum of the exterior edges in metres.
func Perimeter(vs []Vertex) float64 {
	var s float64
	for _, v := range vs {
		if !v.Hole {
			s += v.Edge
		}
	}
	return s
}

// Scales is the series of scales an extract is drawn at, largest first: those of the cadastral
// map sheets (TT 25/2014/TT-BTNMT) from 1:200 to 1:10000. A parcel too large even for 1:10000 is
// drawn at the next 1-2-5 step that fits (1:20000, 1:50000, …).
var Scales = []int{200, 500, 1000, 2000, 5000, 10000}

// ChooseScale returns the denominator of the largest scale at which an extent of w × h metres
// fits a frame of frameW × frameH millimetres.
func ChooseScale(w, h, frameW, frameH float64) int {
	fits := func(n int) bool { return w*1000/float64(n) <= frameW && h*1000/float64(n) <= frameH }
	for _, n := range Scales {
		if fits(n) {
			return n
		}
	}
	for n := Scales[len(Scales)-1]; ; {
		for _, m := range []int{2, 5, 10} {
			if fits(n * m) {
				return n * m
			}
		}
		n *= 10
		if n > 1e9 {
			return n
		}
	}
}

// scaleBarLength picks the scale bar's length in metres: the longest 1-2-5 step that is at
// most 50 mm on paper at scale 1:n.
func scaleBarLength(n int) float64 {
	maxM := 50 * float64(n) / 1000
	best := 1.0
	for d := 1.0; d <= maxM; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if d*m <= maxM {
				best = d * m
			}
		}
	}
	return best
}
