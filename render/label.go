package render

import (
	"cmp"
	"image"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

// candidate is a label waiting for its place.
type candidate struct {
	lb   *style.Label
	x, y float64 // anchor, pixels
	size float64 // area (polygons) or length (lines) in pixels: larger features go first
	seq  int
	// The text: one line for a TextLabel, the fraction's parts for a CadastralLabel.
	text               string
	number, area, code string
}

// labelPadding keeps this many pixels between labels.
const labelPadding = 1

// collectLabels finds where each feature's label would go.
func (m *Map) collectLabels(lb *style.Label, features []Feature) {
	for i := range features {
		f := &features[i]
		if f.Geometry == nil || !lb.Filter.Match(f.Properties) {
			continue
		}
		c := candidate{lb: lb, seq: len(m.cands)}
		switch lb.Kind {
		case style.CadastralLabel:
			var ok bool
			if c.number, c.area, c.code, ok = lb.Fraction(f.Properties); !ok {
				continue
			}
		default:
			if c.text = lb.TextOf(f.Properties); c.text == "" {
				continue
			}
		}
		var ok bool
		if c.x, c.y, c.size, ok = m.anchor(f.Geometry); !ok {
			continue
		}
		m.cands = append(m.cands, c)
	}
}

// anchor is where a geometry's label is centred: the pole of inaccessibility of its largest
// polygon, a point, or the middle of its longest line; ok is false when that is far outside the
// image or the geometry has nothing to label.
func (m *Map) anchor(g orb.Geometry) (x, y, size float64, ok bool) {
	w, h := float64(m.frame.Width), float64(m.frame.Height)
	near := func(x, y float64) bool { return x > -w && y > -h && x < 2*w && y < 2*h }
	switch g := g.(type) {
	case orb.Point:
		x, y = m.pixel(g)
		return x, y, 0, near(x, y) // false for NaN
	case orb.MultiPoint:
		if len(g) > 0 {
			return m.anchor(g[0])
		}
	case orb.Polygon:
		return m.poleOf(g)
	case orb.MultiPolygon:
		best, bestArea := -1, 0.0
		for i, p := range g {
			if len(p) == 0 {
				continue
			}
			if a := math.Abs(planarArea(p[0])); a > bestArea {
				best, bestArea = i, a
			}
		}
		if best >= 0 {
			return m.poleOf(g[best])
		}
	case orb.LineString:
		return m.lineMiddle(g)
	case orb.MultiLineString:
		best, bestLen := -1, 0.0
		for i, l := range g {
			if n := planarLength(l); n > bestLen {
				best, bestLen = i, n
			}
		}
		if best >= 0 {
			return m.lineMiddle(g[best])
		}
	case orb.Collection:
		for _, x := range g {
			if ax, ay, s, ok := m.anchor(x); ok {
				return ax, ay, s, ok
			}
		}
	}
	return 0, 0, 0, false
}

func (m *Map) pixel(p orb.Point) (float64, float64) {
	return (p[0] - m.frame.BBox.Min[0]) * m.sx, (m.frame.BBox.Max[1] - p[1]) * m.sy
}

func planarArea(r orb.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func planarLength(l orb.LineString) float64 {
	var s float64
	for i := 0; i+1 < len(l); i++ {
		s += math.Hypot(l[i+1][0]-l[i][0], l[i+1][1]-l[i][1])
	}
	return s
}

// poleOf finds a polygon's pole of inaccessibility in pixels.
func (m *Map) poleOf(p orb.Polygon) (x, y, size float64, ok bool) {
	if len(p) == 0 {
		return 0, 0, 0, false
	}
	rings := m.rings[:0]
	var outer bbox
	for i, r := range p {
		pts, b := m.toPixels(m.ringBuf(i), r)
		m.ringBufs[i] = pts
		if len(pts) < 6 {
			if i == 0 {
				return 0, 0, 0, false
			}
			continue
		}
		if i == 0 {
			outer = b
			if b.outside(m.frame.Width, m.frame.Height, 0) {
				return 0, 0, 0, false
			}
		}
		rings = append(rings, pts)
	}
	m.rings = rings
	// A label is placed to within a pixel or a sixteenth of the polygon's breadth, whichever
	// is coarser: finer costs time and moves no label visibly.
	precision := max(1, min(outer.maxX-outer.minX, outer.maxY-outer.minY)/16)
	x, y = polylabel(&m.queue, rings, outer, precision)
	return x, y, math.Abs(signedArea(rings[0])) / 2, true
}

// ringBuf is a reusable buffer for ring i of a polygon being labelled.
func (m *Map) ringBuf(i int) []float64 {
	for len(m.ringBufs) <= i {
		m.ringBufs = append(m.ringBufs, nil)
	}
	return m.ringBufs[i][:0]
}

// lineMiddle is the point halfway along a line, in pixels.
func (m *Map) lineMiddle(l orb.LineString) (x, y, size float64, ok bool) {
	if len(l) == 0 {
		return 0, 0, 0, false
	}
	pts, _ := m.toPixels(nil, l)
	if len(pts) < 2 {
		return 0, 0, 0, false
	}
	var total float64
	for i := 0; i+3 < len(pts); i += 2 {
		total += math.Hypot(pts[i+2]-pts[i], pts[i+3]-pts[i+1])
	}
	half := total / 2
	for i := 0; i+3 < len(pts); i += 2 {
		s := math.Hypot(pts[i+2]-pts[i], pts[i+3]-pts[i+1])
		if s >= half && s > 0 {
			t := half / s
			return pts[i] + t*(pts[i+2]-pts[i]), pts[i+1] + t*(pts[i+3]-pts[i+1]), total, true
		}
		half -= s
	}
	return pts[0], pts[1], total, true
}

// polylabel finds the point inside a polygon (rings of x, y pairs, the first the exterior)
// farthest from its outline, to within precision: the "pole of inaccessibility" algorithm of
// Mapbox's polylabel (V. Agafonkin, 2016), a best-first search over a quadtree of cells.
func polylabel(q *plQueue, rings [][]float64, b bbox, precision float64) (float64, float64) {
	w, h := b.maxX-b.minX, b.maxY-b.minY
	cell := min(w, h)
	if cell <= 0 {
		return b.minX, b.minY
	}
	newCell := func(x, y, half float64) plCell {
		d := signedDistance(x, y, rings)
		return plCell{x: x, y: y, h: half, d: d, max: d + half*math.Sqrt2}
	}
	*q = (*q)[:0]
	half := cell / 2
	for x := b.minX; x < b.maxX; x += cell {
		for y := b.minY; y < b.maxY; y += cell {
			q.push(newCell(x+half, y+half, half))
		}
	}
	best := newCell(centroid(rings[0]))
	if c := newCell((b.minX+b.maxX)/2, (b.minY+b.maxY)/2, 0); c.d > best.d {
		best = c
	}
	// A bound for pathological outlines; a parcel needs a few dozen probes.
	for probes := 0; len(*q) > 0 && probes < 1024; probes++ {
		c := q.pop()
		if c.d > best.d {
			best = c
		}
		if c.max-best.d <= precision {
			continue
		}
		h := c.h / 2
		q.push(newCell(c.x-h, c.y-h, h))
		q.push(newCell(c.x+h, c.y-h, h))
		q.push(newCell(c.x-h, c.y+h, h))
		q.push(newCell(c.x+h, c.y+h, h))
	}
	return best.x, best.y
}

type plCell struct{ x, y, h, d, max float64 }

// plQueue is a max-heap of cells by the best distance they may hold.
type plQueue []plCell

func (q *plQueue) push(c plCell) {
	*q = append(*q, c)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].max >= h[i].max {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (q *plQueue) pop() plCell {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, big := 2*i+1, 2*i+2, i
		if l < n && h[l].max > h[big].max {
			big = l
		}
		if r < n && h[r].max > h[big].max {
			big = r
		}
		if big == i {
			break
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
	*q = h
	return top
}

// centroid is a ring's area centroid (its first point when it has no area), with a zero half
// size for newCell.
func centroid(r []float64) (x, y, half float64) {
	var a, cx, cy float64
	n := len(r) / 2
	px, py := r[2*n-2], r[2*n-1]
	for i := range n {
		x, y := r[2*i], r[2*i+1]
		f := px*y - x*py
		cx += (px + x) * f
		cy += (py + y) * f
		a += f * 3
		px, py = x, y
	}
	if a == 0 {
		return r[0], r[1], 0
	}
	return cx / a, cy / a, 0
}

// signedDistance is the distance from (x, y) to the rings' outline, negative outside (even-odd
// over all rings, so a point in a hole is outside).
func signedDistance(x, y float64, rings [][]float64) float64 {
	inside := false
	d2 := math.Inf(1)
	for _, r := range rings {
		n := len(r) / 2
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			ax, ay, bx, by := r[2*i], r[2*i+1], r[2*j], r[2*j+1]
			if (ay > y) != (by > y) && x < (bx-ax)*(y-ay)/(by-ay)+ax {
				inside = !inside
			}
			d2 = min(d2, segDist2(x, y, ax, ay, bx, by))
		}
	}
	d := math.Sqrt(d2)
	if !inside {
		return -d
	}
	return d
}

func segDist2(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	if dx != 0 || dy != 0 {
		t := ((px-ax)*dx + (py-ay)*dy) / (dx*dx + dy*dy)
		if t > 1 {
			ax, ay = bx, by
		} else if t > 0 {
			ax, ay = ax+dx*t, ay+dy*t
		}
	}
	dx, dy = px-ax, py-ay
	return dx*dx + dy*dy
}

// block is a laid-out label: glyphs and rules in block coordinates, centred on (0, 0).
type block struct {
	glyphs []placedGlyph
	rules  []image.Rectangle
	ink    image.Rectangle // what is drawn, before the halo
	lines  []string
}

// layout sets a candidate's text, centred on (0, 0); ok is false when the font cannot be had.
func layout(c *candidate, zoom float64) (block, bool) {
	lb := c.lb
	size := lb.Size.At(zoom)
	if size <= 0 {
		size = 12
	}
	f, err := faceFor(lb.Weight, size)
	if err != nil {
		return block{}, false
	}
	var b block
	line := func(f *face, s string, baseline float64) {
		w := f.width(s)
		b.glyphs, _ = f.textRun(b.glyphs, s, -w/2, baseline)
		b.lines = append(b.lines, s)
	}
	switch lb.Kind {
	case style.CadastralLabel:
		codeFace, err := faceFor(lb.Weight, size*0.9)
		if err != nil {
			return block{}, false
		}
		// The number, over a line as wide as the longer of number and area, over the area:
		// the cadastral fraction; the land-use code below it. Digits and capitals stand about
		// 0.72 of the size tall.
		const capHeight, gap = 0.72, 0.22
		y := capHeight * size
		line(f, c.number, y)
		if c.area != "" {
			rw := math.Max(f.width(c.number), f.width(c.area)) + 0.3*size
			t := math.Max(1, math.Round(size/11))
			ry := math.Round(y + gap*size)
			x0 := int(math.Round(-rw / 2))
			b.rules = append(b.rules, image.Rect(x0, int(ry), x0+int(math.Round(rw)), int(ry+t)))
			y = ry + t + gap*size + capHeight*size
			line(f, c.area, y)
		}
		if c.code != "" {
			y += gap*size + capHeight*codeFace.size
			line(codeFace, c.code, y)
		}
	default:
		line(f, c.text, 0)
	}
	// Centre the ink on the anchor.
	for _, g := range b.glyphs {
		b.ink = b.ink.Union(image.Rect(g.x, g.y, g.x+g.g.mask.Rect.Dx(), g.y+g.g.mask.Rect.Dy()))
	}
	for _, r := range b.rules {
		b.ink = b.ink.Union(r)
	}
	dy := -(b.ink.Min.Y + b.ink.Max.Y) / 2
	for i := range b.glyphs {
		b.glyphs[i].y += dy
	}
	for i := range b.rules {
		b.rules[i] = b.rules[i].Add(image.Pt(0, dy))
	}
	b.ink = b.ink.Add(image.Pt(0, dy))
	return b, !b.ink.Empty()
}

// placeLabels places the candidates, most important first, leaving out any that would overlap
// one already placed, and draws them.
func (m *Map) placeLabels() {
	order := make([]int32, len(m.cands))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &m.cands[i], &m.cands[j]
		if c := cmp.Compare(b.lb.Priority, a.lb.Priority); c != 0 {
			return c
		}
		if c := cmp.Compare(b.size, a.size); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	grid := newBoxGrid(m.img.Rect, 64)
	frame := m.img.Rect
	for _, i := range order {
		c := &m.cands[i]
		b, ok := layout(c, m.frame.Zoom)
		if !ok {
			continue
		}
		halo := 0
		if c.lb.HaloWidth > 0 && c.lb.Halo.A > 0 {
			halo = int(math.Ceil(c.lb.HaloWidth))
		}
		at := image.Pt(int(math.Round(c.x)), int(math.Round(c.y)))
		drawn := b.ink.Inset(-halo).Add(at)
		if !m.frame.LabelPartials && !drawn.In(frame) {
			continue
		}
		if !drawn.Overlaps(frame) {
			continue
		}
		box := drawn.Inset(-labelPadding)
		if grid.hits(box) {
			continue
		}
		grid.add(box)
		m.drawBlock(&b, at, c.lb, halo)
		m.placed = append(m.placed, Placed{Rule: c.lb.ID, Text: strings.Join(b.lines, "\n"), Box: drawn})
	}
}

// drawBlock draws a laid-out label at pixel at: its halo, then its text.
func (m *Map) drawBlock(b *block, at image.Point, lb *style.Label, halo int) {
	r := b.ink.Inset(-halo - 1)
	mask := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	off := r.Min.Mul(-1)
	for _, g := range b.glyphs {
		gm := g.g.mask
		x0, y0 := g.x+off.X, g.y+off.Y
		for y := 0; y < gm.Rect.Dy(); y++ {
			src := gm.Pix[y*gm.Stride : y*gm.Stride+gm.Rect.Dx()]
			dst := mask.Pix[(y0+y)*mask.Stride+x0:]
			for x, v := range src {
				dst[x] = max(dst[x], v)
			}
		}
	}
	for _, rr := range b.rules {
		rr = rr.Add(off)
		for y := rr.Min.Y; y < rr.Max.Y; y++ {
			for x := rr.Min.X; x < rr.Max.X; x++ {
				mask.Pix[y*mask.Stride+x] = 0xff
			}
		}
	}
	dst := r.Add(at)
	if halo > 0 {
		hm := dilate(mask, lb.HaloWidth)
		draw.DrawMask(m.img, dst, image.NewUniform(lb.Halo), image.Point{}, hm, image.Point{}, draw.Over)
	}
	draw.DrawMask(m.img, dst, image.NewUniform(lb.Color), image.Point{}, mask, image.Point{}, draw.Over)
}

// dilate grows a coverage mask by radius pixels with a soft edge: the halo.
func dilate(src *image.Alpha, radius float64) *image.Alpha {
	type tap struct {
		dx, dy int
		w      uint32 // weight, 0..256
	}
	var taps []tap
	ri := int(math.Ceil(radius + 0.5))
	for dy := -ri; dy <= ri; dy++ {
		for dx := -ri; dx <= ri; dx++ {
			w := radius + 0.5 - math.Hypot(float64(dx), float64(dy))
			if w > 0 {
				taps = append(taps, tap{dx, dy, uint32(math.Min(w, 1) * 256)})
			}
		}
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewAlpha(src.Rect)
	for y := range h {
		for x := range w {
			v := src.Pix[y*src.Stride+x]
			if v == 0 {
				continue
			}
			// Spread this pixel to its neighbourhood (cheaper than gathering: most pixels are
			// empty).
			for _, t := range taps {
				xx, yy := x+t.dx, y+t.dy
				if xx < 0 || yy < 0 || xx >= w || yy >= h {
					continue
				}
				i := yy*dst.Stride + xx
				if s := uint8(uint32(v) * t.w >> 8); s > dst.Pix[i] {
					dst.Pix[i] = s
				}
			}
		}
	}
	return dst
}

// boxGrid finds placed label boxes that overlap a new one.
type boxGrid struct {
	cell   int
	cols   int
	rows   int
	origin image.Point
	cells  [][]int
	boxes  []image.Rectangle
}

func newBoxGrid(frame image.Rectangle, cell int) *boxGrid {
	// Labels crossing the edge (LabelPartials) still fall in the edge cells.
	cols := (frame.Dx()+cell-1)/cell + 2
	rows := (frame.Dy()+cell-1)/cell + 2
	return &boxGrid{cell: cell, cols: cols, rows: rows, origin: frame.Min.Sub(image.Pt(cell, cell)), cells: make([][]int, cols*rows)}
}

func (g *boxGrid) span(r image.Rectangle) (x0, y0, x1, y1 int) {
	c := func(v, o, n int) int { return min(max((v-o)/g.cell, 0), n-1) }
	return c(r.Min.X, g.origin.X, g.cols), c(r.Min.Y, g.origin.Y, g.rows), c(r.Max.X-1, g.origin.X, g.cols), c(r.Max.Y-1, g.origin.Y, g.rows)
}

func (g *boxGrid) hits(r image.Rectangle) bool {
	x0, y0, x1, y1 := g.span(r)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			for _, i := range g.cells[y*g.cols+x] {
				if g.boxes[i].Overlaps(r) {
					return true
				}
			}
		}
	}
	return false
}

func (g *boxGrid) add(r image.Rectangle) {
	i := len(g.boxes)
	g.boxes = append(g.boxes, r)
	x0, y0, x1, y1 := g.span(r)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			g.cells[y*g.cols+x] = append(g.cells[y*g.cols+x], i)
		}
	}
}
