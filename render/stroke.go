package render

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

// miterLimit is MapLibre's default line-miter-limit: a join longer than this many half widths
// is bevelled.
const miterLimit = 2.0

// drawStrokes strokes the lines and polygon outlines of the features that pass filter, all in
// one path, so the outline shared by two parcels is drawn once.
func (m *Map) drawStrokes(s *style.Stroke, filter style.Filter, features []Feature) {
	width := s.Width.At(m.frame.Zoom)
	c := s.ColorAt()
	if width <= 0 || c.A == 0 {
		return
	}
	if width < 1 {
		// A hairline: a pixel wide and as much fainter as it is thinner.
		c = style.WithOpacity(c, width)
		width = 1
	}
	st := m.newStroker(width, s.Dash)
	for i := range features {
		f := &features[i]
		if f.Geometry != nil && filter.Match(f.Properties) {
			m.strokeGeometry(st, f.Geometry)
		}
	}
	m.rasterize(st.out, c)
}

func (m *Map) newStroker(width float64, dash []float64) *stroker {
	m.stroke.reset()
	margin := width + 2
	st := &stroker{
		hw:  width / 2,
		out: &m.stroke,
		x0:  -margin, y0: -margin,
		x1: float64(m.frame.Width) + margin, y1: float64(m.frame.Height) + margin,
	}
	for _, d := range dash {
		st.dash = append(st.dash, d*width)
	}
	var total float64
	for _, d := range st.dash {
		if d < 0 || math.IsNaN(d) {
			st.dash = nil
			break
		}
		total += d
	}
	if total < 0.5 {
		st.dash = nil // a pattern finer than half a pixel draws as a solid line
	}
	return st
}

// strokeGeometry adds the outline pieces of g.
func (m *Map) strokeGeometry(st *stroker, g orb.Geometry) {
	switch g := g.(type) {
	case orb.LineString:
		m.strokeLine(st, g, false)
	case orb.MultiLineString:
		for _, l := range g {
			m.strokeLine(st, l, false)
		}
	case orb.Ring:
		m.strokeLine(st, g, true)
	case orb.Polygon:
		for _, r := range g {
			m.strokeLine(st, r, true)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				m.strokeLine(st, r, true)
			}
		}
	case orb.Bound:
		m.strokeLine(st, g.ToRing(), true)
	case orb.Collection:
		for _, x := range g {
			m.strokeGeometry(st, x)
		}
	}
}

func (m *Map) strokeLine(st *stroker, pts []orb.Point, closed bool) {
	px, b := m.toPixels(m.pts[:0], pts)
	if n := len(px); closed && n >= 4 && (px[0] != px[n-2] || px[1] != px[n-1]) {
		px = append(px, px[0], px[1]) // a ring stored without its closing point
	}
	m.pts = px
	if len(px) < 4 || b.outside(m.frame.Width, m.frame.Height, st.hw+2) {
		return
	}
	st.clip = !b.within(m.frame.Width, m.frame.Height, st.hw+1)
	st.polyline(px, closed)
}

// stroker turns lines into outline polygons. Each unbroken run of a line becomes one polygon:
// its left offset forward and its right offset back, with a miter (or, past the miter limit, a
// bevel) on the outer side of each turn and a pivot through the vertex on the inner side, so the
// polygon winds the same way everywhere and the rasterizer's summed coverage is full over the
// whole stroke. A closed ring becomes two rings, the outer offset and the inner one wound the
// other way. Rings too small for an inner offset are stroked piece by piece instead: a
// quadrilateral per segment and a wedge per join, all wound alike.
type stroker struct {
	hw   float64   // half the width, pixels
	dash []float64 // dash, gap, ... lengths in pixels; nil for a solid line
	out  *path
	// The clip rectangle, and whether segments must be clipped to it.
	x0, y0, x1, y1 float64
	clip           bool

	// The run being drawn, x, y pairs of the centre line; have says it has a segment.
	run  []float64
	have bool
	ring []float64
	// The outline being built.
	left, right []float64
	// The dash pattern's state along the line.
	dashIdx  int
	dashLeft float64
}

