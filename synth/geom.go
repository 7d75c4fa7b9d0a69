package synth

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The local frame. All geometry is computed in metres in a local equal-area
// approximation centred on the province (x = Δlon·111320·cos 11.8°,
// y = Δlat·110574) and converted to lon/lat only on output. Areas reported by
// this package use the same approximation (see Area).
const (
	refLat     = 11.8
	refLon     = 106.9
	mPerDegLat = 110574.0
)

var mPerDegLon = 111320.0 * math.Cos(refLat*math.Pi/180)

type xy struct{ x, y float64 }

func toXY(lon, lat float64) xy { return xy{(lon - refLon) * mPerDegLon, (lat - refLat) * mPerDegLat} }

func toLL(p xy) orb.Point { return orb.Point{refLon + p.x/mPerDegLon, refLat + p.y/mPerDegLat} }

// Area returns the area of g in m² using the local equal-area approximation
// x = lon·111320·cos(11.8°), y = lat·110574 that the package uses for every
// area it reports (parcel areas, land-use areas, unit areas). Holes are
// subtracted. It is accurate to a few parts in a thousand inside Bình Phước;
// official areas are computed in the VN-2000 TM-3 zone instead.
func Area(g orb.MultiPolygon) float64 {
	var a float64
	for _, p := range g {
		for i, r := range p {
			ra := math.Abs(ringAreaLL(r))
			if i == 0 {
				a += ra
			} else {
				a -= ra
			}
		}
	}
	return a
}

// ringAreaLL is the signed area (m², CCW positive) of a lon/lat ring.
func ringAreaLL(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	var s float64
	for i := 1; i+1 < len(r); i++ {
		ax, ay := (r[i][0]-x0)*mPerDegLon, (r[i][1]-y0)*mPerDegLat
		bx, by := (r[i+1][0]-x0)*mPerDegLon, (r[i+1][1]-y0)*mPerDegLat
		s += ax*by - bx*ay
	}
	return s / 2
}

// signed area of an open ring of points (CCW positive).
func ringArea(r []xy) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0].x, r[0].y
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i].x-x0)*(r[i+1].y-y0) - (r[i+1].x-x0)*(r[i].y-y0)
	}
	return s / 2
}

func vtxArea(r []vtx) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0].x, r[0].y
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i].x-x0)*(r[i+1].y-y0) - (r[i+1].x-x0)*(r[i].y-y0)
	}
	return s / 2
}

// vtxCentroid returns the area centroid of an open ring.
func vtxCentroid(r []vtx) xy {
	x0, y0 := r[0].x, r[0].y
	var a, cx, cy float64
	for i := 1; i+1 < len(r); i++ {
		ax, ay := r[i].x-x0, r[i].y-y0
		bx, by := r[i+1].x-x0, r[i+1].y-y0
		c := ax*by - bx*ay
		a += c
		cx += (ax + bx) * c
		cy += (ay + by) * c
	}
	if a == 0 {
		return xy{x0, y0}
	}
	return xy{x0 + cx/(3*a), y0 + cy/(3*a)}
}

// pointInRings reports whether p is inside the region bounded by the open
// rings (even-odd rule).
func pointInRings(p xy, pts []xy, ends []int32) bool {
	in := false
	start := 0
	for _, e := range ends {
		r := pts[start:e]
		start = int(e)
		j := len(r) - 1
		for i := range r {
			a, b := r[i], r[j]
			if (a.y > p.y) != (b.y > p.y) && p.x < (b.x-a.x)*(p.y-a.y)/(b.y-a.y)+a.x {
				in = !in
			}
			j = i
		}
	}
	return in
}

func pointInVtxRing(p xy, r []vtx) bool {
	in := false
	j := len(r) - 1
	for i := range r {
		a, b := r[i], r[j]
		if (a.y > p.y) != (b.y > p.y) && p.x < (b.x-a.x)*(p.y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
		j = i
	}
	return in
}

// segDist2 is the squared distance from p to segment ab.
func segDist2(p, a, b xy) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p.x-a.x)*dx + (p.y-a.y)*dy) / l2
		t = max(0, min(1, t))
	}
	ex, ey := a.x+t*dx-p.x, a.y+t*dy-p.y
	return ex*ex + ey*ey
}

// boundaryDist2 is the squared distance from p to the nearest ring edge.
func boundaryDist2(p xy, pts []xy, next []int32) float64 {
	d := math.Inf(1)
	for i := range pts {
		d = min(d, segDist2(p, pts[i], pts[next[i]]))
	}
	return d
}

// segmentsCross reports whether segments ab and cd properly intersect.
func segmentsCross(a, b, c, d xy) bool {
	o1 := orient(a, b, c)
	o2 := orient(a, b, d)
	o3 := orient(c, d, a)
	o4 := orient(c, d, b)
	return ((o1 > 0) != (o2 > 0)) && ((o3 > 0) != (o4 > 0)) && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0
}

