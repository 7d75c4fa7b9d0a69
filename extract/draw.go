package extract

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"

	"github.com/dongnai-gis/gisd/render"
	"github.com/dongnai-gis/gisd/style"
)

// view maps the zone's metres onto the page's map frame: grid north up, k millimetres of paper
// per metre of ground.
type view struct {
	x0, y0, w, h float64 // the frame on the page, mm
	cx, cy       float64 // the ground point at the frame's centre (easting, northing)
	k            float64 // mm per m: 1000 / scale
	scale        int
}

func (v view) pt(p orb.Point) (float64, float64) {
	return v.x0 + v.w/2 + (p[0]-v.cx)*v.k, v.y0 + v.h/2 - (p[1]-v.cy)*v.k
}

// ground is the frame's extent in the zone.
func (v view) ground() orb.Bound {
	hw, hh := v.w/2/v.k, v.h/2/v.k
	return orb.Bound{Min: orb.Point{v.cx - hw, v.cy - hh}, Max: orb.Point{v.cx + hw, v.cy + hh}}
}

func newView(g orb.MultiPolygon) view {
	b := g.Bound()
	n := ChooseScale(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1], contentW-2*mapPad, mapH-2*mapPad)
	return view{x0: margin, y0: mapTop, w: contentW, h: mapH,
		cx: (b.Min[0] + b.Max[0]) / 2, cy: (b.Min[1] + b.Max[1]) / 2, k: 1000 / float64(n), scale: n}
}

// drawMap draws section 1: the neighbours with their numbers, the parcel with its cadastral
// label and corner numbers, the frame, the north arrow, the scale and the legend.
func (d *doc) drawMap() {
	v := newView(d.x.Parcel.Geometry)
	d.view = v
	pdf := d.pdf
	ground := v.ground()
	pdf.ClipRect(v.x0, v.y0, v.w, v.h, false)

	// Neighbours: clipped to the frame first, so each label goes where the neighbour shows.
	type label struct {
		at   orb.Point
		room float64
		text string
	}
	var labels []label
	pdf.SetFillColor(neighFill.r, neighFill.g, neighFill.b)
	pdf.SetDrawColor(neighLine.r, neighLine.g, neighLine.b)
	pdf.SetLineWidth(0.2)
	for _, nb := range d.x.Neighbours {
		vis := clip.MultiPolygon(ground, nb.Geometry)
		if len(vis) == 0 {
			continue
		}
		d.path(vis, "B*")
		at, room, ok := poleOf(vis)
		if !ok {
			continue
		}
		t := strconv.Itoa(nb.Number)
		if nb.Sheet != d.x.Parcel.Sheet || nb.CommuneCode != d.x.Parcel.Commune.Code {
			t += " (tờ " + strconv.Itoa(nb.Sheet) + ")"
		}
		labels = append(labels, label{at, room * v.k, t})
	}

	// The parcel, tinted with its main land use's colour.
	fill := rgb{0xff, 0xff, 0xff}
	if len(d.x.Parcel.Uses) > 0 {
		if c, ok := style.CodeColor(d.x.Parcel.Uses[0].Code); ok {
			fill = tint(c)
		}
	}
	pdf.SetFillColor(fill.r, fill.g, fill.b)
	pdf.SetDrawColor(parcelLine.r, parcelLine.g, parcelLine.b)
	pdf.SetLineWidth(0.5)
	pdf.SetLineJoinStyle("miter")
	d.path(d.x.Parcel.Geometry, "B*")

	for _, l := range labels {
		size := 7.5
		d.font(regular, size, grey)
		if w := d.pdf.GetStringWidth(l.text); w > 2*l.room {
			size = 6
			d.font(regular, size, grey)
		}
		if l.room >= 1.2 {
			x, y := v.pt(l.at)
			d.centred(x, y, size, l.text)
		}
	}
	d.parcelLabel()
	d.cornerNumbers()
	pdf.ClipEnd()

	pdf.SetDrawColor(ink.r, ink.g, ink.b)
	pdf.SetLineWidth(0.3)
	pdf.Rect(v.x0, v.y0, v.w, v.h, "D")
	d.northArrow(v.x0+v.w-9, v.y0+5)
	d.scaleBar()
	d.legend()
}