// polyline strokes a line of x, y pairs; closed joins its end to its start.
func (s *stroker) polyline(pts []float64, closed bool) {
	s.run, s.have = s.run[:0], false
	if closed && !s.clip && s.dash == nil {
		s.closedRing(pts)
		return
	}
	if s.dash != nil {
		s.dashIdx, s.dashLeft = 0, s.dash[0]
	}
	n := len(pts) / 2
	broken := false // the run was interrupted (clipped, or a gap of the dash pattern)
	for i := 0; i+1 < n; i++ {
		ax, ay, bx, by := pts[2*i], pts[2*i+1], pts[2*i+2], pts[2*i+3]
		l := math.Hypot(bx-ax, by-ay)
		if l < 1e-9 {
			continue
		}
		t0, t1 := 0.0, 1.0
		if s.clip {
			var ok bool
			t0, t1, ok = clipSegment(ax, ay, bx, by, s.x0, s.y0, s.x1, s.y1)
			if !ok {
				s.endRun()
				broken = true
				s.advanceDash(l)
				continue
			}
			if t0 > 0 {
				s.endRun()
				broken = true
				s.advanceDash(t0 * l)
			}
		}
		if s.dash == nil {
			s.segment(ax+t0*(bx-ax), ay+t0*(by-ay), ax+t1*(bx-ax), ay+t1*(by-ay))
		} else {
			broken = true
			s.dashed(ax+t0*(bx-ax), ay+t0*(by-ay), (bx-ax)/l, (by-ay)/l, (t1-t0)*l)
		}
		if t1 < 1 {
			s.endRun()
			broken = true
			s.advanceDash((1 - t1) * l)
		}
	}
	if closed && !broken && s.have {
		// Nothing was cut: the whole ring after all.
		s.ring = append(s.ring[:0], s.run...)
		s.run, s.have = s.run[:0], false
		s.closedRing(s.ring)
		return
	}
	s.endRun()
}

// segment adds a segment to the run; a segment that does not start where the run ends starts a
// new run.
func (s *stroker) segment(ax, ay, bx, by float64) {
	if n := len(s.run); !s.have || s.run[n-2] != ax || s.run[n-1] != ay {
		s.endRun()
		s.run = append(s.run, ax, ay)
	}
	s.run = append(s.run, bx, by)
	s.have = true
}

// endRun emits the outline of the run so far, with butt ends.
func (s *stroker) endRun() {
	if s.have {
		s.openOutline(s.run)
	}
	s.run, s.have = s.run[:0], false
}

// dedupe drops repeated points, in place.
func dedupe(pts []float64) []float64 {
	out := pts[:0]
	for i := 0; i+1 < len(pts); i += 2 {
		if n := len(out); n >= 2 && math.Abs(out[n-2]-pts[i]) < 1e-9 && math.Abs(out[n-1]-pts[i+1]) < 1e-9 {
			continue
		}
		out = append(out, pts[i], pts[i+1])
	}
	return out
}

// dir is the unit direction from point i to point j of pts, and their distance.
func dir(pts []float64, i, j int) (dx, dy, l float64) {
	dx, dy = pts[2*j]-pts[2*i], pts[2*j+1]-pts[2*i+1]
	l = math.Hypot(dx, dy)
	return dx / l, dy / l, l
}

// openOutline emits the outline of an open line: one polygon.
func (s *stroker) openOutline(run []float64) {
	run = dedupe(run)
	n := len(run) / 2
	if n < 2 {
		return
	}
	hw := s.hw
	s.left, s.right = s.left[:0], s.right[:0]
	dx, dy, l := dir(run, 0, 1)
	s.left = append(s.left, run[0]-dy*hw, run[1]+dx*hw)
	s.right = append(s.right, run[0]+dy*hw, run[1]-dx*hw)
	for k := 1; k < n-1; k++ {
		ex, ey, el := dir(run, k, k+1)
		s.joinAt(run[2*k], run[2*k+1], dx, dy, ex, ey, min(l, el))
		dx, dy, l = ex, ey, el
	}
	x, y := run[2*n-2], run[2*n-1]
	s.left = append(s.left, x-dy*hw, y+dx*hw)
	s.right = append(s.right, x+dy*hw, y-dx*hw)
	for i := len(s.right) - 2; i >= 0; i -= 2 {
		s.left = append(s.left, s.right[i], s.right[i+1])
	}
	s.out.addPoly(s.left...)
}