func orient(a, b, c xy) float64 { return (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x) }

// vtx is a vertex of a polygon under construction. Each vertex remembers
// where it came from so that two cells sharing an edge compute their common
// vertices with the very same floating-point operations, bit for bit:
//
//   - orig >= 0: an unchanged vertex of the subject polygon (index into it);
//   - lab: the supporting line of the edge leaving this vertex: lab >= 0 is
//     subject edge lab (from subject vertex lab to its successor), lab < 0 is
//     the perpendicular bisector between the cell's site and site -lab-1.
//
// A new vertex is always the intersection of two supporting lines and is
// computed from the (sorted) pair of lines, never from the current,
// order-dependent polygon: an edge/bisector crossing is computed from the
// subject edge's original endpoints and the sorted site pair, and a
// bisector/bisector crossing is the circumcentre of the sorted site triple.
type vtx struct {
	x, y float64
	orig int32
	lab  int32
}

// poly is a set of simple CCW rings stored flat.
type poly struct {
	v   []vtx
	end []int32
}

func (p *poly) reset() { p.v, p.end = p.v[:0], p.end[:0] }

func (p *poly) copyFrom(q *poly) {
	p.v = append(p.v[:0], q.v...)
	p.end = append(p.end[:0], q.end...)
}

func (p *poly) ring(i int) []vtx {
	s := int32(0)
	if i > 0 {
		s = p.end[i-1]
	}
	return p.v[s:p.end[i]]
}

// subject is a polygon (without holes) that cells are clipped to.
type subject struct {
	pts  []xy        // open rings, CCW, flattened
	next []int32     // index of each vertex's successor in its ring
	ends []int32     // ring end offsets
	ll   []orb.Point // the lon/lat each vertex was read from (exact output)
	bb   [4]float64  // minx, miny, maxx, maxy
}

func (s *subject) initPoly(p *poly) {
	p.reset()
	for i, q := range s.pts {
		p.v = append(p.v, vtx{q.x, q.y, int32(i), int32(i)})
	}
	p.end = append(p.end, s.ends...)
}

func (s *subject) area() float64 {
	var a float64
	st := 0
	for _, e := range s.ends {
		a += ringArea(s.pts[st:e])
		st = int(e)
	}
	return a
}

// newSubject builds a subject from lon/lat polygons. Holes are not
// supported (ok is false). Rings are reoriented CCW.
func newSubject(mp orb.MultiPolygon) (s *subject, ok bool) {
	s = &subject{bb: [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}}
	for _, pg := range mp {
		if len(pg) == 0 {
			continue
		}
		if len(pg) > 1 {
			return nil, false
		}
		r := pg[0]
		if len(r) > 1 && r[0] == r[len(r)-1] {
			r = r[:len(r)-1]
		}
		// drop consecutive duplicates
		var ll []orb.Point
		for i, p := range r {
			if i > 0 && p == r[i-1] {
				continue
			}
			ll = append(ll, p)
		}
		for len(ll) > 1 && ll[0] == ll[len(ll)-1] {
			ll = ll[:len(ll)-1]
		}
		if len(ll) < 3 {
			continue
		}
		pts := make([]xy, len(ll))
		for i, p := range ll {
			pts[i] = toXY(p[0], p[1])
		}
		if ringArea(pts) < 0 {
			slices.Reverse(pts)
			ll = slices.Clone(ll)
			slices.Reverse(ll)
		}
		base := int32(len(s.pts))
		for i, p := range pts {
			s.pts = append(s.pts, p)
			s.ll = append(s.ll, ll[i])
			n := base + int32(i) + 1
			if i == len(pts)-1 {
				n = base
			}
			s.next = append(s.next, n)
			s.bb[0], s.bb[1] = min(s.bb[0], p.x), min(s.bb[1], p.y)
			s.bb[2], s.bb[3] = max(s.bb[2], p.x), max(s.bb[3], p.y)
		}
		s.ends = append(s.ends, int32(len(s.pts)))
	}
	return s, len(s.pts) > 0
}

// toLonLat converts a finished polygon to lon/lat rings (closed, CCW,
// without consecutive duplicates); rings with fewer than 3 distinct points
// are dropped.
func (s *subject) toLonLat(p *poly) orb.MultiPolygon {
	var mp orb.MultiPolygon
	for i := range p.end {
		r := p.ring(i)
		ring := make(orb.Ring, 0, len(r)+1)
		for _, v := range r {
			var q orb.Point
			if v.orig >= 0 {
				q = s.ll[v.orig]
			} else {
				q = toLL(xy{v.x, v.y})
			}
			if len(ring) > 0 && ring[len(ring)-1] == q {
				continue
			}
			ring = append(ring, q)
		}
		for len(ring) > 1 && ring[0] == ring[len(ring)-1] {
			ring = ring[:len(ring)-1]
		}
		if len(ring) < 3 {
			continue
		}
		ring = append(ring, ring[0])
		mp = append(mp, orb.Polygon{ring})
	}
	return mp
}

