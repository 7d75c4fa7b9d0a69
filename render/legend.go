package render

import (
	"image"
	"image/color"
	"math"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

// LegendOptions tune Legend.
type LegendOptions struct {
	// Codes are the land-use codes a layer coloured by code lists, in order; nil lists the
	// current (not legacy) codes of the style's palette.
	Codes []style.LandUse
	// FontSize is the text size in pixels; 0 means 12.
	FontSize float64
	// Background fills the image; its alpha 0 means white. Transparent leaves it clear.
	Background  color.NRGBA
	Transparent bool
	// Zoom is the style zoom whose line widths the swatches show; 0 means 17.
	Zoom float64
}

// legendRow is one line of a legend: a swatch and a caption, or a heading.
type legendRow struct {
	heading bool
	text    string
	fill    color.NRGBA // a fill swatch's colour (with its opacity)
	outline *style.Stroke
	stroke  *style.Stroke // a line swatch
	marker  *style.Marker
}

// Legend draws the legend of a layer for GetLegendGraphic: a row per rule, with a swatch drawn
// as the map draws it and the rule's title; a layer coloured by land-use code lists its codes
// under their groups' headings, each with the Vietnamese name ("ONT  Đất ở tại nông thôn").
func Legend(l *style.Layer, o LegendOptions) (*image.RGBA, error) {
	size := o.FontSize
	if size <= 0 {
		size = 12
	}
	zoom := o.Zoom
	if zoom == 0 {
		zoom = 17
	}
	regular, err := faceFor(style.Regular, size)
	if err != nil {
		return nil, err
	}
	bold, err := faceFor(style.Bold, size)
	if err != nil {
		return nil, err
	}
	// The layer's first outline frames its fill swatches, as on the map.
	var outline *style.Stroke
	for _, r := range l.Rules {
		if r.Stroke != nil {
			outline = r.Stroke
			break
		}
	}
	var rows []legendRow
	for i := range l.Rules {
		r := &l.Rules[i]
		switch {
		case r.Fill != nil && r.Fill.ByCode != "" && r.Fill.Palette != nil:
			rows = append(rows, codeRows(r.Fill, outline, o.Codes)...)
		case r.Fill != nil:
			rows = append(rows, legendRow{text: r.Title, fill: r.Fill.ColorOf(nil), outline: outline})
		case r.Stroke != nil:
			if r.Stroke == outline && hasPlainFill(l) {
				continue // drawn around the fill swatches
			}
			rows = append(rows, legendRow{text: r.Title, stroke: r.Stroke})
		case r.Marker != nil:
			rows = append(rows, legendRow{text: r.Title, marker: r.Marker})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, legendRow{heading: true, text: l.Title})
	}

	pad := int(math.Round(size / 2))
	rowH := int(math.Ceil(size * 1.5))
	swW, swH := int(math.Round(size*2)), int(math.Round(size))
	textX := pad + swW + pad
	width := 0
	for _, r := range rows {
		f, x := regular, textX
		if r.heading {
			f, x = bold, pad
		}
		width = max(width, x+int(math.Ceil(f.width(r.text)))+pad)
	}
	height := 2*pad + rowH*len(rows)

	bg := o.Background
	if bg.A == 0 {
		bg = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	}
	if o.Transparent {
		bg = color.NRGBA{}
	}
	// Swatches go through the map renderer, in a frame whose units are pixels (y up).
	m, err := NewMap(Frame{Width: width, Height: height, BBox: orb.Bound{Max: orb.Point{float64(width), float64(height)}},
		Background: bg, Zoom: zoom})
	if err != nil {
		return nil, err
	}
	text := color.NRGBA{0x22, 0x22, 0x22, 0xff}
	var glyphs []placedGlyph
	for i, r := range rows {
		top := float64(pad + i*rowH)
		baseline := top + float64(rowH)/2 + 0.36*size
		if r.heading {
			glyphs, _ = bold.textRun(glyphs[:0], r.text, float64(pad), baseline)
			drawGlyphs(m.img, glyphs, text)
			continue
		}
		// Pixel rows from the top, in the frame's y-up units.
		y0 := float64(height) - (top + (float64(rowH)-float64(swH))/2)
		y1 := y0 - float64(swH)
		x0, x1 := float64(pad), float64(pad+swW)
		box := orb.Polygon{{{x0, y1}, {x1, y1}, {x1, y0}, {x0, y0}, {x0, y1}}}
		switch {
		case r.stroke != nil:
			mid := (y0 + y1) / 2
			m.drawStrokes(r.stroke, style.Filter{}, []Feature{{Geometry: orb.LineString{{x0, mid}, {x1, mid}}}})
		case r.marker != nil:
			m.drawMarkers(r.marker, style.Filter{}, []Feature{{Geometry: orb.Point{(x0 + x1) / 2, (y0 + y1) / 2}}})
		default:
			m.fillGeometry(box, r.fill)
			if r.outline != nil {
				m.drawStrokes(r.outline, style.Filter{}, []Feature{{Geometry: box}})
			}
		}
		glyphs, _ = regular.textRun(glyphs[:0], r.text, float64(textX), baseline)
		drawGlyphs(m.img, glyphs, text)
	}
	return m.Image(), nil
}

// hasPlainFill reports whether the layer has a fill rule whose swatches its outline frames.
func hasPlainFill(l *style.Layer) bool {
	for _, r := range l.Rules {
		if r.Fill != nil {
			return true
		}
	}
	return false
}

// codeRows lists land-use codes under their groups' headings, each with its fill colour.
func codeRows(f *style.Fill, outline *style.Stroke, codes []style.LandUse) []legendRow {
	if codes == nil {
		for _, lu := range f.Palette.Codes() {
			if !lu.Legacy {
				codes = append(codes, lu)
			}
		}
	}
	var rows []legendRow
	for _, g := range style.Groups() {
		heading := false
		for _, lu := range codes {
			if lu.Group != g.Code {
				continue
			}
			if !heading {
				rows = append(rows, legendRow{heading: true, text: g.Name})
				heading = true
			}
			rows = append(rows, legendRow{text: lu.Code + "  " + lu.Name,
				fill: f.ColorOf(map[string]any{f.ByCode: lu.Code}), outline: outline})
		}
	}
	if len(rows) == 0 {
		// No code list: the groups' colours.
		for _, g := range style.Groups() {
			rows = append(rows, legendRow{text: g.Name, fill: (&style.Fill{Color: g.Color, Opacity: f.Opacity}).ColorOf(nil), outline: outline})
		}
	}
	return rows
}

// drawGlyphs paints laid-out glyphs (positions in image pixels) in colour c.
func drawGlyphs(img *image.RGBA, glyphs []placedGlyph, c color.NRGBA) {
	for _, g := range glyphs {
		r := g.g.mask.Rect.Add(image.Pt(g.x, g.y))
		clipped := r.Intersect(img.Rect)
		if clipped.Empty() {
			continue
		}
		sub := g.g.mask.SubImage(clipped.Sub(r.Min)).(*image.Alpha)
		composite(img, clipped.Min, sub, c)
	}
}