// closedRing strokes a closed ring (its last point repeating the first).
func (s *stroker) closedRing(pts []float64) {
	ring := dedupe(pts)
	if n := len(ring); n >= 4 && ring[0] == ring[n-2] && ring[1] == ring[n-1] {
		ring = ring[:n-2]
	}
	m := len(ring) / 2
	if m < 2 {
		return
	}
	b := emptyBox()
	for i := 0; i < len(ring); i += 2 {
		b.add(ring[i], ring[i+1])
	}
	if m < 3 || min(b.maxX-b.minX, b.maxY-b.minY) < 4*s.hw {
		// Too small for an inner offset: piece by piece.
		s.pieces(append(ring, ring[0], ring[1]))
		return
	}
	s.left, s.right = s.left[:0], s.right[:0]
	dx, dy, l := dir(ring, m-1, 0)
	for k := range m {
		ex, ey, el := dir(ring, k, (k+1)%m)
		s.joinAt(ring[2*k], ring[2*k+1], dx, dy, ex, ey, min(l, el))
		dx, dy, l = ex, ey, el
	}
	// The outer offset counter-clockwise, the inner one clockwise: coverage 1 between them.
	aL, aR := signedArea(s.left), signedArea(s.right)
	if math.Abs(aL) < math.Abs(aR) {
		s.left, s.right, aL, aR = s.right, s.left, aR, aL
	}
	s.out.addRing(s.left, aL < 0)
	s.out.addRing(s.right, aR > 0)
}

// joinAt adds the outline points around vertex (x, y), where the line turns from direction a
// to direction b, the shorter of the two segments being short long. On the outer side: the miter
// point where the two offsets meet, or past the miter limit both offsets' ends (a bevel). On the
// inner side: where the two offsets cross, or, when that lies beyond the shorter segment (a
// sharp turn on short segments), a pivot through the vertex. One point a side on most turns.
func (s *stroker) joinAt(x, y, ax, ay, bx, by, short float64) {
	hw := s.hw
	n1x, n1y := -ay*hw, ax*hw
	n2x, n2y := -by*hw, bx*hw
	cross := ax*by - ay*bx
	if math.Abs(cross) < 1e-9 && ax*bx+ay*by > 0 {
		s.left = append(s.left, x+n1x, y+n1y)
		s.right = append(s.right, x-n1x, y-n1y)
		return
	}
	// The outer side is opposite to the turn: the left (+n) when turning right (cross < 0).
	o := 1.0
	if cross > 0 {
		o = -1
	}
	outer, inner := &s.left, &s.right
	if o < 0 {
		outer, inner = inner, outer
	}
	// The bisector on the outer side, and the cosine of half the angle between the offsets:
	// the offsets meet hw/c from the vertex along it.
	var mx, my, c float64
	if ml := math.Hypot(n1x+n2x, n1y+n2y); ml > 1e-9 {
		mx, my = o*(n1x+n2x)/ml, o*(n1y+n2y)/ml
		c = (mx*n1x + my*n1y) * o / hw
	}
	if c > 1/miterLimit {
		*outer = append(*outer, x+mx*hw/c, y+my*hw/c)
	} else {
		*outer = append(*outer, x+o*n1x, y+o*n1y, x+o*n2x, y+o*n2y)
	}
	// The inner crossing is as far along each segment as hw·tan of half the turn.
	if c > 1e-3 && hw*math.Sqrt(1-c*c)/c <= short {
		*inner = append(*inner, x-mx*hw/c, y-my*hw/c)
	} else {
		*inner = append(*inner, x-o*n1x, y-o*n1y, x, y, x-o*n2x, y-o*n2y)
	}
}

// pieces strokes a line (closed when its last point is its first) as separate pieces: a
// quadrilateral per segment, a wedge per join.
func (s *stroker) pieces(pts []float64) {
	n := len(pts) / 2
	closed := n > 2 && pts[0] == pts[2*n-2] && pts[1] == pts[2*n-1]
	var pdx, pdy, fdx, fdy float64
	have := false
	for i := 0; i+1 < n; i++ {
		ax, ay, bx, by := pts[2*i], pts[2*i+1], pts[2*i+2], pts[2*i+3]
		l := math.Hypot(bx-ax, by-ay)
		if l < 1e-9 {
			continue
		}
		dx, dy := (bx-ax)/l, (by-ay)/l
		if have {
			s.wedge(ax, ay, pdx, pdy, dx, dy)
		} else {
			fdx, fdy = dx, dy
		}
		nx, ny := -dy*s.hw, dx*s.hw
		s.out.addPoly(ax+nx, ay+ny, bx+nx, by+ny, bx-nx, by-ny, ax-nx, ay-ny)
		pdx, pdy, have = dx, dy, true
	}
	if closed && have {
		s.wedge(pts[0], pts[1], pdx, pdy, fdx, fdy)
	}
}

