package render

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/paulmach/orb"
)

// path is a set of closed subpaths in pixels, rasterized together.
type path struct {
	xy    []float32 // x, y pairs
	ends  []int     // the point index each subpath ends at (exclusive)
	boxes []bbox    // each subpath's bounding box
	box   bbox
}

func (p *path) reset() {
	p.xy, p.ends, p.boxes, p.box = p.xy[:0], p.ends[:0], p.boxes[:0], emptyBox()
}

func (p *path) empty() bool { return len(p.ends) == 0 }

// addRing adds a closed ring of x, y pairs, backwards when reverse is set.
func (p *path) addRing(pts []float64, reverse bool) {
	n := len(pts) / 2
	b := emptyBox()
	for i := range n {
		j := i
		if reverse {
			j = n - 1 - i
		}
		x, y := pts[2*j], pts[2*j+1]
		p.xy = append(p.xy, float32(x), float32(y))
		b.add(x, y)
	}
	p.ends = append(p.ends, len(p.xy)/2)
	p.boxes = append(p.boxes, b)
	p.box.union(b)
}

// addPoly adds a small convex polygon (a stroke piece), turned counter-clockwise on the screen
// like every other piece, so overlapping pieces add up instead of cancelling.
func (p *path) addPoly(pts ...float64) {
	p.addRing(pts, signedArea(pts) < 0)
}

// signedArea is twice the signed area of a ring of x, y pairs (the closing edge implied);
// positive for rings counter-clockwise on the screen (y down).
func signedArea(pts []float64) float64 {
	var a float64
	n := len(pts) / 2
	if n < 3 {
		return 0
	}
	px, py := pts[2*n-2], pts[2*n-1]
	for i := 0; i < n; i++ {
		x, y := pts[2*i], pts[2*i+1]
		a += px*y - x*py
		px, py = x, y
	}
	return a
}

// fillMargin is how far outside the image a ring is kept when clipped: enough that anti-aliasing
// at the edge is unchanged.
const fillMargin = 2

// fillGeometry fills the polygons of g with colour c.
//
// Each feature is rasterized on its own, in a box the size of the feature: a rule's features in
// one path per colour would cost an accumulation over the whole image for each of the two dozen
// land-use colours on a map, ten times the area the features cover. The seam this leaves between
// two touching parcels of one colour lies under their shared outline.
func (m *Map) fillGeometry(g orb.Geometry, c color.NRGBA) {
	if c.A == 0 {
		return
	}
	p := &m.fill
	p.reset()
	m.addPolygons(p, g)
	m.rasterize(p, c)
}

// addPolygons adds the polygons of g to p.
func (m *Map) addPolygons(p *path, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Polygon:
		m.addPolygon(p, g)
	case orb.MultiPolygon:
		for _, poly := range g {
			m.addPolygon(p, poly)
		}
	case orb.Ring:
		m.addPolygon(p, orb.Polygon{g})
	case orb.Bound:
		m.addPolygon(p, orb.Polygon{g.ToRing()})
	case orb.Collection:
		for _, x := range g {
			m.addPolygons(p, x)
		}
	}
}

// addPolygon adds a polygon's rings: the exterior counter-clockwise, holes clockwise, so the
// rasterizer's coverage is 1 inside and 0 in the holes whatever the data's winding.
func (m *Map) addPolygon(p *path, poly orb.Polygon) {
	w, h := m.frame.Width, m.frame.Height
	for i, ring := range poly {
		pts, b := m.toPixels(m.pts[:0], ring)
		m.pts = pts
		if len(pts) < 6 {
			if i == 0 {
				return
			}
			continue
		}
		if b.outside(w, h, 0) {
			if i == 0 {
				return // holes lie inside the exterior
			}
			continue
		}
		if !b.within(w, h, fillMargin) {
			pts = m.clipRing(pts, -fillMargin, -fillMargin, float64(w)+fillMargin, float64(h)+fillMargin)
			if len(pts) < 6 {
				continue
			}
		}
		ccw := signedArea(pts) > 0
		p.addRing(pts, ccw == (i > 0))
	}
}

// rasterTile is the largest box rasterized at once. x/image/vector accumulates coverage over its
// whole box, and switches to slower floating-point arithmetic above 512 pixels; a 256-pixel box
// of coverage stays in the processor's cache.
const rasterTile = 256