// path adds mp's rings to the page as one path and paints it (even-odd, so holes stay open).
func (d *doc) path(mp orb.MultiPolygon, op string) {
	for _, poly := range mp {
		for _, r := range poly {
			if len(r) < 3 {
				continue
			}
			for i, p := range r {
				x, y := d.view.pt(p)
				if i == 0 {
					d.pdf.MoveTo(x, y)
				} else {
					d.pdf.LineTo(x, y)
				}
			}
			d.pdf.ClosePath()
		}
	}
	d.pdf.DrawPath(op)
}

// poleOf is the place with the most room inside the largest part of mp, and that room in metres.
func poleOf(mp orb.MultiPolygon) (orb.Point, float64, bool) {
	var best orb.Polygon
	var bestA float64
	for _, p := range mp {
		if len(p) > 0 {
			if a := math.Abs(signedArea(openRing(p[0]))); a > bestA {
				best, bestA = p, a
			}
		}
	}
	if best == nil {
		return orb.Point{}, 0, false
	}
	b := best.Bound()
	return render.PoleOfInaccessibility(best, max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])/200)
}

// tint lightens a land-use colour so the lines and text over it stay legible in print.
func tint(c color.NRGBA) rgb {
	mix := func(v uint8) int { return int(math.Round(255 - (255-float64(v))*0.45)) }
	return rgb{mix(c.R), mix(c.G), mix(c.B)}
}

// parcelLabel writes the cadastral fraction at the parcel's pole: the number over a rule over
// the area, and the land-use codes under it.
func (d *doc) parcelLabel() {
	p := d.x.Parcel
	at, _, ok := poleOf(p.Geometry)
	if !ok {
		return
	}
	x, y := d.view.pt(at)
	const size = 9.0
	num, area := strconv.Itoa(p.Number), FormatArea(p.OfficialAreaM2)
	codes := make([]string, 0, len(p.Uses))
	for _, u := range p.Uses {
		codes = append(codes, u.Code)
	}
	d.font(bold, size, ink)
	w := d.pdf.GetStringWidth(num)
	d.font(regular, size, ink)
	w = max(w, d.pdf.GetStringWidth(area)) + 1.5
	line := size * ptMM
	d.pdf.SetDrawColor(ink.r, ink.g, ink.b)
	d.pdf.SetLineWidth(0.25)
	d.pdf.Line(x-w/2, y, x+w/2, y)
	d.font(bold, size, ink)
	d.text(x, y-0.35*line, "C", num)
	d.font(regular, size, ink)
	d.text(x, y+0.35*line+capHeight*line, "C", area)
	if len(codes) > 0 {
		d.font(regular, size*0.85, ink)
		d.text(x, y+0.7*line+2*capHeight*line+0.3, "C", strings.Join(codes, "+"))
	}
}

// cornerNumbers marks each corner with a dot and writes its number just outside the parcel,
// along the bisector of the corner's angle; a number that would crowd one already written (two
// corners a few metres apart at a small scale) moves further out.
func (d *doc) cornerNumbers() {
	const size, offset, step, room = 7.0, 2.6, 2.2, 3.2
	d.pdf.SetFillColor(parcelLine.r, parcelLine.g, parcelLine.b)
	var placed []orb.Point
	for _, v := range d.vs {
		prev := v
		for _, w := range d.vs { // the corner whose edge ends here
			if w.Next == v.No {
				prev = w
				break
			}
		}
		next := d.vs[v.Next-1]
		ox, oy := outward(orb.Point{prev.Y, prev.X}, orb.Point{v.Y, v.X}, orb.Point{next.Y, next.X})
		x, y := d.view.pt(orb.Point{v.Y, v.X})
		d.pdf.Circle(x, y, 0.55, "F")
		// Ground y (northing) grows up, the page's y down.
		at := orb.Point{x + ox*offset, y - oy*offset}
		for try := 0; try < 3 && crowded(placed, at, room); try++ {
			at = orb.Point{at[0] + ox*step, at[1] - oy*step}
		}
		placed = append(placed, at)
		d.font(bold, size, parcelLine)
		d.centred(at[0], at[1], size, strconv.Itoa(v.No))
	}
}

func crowded(placed []orb.Point, p orb.Point, room float64) bool {
	for _, q := range placed {
		if math.Hypot(p[0]-q[0], p[1]-q[1]) < room {
			return true
		}
	}
	return false
}