// clipper intersects a subject polygon with Voronoi cells of sites by
// successive half-plane clips. It owns scratch buffers; one per goroutine.
type clipper struct {
	sub   *subject
	sites []xy
	self  int32

	// current clip line: bisector of self and j
	j       int32
	mx, my  float64 // midpoint of the sorted site pair
	nx, ny  float64 // sorted pair direction (low -> high)
	selfLow bool
	dx, dy  float64 // line direction with the kept side on its left

	ins  []bool
	tmp  []vtx
	runs []clipRun
	xs   []clipX
	next []int32
	seen []bool

	// degenerate counts the clips where crossings along a line did not
	// alternate (numerically degenerate input); the ring is then kept
	// Sutherland–Hodgman style. Tests expect zero.
	degenerate int
}

type clipRun struct {
	start, end  int
	tEntry, tEx float64
}

type clipX struct {
	t    float64
	exit bool
	run  int32
}

func (c *clipper) setLine(j int32) {
	c.j = j
	a, b := c.self, j
	c.selfLow = a < b
	if !c.selfLow {
		a, b = b, a
	}
	pa, pb := c.sites[a], c.sites[b]
	c.mx, c.my = (pa.x+pb.x)*0.5, (pa.y+pb.y)*0.5
	c.nx, c.ny = pb.x-pa.x, pb.y-pa.y
	if c.selfLow {
		c.dx, c.dy = -c.ny, c.nx
	} else {
		c.dx, c.dy = c.ny, -c.nx
	}
}

func (c *clipper) inside(v *vtx) bool {
	s := (v.x-c.mx)*c.nx + (v.y-c.my)*c.ny
	if c.selfLow {
		return s <= 0
	}
	return s >= 0
}

// cross returns the canonical intersection of the supporting line of the
// edge leaving u with the current clip line.
func (c *clipper) cross(u *vtx) xy {
	if u.lab >= 0 {
		p0 := c.sub.pts[u.lab]
		p1 := c.sub.pts[c.sub.next[u.lab]]
		ex, ey := p1.x-p0.x, p1.y-p0.y
		den := ex*c.nx + ey*c.ny
		if den == 0 {
			return p0
		}
		t := ((c.mx-p0.x)*c.nx + (c.my-p0.y)*c.ny) / den
		t = max(0, min(1, t))
		return xy{p0.x + t*ex, p0.y + t*ey}
	}
	return circumcentre(c.sites, c.self, c.j, -u.lab-1)
}

// circumcentre of sites i, j, k computed from the sorted triple.
func circumcentre(sites []xy, i, j, k int32) xy {
	if i > j {
		i, j = j, i
	}
	if j > k {
		j, k = k, j
	}
	if i > j {
		i, j = j, i
	}
	a, b, c := sites[i], sites[j], sites[k]
	bx, by := b.x-a.x, b.y-a.y
	cx, cy := c.x-a.x, c.y-a.y
	d := 2 * (bx*cy - by*cx)
	if d == 0 {
		return xy{(a.x + c.x) / 2, (a.y + c.y) / 2}
	}
	b2, c2 := bx*bx+by*by, cx*cx+cy*cy
	return xy{a.x + (cy*b2-by*c2)/d, a.y + (bx*c2-cx*b2)/d}
}

// clip intersects in with the half-plane of the bisector between the cell's
// site and site j, writing to out. It reports false (out untouched) when the
// line does not cut in.
func (c *clipper) clip(in *poly, j int32, out *poly) bool {
	c.setLine(j)
	n := len(in.v)
	c.ins = slices.Grow(c.ins[:0], n)[:n]
	anyOut := false
	for i := range in.v {
		c.ins[i] = c.inside(&in.v[i])
		if !c.ins[i] {
			anyOut = true
		}
	}
	if !anyOut {
		return false
	}
	out.reset()
	start := 0
	for _, e := range in.end {
		c.clipRing(in.v[start:e], c.ins[start:e], out)
		start = int(e)
	}
	return true
}