// rasterize composites colour c through the coverage of path p onto the image, in boxes of at
// most rasterTile pixels, each fed only the subpaths that reach it.
func (m *Map) rasterize(p *path, c color.NRGBA) {
	if p.empty() || c.A == 0 {
		return
	}
	r := image.Rect(int(math.Floor(p.box.minX)), int(math.Floor(p.box.minY)),
		int(math.Ceil(p.box.maxX)), int(math.Ceil(p.box.maxY))).Intersect(m.img.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y += rasterTile {
		for x := r.Min.X; x < r.Max.X; x += rasterTile {
			m.rasterizeBox(p, c, image.Rect(x, y, min(x+rasterTile, r.Max.X), min(y+rasterTile, r.Max.Y)))
		}
	}
}

func (m *Map) rasterizeBox(p *path, c color.NRGBA, r image.Rectangle) {
	// The box with a pixel's margin: an edge just outside still covers part of the box's edge
	// pixels.
	bx0, by0 := float64(r.Min.X)-1, float64(r.Min.Y)-1
	bx1, by1 := float64(r.Max.X)+1, float64(r.Max.Y)+1
	w, h := r.Dx(), r.Dy()
	m.ras.Reset(w, h)
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	fed := false
	start := 0
	for i, end := range p.ends {
		b := p.boxes[i]
		s := start
		start = end
		if b.maxX < bx0 || b.maxY < by0 || b.minX > bx1 || b.minY > by1 {
			continue // wholly beside the box: no coverage in it
		}
		fed = true
		xy := p.xy[2*s : 2*end]
		if b.minX < bx0-rasterTile || b.minY < by0-rasterTile || b.maxX > bx1+rasterTile || b.maxY > by1+rasterTile {
			// A ring much larger than the box (an administrative unit): clip it, so the
			// rasterizer does not walk the rows of edges far away.
			pts := m.pts[:0]
			for _, v := range xy {
				pts = append(pts, float64(v))
			}
			m.pts = pts
			clipped := m.clipRing(pts, bx0, by0, bx1, by1)
			if len(clipped) < 6 {
				continue
			}
			m.ras.MoveTo(float32(clipped[0])-ox, float32(clipped[1])-oy)
			for j := 2; j < len(clipped); j += 2 {
				m.ras.LineTo(float32(clipped[j])-ox, float32(clipped[j+1])-oy)
			}
			m.ras.ClosePath()
			continue
		}
		m.ras.MoveTo(xy[0]-ox, xy[1]-oy)
		for j := 2; j < len(xy); j += 2 {
			m.ras.LineTo(xy[j]-ox, xy[j+1]-oy)
		}
		m.ras.ClosePath()
	}
	if !fed {
		return
	}
	// Coverage into a mask first: x/image/vector accumulates straight into an image.Alpha of
	// its own size with SIMD, and compositing then skips the pixels the path does not touch,
	// which its generic RGBA path would blend one by one.
	if cap(m.mask.Pix) < w*h {
		m.mask.Pix = make([]uint8, rasterTile*rasterTile)
	}
	m.mask.Pix, m.mask.Stride, m.mask.Rect = m.mask.Pix[:w*h], w, image.Rect(0, 0, w, h)
	m.ras.DrawOp = draw.Src
	m.ras.Draw(&m.mask, m.mask.Rect, image.Opaque, image.Point{})
	composite(m.img, r.Min, &m.mask, c)
}

// composite paints colour c through mask onto dst with its top-left corner at at: Porter-Duff
// "over", in premultiplied 8-bit arithmetic.
func composite(dst *image.RGBA, at image.Point, mask *image.Alpha, c color.NRGBA) {
	pr, pg, pb, pa := c.RGBA() // premultiplied, 16-bit
	sr, sg, sb, sa := pr>>8, pg>>8, pb>>8, pa>>8
	w, h := mask.Rect.Dx(), mask.Rect.Dy()
	// Where the coverage is full, a translucent colour leaves (255 - alpha)/255 of what is
	// below: one table for the four channels.
	var keep [256]uint8
	if sa < 0xff {
		k := 255 - sa
		for d := range uint32(256) {
			keep[d] = uint8((d*k + 127) / 255)
		}
	}
	for y := range h {
		mrow := mask.Pix[y*mask.Stride : y*mask.Stride+w]
		drow := dst.Pix[dst.PixOffset(at.X, at.Y+y):]
		for x, ma := range mrow {
			if ma == 0 {
				continue
			}
			d := drow[4*x : 4*x+4 : 4*x+4]
			if ma == 0xff {
				if sa == 0xff {
					d[0], d[1], d[2], d[3] = uint8(sr), uint8(sg), uint8(sb), 0xff
					continue
				}
				// Full coverage of a translucent colour (a parcel's inside).
				d[0] = uint8(sr) + keep[d[0]]
				d[1] = uint8(sg) + keep[d[1]]
				d[2] = uint8(sb) + keep[d[2]]
				d[3] = uint8(sa) + keep[d[3]]
				continue
			}
			m := uint32(ma)
			inv := 255*255 - sa*m // (1 - source alpha × coverage), scaled by 255²
			d[0] = uint8((sr*m*255 + uint32(d[0])*inv + 32512) / 65025)
			d[1] = uint8((sg*m*255 + uint32(d[1])*inv + 32512) / 65025)
			d[2] = uint8((sb*m*255 + uint32(d[2])*inv + 32512) / 65025)
			d[3] = uint8((sa*m*255 + uint32(d[3])*inv + 32512) / 65025)
		}
	}
}

// clipRing clips a ring of x, y pairs to a rectangle (Sutherland–Hodgman). The result may have
// edges along the rectangle where the ring left it; for filling, they only ever lie outside the
// image.
func (m *Map) clipRing(pts []float64, x0, y0, x1, y1 float64) []float64 {
	in := append(m.clipA[:0], pts...)
	out := m.clipB[:0]
	for edge := range 4 {
		out = out[:0]
		n := len(in) / 2
		if n == 0 {
			break
		}
		inside := func(x, y float64) bool {
			switch edge {
			case 0:
				return x >= x0
			case 1:
				return x <= x1
			case 2:
				return y >= y0
			}
			return y <= y1
		}
		cross := func(ax, ay, bx, by float64) (float64, float64) {
			var t float64
			switch edge {
			case 0:
				t = (x0 - ax) / (bx - ax)
			case 1:
				t = (x1 - ax) / (bx - ax)
			case 2:
				t = (y0 - ay) / (by - ay)
			default:
				t = (y1 - ay) / (by - ay)
			}
			return ax + t*(bx-ax), ay + t*(by-ay)
		}
		px, py := in[2*n-2], in[2*n-1]
		pIn := inside(px, py)
		for i := range n {
			x, y := in[2*i], in[2*i+1]
			cIn := inside(x, y)
			if cIn != pIn {
				ix, iy := cross(px, py, x, y)
				out = append(out, ix, iy)
			}
			if cIn {
				out = append(out, x, y)
			}
			px, py, pIn = x, y, cIn
		}
		in, out = out, in
	}
	m.clipA, m.clipB = in, out
	return in
}
