package render

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

// miterLimit is MapLibre's default line-miter-limit: a join longer than this many half widths
// is bevelled.
const miterLimit = 2

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

// stroker turns lines into outline polygons: a quadrilateral per segment (butt ends) and a
// miter or bevel wedge at each join, all wound the same way so the rasterizer's summed coverage
// joins them without seams.
type stroker struct {
	hw   float64   // half the width, pixels
	dash []float64 // dash, gap, ... lengths in pixels; nil for a solid line
	out  *path
	// The clip rectangle, and whether segments must be clipped to it.
	x0, y0, x1, y1 float64
	clip           bool

	// The run being drawn: its last segment's direction, and its first segment's, for closing.
	have     bool
	dx, dy   float64
	first    bool
	fdx, fdy float64
	// The dash pattern's state along the line.
	dashIdx  int
	dashLeft float64
}

// polyline strokes a line of x, y pairs; closed joins its end to its start.
func (s *stroker) polyline(pts []float64, closed bool) {
	s.have, s.first = false, false
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
				s.have, broken = false, true
				s.advanceDash(l)
				continue
			}
			if t0 > 0 {
				s.have, broken = false, true
				s.advanceDash(t0 * l)
			}
		}
		dx, dy := (bx-ax)/l, (by-ay)/l
		if s.dash == nil {
			s.segment(ax+t0*(bx-ax), ay+t0*(by-ay), ax+t1*(bx-ax), ay+t1*(by-ay), dx, dy)
		} else {
			broken = true
			s.dashed(ax+t0*(bx-ax), ay+t0*(by-ay), dx, dy, (t1-t0)*l)
		}
		if t1 < 1 {
			s.have, broken = false, true
			s.advanceDash((1 - t1) * l)
		}
	}
	if closed && !broken && s.have && s.first {
		// The join at the start, between the last segment and the first.
		s.join(pts[0], pts[1], s.dx, s.dy, s.fdx, s.fdy)
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
// even indexes, gaps at odd ones. A dash that goes on past a vertex joins the next segment.
func (s *stroker) dashed(x, y, dx, dy, l float64) {
	pos := 0.0
	for pos < l {
		step := min(s.dashLeft, l-pos)
		if s.dashIdx%2 == 0 && step > 0 {
			s.segment(x+dx*pos, y+dy*pos, x+dx*(pos+step), y+dy*(pos+step), dx, dy)
		}
		pos += step
		s.dashLeft -= step
		if s.dashLeft <= 1e-9 {
			if s.dashIdx%2 == 0 {
				s.have = false // the dash ends here: a butt end, no join
			}
			s.dashIdx = (s.dashIdx + 1) % len(s.dash)
			s.dashLeft = s.dash[s.dashIdx]
		}
	}
}

// segment adds the quadrilateral of a segment of unit direction (dx, dy), and the join with the
// run's previous segment.
func (s *stroker) segment(ax, ay, bx, by, dx, dy float64) {
	if s.have {
		s.join(ax, ay, s.dx, s.dy, dx, dy)
	} else if !s.first {
		s.first, s.fdx, s.fdy = true, dx, dy
	}
	nx, ny := -dy*s.hw, dx*s.hw
	s.out.addPoly(ax+nx, ay+ny, bx+nx, by+ny, bx-nx, by-ny, ax-nx, ay-ny)
	s.have, s.dx, s.dy = true, dx, dy
}

// join fills the wedge on the outer side of the turn at (x, y) from direction 1 to direction 2.
func (s *stroker) join(x, y, d1x, d1y, d2x, d2y float64) {
	cross := d1x*d2y - d1y*d2x
	dot := d1x*d2x + d1y*d2y
	if math.Abs(cross) < 1e-9 && dot > 0 {
		return // straight on
	}
	o := -1.0 // the outer side is opposite to the turn
	if cross < 0 {
		o = 1
	}
	n1x, n1y := -d1y*o, d1x*o
	n2x, n2y := -d2y*o, d2x*o
	ax, ay := x+n1x*s.hw, y+n1y*s.hw
	bx, by := x+n2x*s.hw, y+n2y*s.hw
	mx, my := n1x+n2x, n1y+n2y
	if ml := math.Hypot(mx, my); ml > 1e-9 {
		mx, my = mx/ml, my/ml
		if c := mx*n1x + my*n1y; c > 1/miterLimit {
			// The miter point, hw/c from the vertex along the bisector.
			l := s.hw / c
			s.out.addPoly(x, y, ax, ay, x+mx*l, y+my*l, bx, by)
			return
		}
	}
	s.out.addPoly(x, y, ax, ay, bx, by)
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
			if x < -r-2 || y < -r-2 || x > float64(m.frame.Width)+r+2 || y > float64(m.frame.Height)+r+2 {
				return
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