// wedge fills the outer side of the turn at (x, y) from direction 1 to direction 2: the two
// offsets' ends and, within the miter limit, the miter point between them.
func (s *stroker) wedge(x, y, d1x, d1y, d2x, d2y float64) {
	s.left, s.right = s.left[:0], s.right[:0]
	s.joinAt(x, y, d1x, d1y, d2x, d2y, 0)
	outer := s.left
	o := 1.0
	if d1x*d2y-d1y*d2x > 0 {
		outer, o = s.right, -1
	}
	switch len(outer) {
	case 2: // a miter point (or straight on, where there is nothing to fill)
		if math.Abs(d1x*d2y-d1y*d2x) < 1e-9 {
			return
		}
		s.out.addPoly(x-d1y*s.hw*o, y+d1x*s.hw*o, outer[0], outer[1], x-d2y*s.hw*o, y+d2x*s.hw*o, x, y)
	case 4: // a bevel
		s.out.addPoly(outer[0], outer[1], outer[2], outer[3], x, y)
	}
}

// advanceDash moves the dash pattern along a length that is not drawn (clipped away).
func (s *stroker) advanceDash(l float64) {
	if s.dash == nil {
		return
	}
	for l > 0 {
		if l < s.dashLeft {
			s.dashLeft -= l
			return
		}
		l -= s.dashLeft
		s.dashIdx = (s.dashIdx + 1) % len(s.dash)
		s.dashLeft = s.dash[s.dashIdx]
	}
}

// dashed draws length l from (x, y) in direction (dx, dy) through the dash pattern: dashes at
// even indexes, gaps at odd ones. A dash that goes on past a vertex continues the run.
func (s *stroker) dashed(x, y, dx, dy, l float64) {
	pos := 0.0
	for pos < l {
		step := min(s.dashLeft, l-pos)
		if s.dashIdx%2 == 0 && step > 0 {
			s.segment(x+dx*pos, y+dy*pos, x+dx*(pos+step), y+dy*(pos+step))
		}
		pos += step
		s.dashLeft -= step
		if s.dashLeft <= 1e-9 {
			if s.dashIdx%2 == 0 {
				s.endRun() // the dash ends here: a butt end
			}
			s.dashIdx = (s.dashIdx + 1) % len(s.dash)
			s.dashLeft = s.dash[s.dashIdx]
		}
	}
}

// clipSegment clips segment a-b to a rectangle (Liang–Barsky): the part from t0 to t1 is
// inside; ok is false when none is.
func clipSegment(ax, ay, bx, by, x0, y0, x1, y1 float64) (t0, t1 float64, ok bool) {
	t0, t1 = 0, 1
	dx, dy := bx-ax, by-ay
	for _, pq := range [4][2]float64{{-dx, ax - x0}, {dx, x1 - ax}, {-dy, ay - y0}, {dy, y1 - ay}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return 0, 0, false
			}
			t0 = max(t0, r)
		} else {
			if r < t0 {
				return 0, 0, false
			}
			t1 = min(t1, r)
		}
	}
	return t0, t1, true
}

// drawMarkers draws the points of the features that pass filter as circles.
func (m *Map) drawMarkers(mk *style.Marker, filter style.Filter, features []Feature) {
	r := mk.Radius.At(m.frame.Zoom)
	if r <= 0 {
		return
	}
	fill := &m.fill
	fill.reset()
	var st *stroker
	if mk.StrokeWidth > 0 && mk.Stroke.A > 0 {
		st = m.newStroker(mk.StrokeWidth, nil)
	}
	// Enough sides that no side strays from the circle by a tenth of a pixel.
	sides := int(math.Ceil(math.Pi / math.Acos(max(0, 1-0.1/r))))
	sides = min(max(sides, 8), 128)
	circle := make([]float64, 0, 2*sides+2)
	var visit func(g orb.Geometry)
	visit = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			x := (g[0] - m.frame.BBox.Min[0]) * m.sx
			y := (m.frame.BBox.Max[1] - g[1]) * m.sy
			if !(x >= -r-2 && y >= -r-2 && x <= float64(m.frame.Width)+r+2 && y <= float64(m.frame.Height)+r+2) {
				return // outside, or not a number
			}
			circle = circle[:0]
			for i := range sides {
				a := 2 * math.Pi * float64(i) / float64(sides)
				circle = append(circle, x+r*math.Cos(a), y+r*math.Sin(a))
			}
			fill.addPoly(circle...)
			if st != nil {
				circle = append(circle, circle[0], circle[1])
				st.clip = false
				st.polyline(circle, true)
			}
		case orb.MultiPoint:
			for _, p := range g {
				visit(p)
			}
		case orb.Collection:
			for _, x := range g {
				visit(x)
			}
		}
	}
	for i := range features {
		f := &features[i]
		if f.Geometry != nil && filter.Match(f.Properties) {
			visit(f.Geometry)
		}
	}
	m.rasterize(fill, mk.Fill)
	if st != nil {
		m.rasterize(st.out, mk.Stroke)
	}
}