// outward is the unit vector at corner b (ground coordinates) pointing away from the parcel,
// which lies on the right of the walk a → b → c.
func outward(a, b, c orb.Point) (float64, float64) {
	ux, uy := unit(a[0]-b[0], a[1]-b[1])
	vx, vy := unit(c[0]-b[0], c[1]-b[1])
	// The left normal of the outgoing edge points away from the parcel.
	lx, ly := -vy, vx
	bx, by := ux+vx, uy+vy
	if math.Hypot(bx, by) < 1e-9 {
		return lx, ly
	}
	bx, by = unit(bx, by)
	if bx*lx+by*ly < 0 {
		return -bx, -by
	}
	return bx, by
}

func unit(x, y float64) (float64, float64) {
	l := math.Hypot(x, y)
	if l == 0 {
		return 0, 0
	}
	return x / l, y / l
}

// northArrow draws an arrow pointing to grid north at (x, y), its tip's top, with "B" (Bắc).
func (d *doc) northArrow(x, y float64) {
	pdf := d.pdf
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(ink.r, ink.g, ink.b)
	pdf.SetFillColor(ink.r, ink.g, ink.b)
	tip, base, notch, half := y+4, y+14, y+11.5, 2.6
	pdf.Polygon([]fpdf.PointType{{X: x, Y: tip}, {X: x, Y: notch}, {X: x - half, Y: base}}, "DF")
	pdf.SetFillColor(0xff, 0xff, 0xff)
	pdf.Polygon([]fpdf.PointType{{X: x, Y: tip}, {X: x + half, Y: base}, {X: x, Y: notch}}, "DF")
	d.font(bold, 9, ink)
	d.text(x, y+3, "C", "B")
}

// scaleBar writes the scale under the frame's left corner and a bar of a round length,
// alternately black and white, with its distances centred under its ticks.
func (d *doc) scaleBar() {
	v := d.view
	top := v.y0 + v.h + 3
	d.font(bold, 9, ink)
	d.text(margin, top+3.2, "L", "Tỉ lệ "+formatScale(v.scale))
	lm := scaleBarLength(v.scale)
	lmm := lm * v.k
	x0, h := margin+32.0, 1.6
	pdf := d.pdf
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(ink.r, ink.g, ink.b)
	const parts = 4
	for i := range parts {
		if i%2 == 0 {
			pdf.SetFillColor(ink.r, ink.g, ink.b)
		} else {
			pdf.SetFillColor(0xff, 0xff, 0xff)
		}
		pdf.Rect(x0+float64(i)*lmm/parts, top, lmm/parts, h, "DF")
	}
	d.font(regular, 7, ink)
	for _, f := range []float64{0, 0.5, 1} {
		d.text(x0+f*lmm, top+h+3, "C", barLabel(f*lm))
	}
	d.text(x0+lmm+3, top+h+3, "L", "m")
}

// legend explains the map's marks at the right under the frame.
func (d *doc) legend() {
	v := d.view
	y := v.y0 + v.h + 4
	x := pageW - margin - 88
	pdf := d.pdf
	pdf.SetLineWidth(0.5)
	pdf.SetDrawColor(parcelLine.r, parcelLine.g, parcelLine.b)
	pdf.Line(x, y, x+6, y)
	d.font(regular, 7, grey)
	d.text(x+7.5, y+1, "L", "Thửa đất trích lục")
	x += 32
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(neighLine.r, neighLine.g, neighLine.b)
	pdf.SetFillColor(neighFill.r, neighFill.g, neighFill.b)
	pdf.Rect(x, y-1.5, 6, 3, "DF")
	d.text(x+7.5, y+1, "L", "Thửa liền kề")
	x += 27
	pdf.SetFillColor(parcelLine.r, parcelLine.g, parcelLine.b)
	pdf.Circle(x+1, y, 0.55, "F")
	d.font(bold, 7, parcelLine)
	d.text(x+2.5, y+1, "L", "1")
	d.font(regular, 7, grey)
	d.text(x+5, y+1, "L", "Điểm góc thửa")
}

// barLabel writes a distance of the scale bar without needless decimals: "10", "2,5".
func barLabel(m float64) string {
	if m == math.Trunc(m) {
		return formatDecimal(m, 0, true)
	}
	return formatDecimal(m, 1, true)
}