func (c *clipper) clipRing(r []vtx, ins []bool, out *poly) {
	n := len(r)
	nOut, k0 := 0, -1
	for i := range r {
		if !ins[i] {
			nOut++
			if ins[(i+1)%n] && k0 < 0 {
				k0 = i
			}
		}
	}
	if nOut == 0 {
		out.v = append(out.v, r...)
		out.end = append(out.end, int32(len(out.v)))
		return
	}
	if nOut == n {
		return
	}
	lab := -c.j - 1
	c.tmp = c.tmp[:0]
	c.runs = c.runs[:0]
	for s := 0; s < n; s++ {
		k := k0 + s
		if k >= n {
			k -= n
		}
		kn := k + 1
		if kn == n {
			kn = 0
		}
		u := &r[k]
		if ins[k] {
			c.tmp = append(c.tmp, *u)
		}
		if ins[k] != ins[kn] {
			p := c.cross(u)
			t := p.x*c.dx + p.y*c.dy
			if ins[k] { // leaving the half-plane
				c.tmp = append(c.tmp, vtx{p.x, p.y, -1, lab})
				ru := &c.runs[len(c.runs)-1]
				ru.end, ru.tEx = len(c.tmp), t
			} else { // entering
				c.runs = append(c.runs, clipRun{start: len(c.tmp), tEntry: t})
				c.tmp = append(c.tmp, vtx{p.x, p.y, -1, u.lab})
			}
		}
	}
	if len(c.runs) == 1 {
		out.v = append(out.v, c.tmp...)
		out.end = append(out.end, int32(len(out.v)))
		return
	}
	// Several runs: the kept parts are joined along the clip line. Sorted
	// along the line (kept side on the left), crossings alternate exit,
	// entry; each exit continues with the run of the following entry.
	c.xs = c.xs[:0]
	for i, ru := range c.runs {
		c.xs = append(c.xs, clipX{ru.tEx, true, int32(i)}, clipX{ru.tEntry, false, int32(i)})
	}
	slices.SortFunc(c.xs, func(a, b clipX) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		case a.exit && !b.exit:
			return -1
		case !a.exit && b.exit:
			return 1
		}
		return int(a.run - b.run)
	})
	c.next = slices.Grow(c.next[:0], len(c.runs))[:len(c.runs)]
	for m := 0; m+1 < len(c.xs); m += 2 {
		if !c.xs[m].exit || c.xs[m+1].exit {
			c.degenerate++
			out.v = append(out.v, c.tmp...)
			out.end = append(out.end, int32(len(out.v)))
			return
		}
		c.next[c.xs[m].run] = c.xs[m+1].run
	}
	c.seen = slices.Grow(c.seen[:0], len(c.runs))[:len(c.runs)]
	clear(c.seen)
	for i := range c.runs {
		if c.seen[i] {
			continue
		}
		for r := int32(i); !c.seen[r]; r = c.next[r] {
			c.seen[r] = true
			ru := c.runs[r]
			out.v = append(out.v, c.tmp[ru.start:ru.end]...)
		}
		out.end = append(out.end, int32(len(out.v)))
	}
}

// maxDist2 returns the largest squared distance from p to a vertex of q.
func maxDist2(q *poly, p xy) float64 {
	var m float64
	for i := range q.v {
		dx, dy := q.v[i].x-p.x, q.v[i].y-p.y
		m = max(m, dx*dx+dy*dy)
	}
	return m
}

// tidy removes consecutive duplicate vertices and rings that are degenerate
// or (when the cell has a larger ring) smaller than minPart m². It keeps the
// ring containing keep (the site) if any.
func tidy(p *poly, minPart float64, keep xy) {
	w := 0
	var ends []int32
	start := 0
	type ringInfo struct {
		s, e int
		a    float64
		home bool
	}
	var infos [8]ringInfo
	ri := infos[:0]
	for _, e := range p.end {
		s := w
		for i := start; i < int(e); i++ {
			v := p.v[i]
			if w > s && p.v[w-1].x == v.x && p.v[w-1].y == v.y {
				// keep the later label: the edge leaving the merged vertex
				p.v[w-1].lab = v.lab
				if v.orig >= 0 {
					p.v[w-1].orig = v.orig
				}
				continue
			}
			p.v[w] = v
			w++
		}
		for w-s > 1 && p.v[w-1].x == p.v[s].x && p.v[w-1].y == p.v[s].y {
			w--
		}
		start = int(e)
		if w-s < 3 {
			w = s
			continue
		}
		a := vtxArea(p.v[s:w])
		ri = append(ri, ringInfo{s, w, a, false})
	}
	if len(ri) > 1 {
		best := 0
		for i := range ri {
			if pointInVtxRing(keep, p.v[ri[i].s:ri[i].e]) {
				ri[i].home = true
			}
			if ri[i].a > ri[best].a {
				best = i
			}
		}
		ri[best].home = true
		// compact
		w = 0
		for _, r := range ri {
			if r.a <= 0 || (r.a < minPart && !r.home) {
				continue
			}
			copy(p.v[w:], p.v[r.s:r.e])
			w += r.e - r.s
			ends = append(ends, int32(w))
		}
	} else if len(ri) == 1 {
		ends = append(ends, int32(w))
	}
	p.v = p.v[:w]
	p.end = append(p.end[:0], ends...)
}
