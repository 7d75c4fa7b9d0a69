package style

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"net/url"
	"slices"
	"strings"
)

// MapLibreOptions says where a MapLibre style document finds gisd's data.
type MapLibreOptions struct {
	// Name is the document's name ("gisd").
	Name string
	// BaseURL is gisd's public address ("https://gis.example.vn"); each layer's source is the
	// TileJSON at BaseURL + "/tiles/{layer}.json".
	BaseURL string
	// TileQuery is added to the TileJSON URL of the layer it names: {"admin_units":
	// "date=2024-01-01"} shows the administrative units valid that day (as the web map does),
	// while the parcels stay current (a date on them would draw them from their history).
	TileQuery map[string]string
	// GlyphsURL is MapLibre's glyphs template ("https://…/fonts/{fontstack}/{range}.pbf").
	// MapLibre draws no text without glyphs, so when it is empty the document has no labels.
	GlyphsURL string
	// AdminLabelsURL, when set, is a GeoJSON FeatureCollection of one point per administrative
	// unit with properties level and name (gisd's /api/v1/admin-units/labels): names are written
	// once at those points. Without it, names label the admin_units polygons of each tile.
	AdminLabelsURL string
	// Basemap, when set, is a raster layer under gisd's layers.
	Basemap *Basemap
	// TokenText writes every label's text-field as a {token} template instead of an expression,
	// for clients that read no text expressions: QGIS 3.22's converter drops "format",
	// "concat" and "number-format". Parcel areas are then written as the tiles carry them
	// (245.3), not in the Vietnamese form (245,3).
	TokenText bool
	// Center ([lon, lat]) and Zoom, when Center is set, are where the map opens.
	Center *[2]float64
	Zoom   float64
}

// Basemap is a raster tile layer drawn under the data.
type Basemap struct {
	Tiles       []string // URL templates with {z}, {x}, {y}
	TileSize    int      // 256 when 0
	Attribution string
	Opacity     float64 // 0.8 when 0
}

// ErrMapLibre is wrapped by MapLibre's errors.
var ErrMapLibre = errors.New("style: maplibre")

// drawOrder is where each built-in layer goes in a map: parcels at the bottom, then sheets and
// constructions, imported layers, and administrative boundaries on top.
func drawOrder(id string) int {
	switch id {
	case "parcels":
		return 0
	case "sheets":
		return 1
	case "constructions":
		return 2
	case "admin_units":
		return 4
	}
	return 3
}

// Stack returns the layers in the order a full map draws them, bottom first: parcels, sheets,
// constructions, imported layers (in the given order), administrative units. A WMS GetMap draws
// its LAYERS in the order requested instead.
func Stack(layers []*Layer) []*Layer {
	out := slices.Clone(layers)
	slices.SortStableFunc(out, func(a, b *Layer) int { return drawOrder(a.ID) - drawOrder(b.ID) })
	return out
}

// MapLibre writes a MapLibre GL style document (version 8) that draws the given layers, bottom
// first (see Stack), from gisd's vector tiles: one vector source per layer at its TileJSON, the
// same palette, outlines, zoom rules and labels as the renderer, labels above everything and
// the more important placed first.
func MapLibre(layers []*Layer, opt MapLibreOptions) ([]byte, error) {
	if opt.BaseURL == "" {
		return nil, fmt.Errorf("%w: no base URL", ErrMapLibre)
	}
	base := strings.TrimRight(opt.BaseURL, "/")
	doc := map[string]any{"version": 8}
	if opt.Name != "" {
		doc["name"] = opt.Name
	}
	if opt.Center != nil {
		doc["center"] = []float64{opt.Center[0], opt.Center[1]}
		doc["zoom"] = opt.Zoom
	}
	sources := map[string]any{}
	out := []any{map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": cssColor(Background)}}}
	if b := opt.Basemap; b != nil {
		if len(b.Tiles) == 0 {
			return nil, fmt.Errorf("%w: basemap without tiles", ErrMapLibre)
		}
		src := map[string]any{"type": "raster", "tiles": b.Tiles, "tileSize": cmpOr(b.TileSize, 256)}
		if b.Attribution != "" {
			src["attribution"] = b.Attribution
		}
		sources["basemap"] = src
		out = append(out, map[string]any{"id": "basemap", "type": "raster", "source": "basemap",
			"paint": map[string]any{"raster-opacity": cmpOr(b.Opacity, 0.8)}})
	}
	type symbol struct {
		prio int
		n    int
		l    map[string]any
	}
	var symbols []symbol
	ids := map[string]bool{}
	for _, l := range layers {
		if l == nil || l.ID == "" {
			return nil, fmt.Errorf("%w: a layer without an id", ErrMapLibre)
		}
		if _, dup := sources[l.ID]; dup {
			return nil, fmt.Errorf("%w: layer %s given twice", ErrMapLibre, l.ID)
		}
		u := base + "/tiles/" + url.PathEscape(l.ID) + ".json"
		if q := opt.TileQuery[l.ID]; q != "" {
			u += "?" + q
		}
		sources[l.ID] = map[string]any{"type": "vector", "url": u}
		for i := range l.Rules {
			r := &l.Rules[i]
			ml, err := paintLayer(l.ID, r)
			if err != nil {
				return nil, err
			}
			if ids[r.ID] {
				return nil, fmt.Errorf("%w: layer id %s used twice", ErrMapLibre, r.ID)
			}
			ids[r.ID] = true
			out = append(out, ml)
		}
		if opt.GlyphsURL == "" {
			continue
		}
		for i := range l.Labels {
			lb := &l.Labels[i]
			if ids[lb.ID] || lb.ID == "" {
				return nil, fmt.Errorf("%w: label id %q empty or used twice", ErrMapLibre, lb.ID)
			}
			ids[lb.ID] = true
			src, srcLayer := l.ID, l.ID
			if lb.Points == AdminLabelPoints && opt.AdminLabelsURL != "" {
				sources[AdminLabelPoints] = map[string]any{"type": "geojson", "data": opt.AdminLabelsURL}
				src, srcLayer = AdminLabelPoints, ""
			}
			symbols = append(symbols, symbol{lb.Priority, len(symbols), symbolLayer(src, srcLayer, lb, opt.TokenText)})
		}
	}
	// MapLibre places the symbols of the topmost layer first: the most important go last.
	slices.SortStableFunc(symbols, func(a, b symbol) int { return a.prio - b.prio })
	for _, s := range symbols {
		out = append(out, s.l)
	}
	doc["sources"] = sources
	doc["layers"] = out
	if opt.GlyphsURL != "" {
		doc["glyphs"] = opt.GlyphsURL
	}
	return json.MarshalIndent(doc, "", " ")
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// zoomProps sets a MapLibre layer's minzoom and maxzoom.
func zoomProps(m map[string]any, z ZoomRange) {
	if z.Min > 0 {
		m["minzoom"] = z.Min
	}
	if z.Max > 0 {
		m["maxzoom"] = z.Max
	}
}

// filterExpr is a Filter as a MapLibre expression, nil for none. One value is written as "=="
// and several as "match" with an array label, the forms QGIS 3.22's converter reads.
func filterExpr(f Filter) any {
	if f.Attribute == "" {
		return nil
	}
	get := []any{"to-string", []any{"get", f.Attribute}}
	if len(f.In) == 1 {
		return []any{"==", get, f.In[0]}
	}
	return []any{"match", get, stringsAny(f.In), true, false}
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func paintLayer(source string, r *Rule) (map[string]any, error) {
	if r.ID == "" {
		return nil, fmt.Errorf("%w: layer %s: a rule without an id", ErrMapLibre, source)
	}
	m := map[string]any{"id": r.ID, "source": source, "source-layer": source}
	zoomProps(m, r.Zoom)
	if f := filterExpr(r.Filter); f != nil {
		m["filter"] = f
	}
	switch {
	case r.Fill != nil && r.Stroke == nil && r.Marker == nil:
		m["type"] = "fill"
		paint := map[string]any{"fill-opacity": opacity(r.Fill.Opacity)}
		if r.Fill.ByCode != "" && r.Fill.Palette != nil {
			paint["fill-color"] = paletteExpr(r.Fill.ByCode, r.Fill.Palette)
		} else {
			paint["fill-color"] = cssColor(r.Fill.Color)
		}
		m["paint"] = paint
	case r.Stroke != nil && r.Fill == nil && r.Marker == nil:
		s := r.Stroke
		m["type"] = "line"
		paint := map[string]any{"line-color": cssColor(s.Color), "line-width": s.Width.expr(), "line-opacity": opacity(s.Opacity)}
		if len(s.Dash) > 0 {
			paint["line-dasharray"] = s.Dash
		}
		m["paint"] = paint
	case r.Marker != nil && r.Fill == nil && r.Stroke == nil:
		mk := r.Marker
		m["type"] = "circle"
		m["paint"] = map[string]any{"circle-radius": mk.Radius.expr(), "circle-color": cssColor(mk.Fill),
			"circle-stroke-color": cssColor(mk.Stroke), "circle-stroke-width": mk.StrokeWidth}
	default:
		return nil, fmt.Errorf("%w: rule %s: want exactly one of fill, stroke and marker", ErrMapLibre, r.ID)
	}
	return m, nil
}

// paletteExpr colours by land-use code: a match listing each colour once with the array of its
// codes (the form QGIS 3.22 converts; single string labels it turns into an empty IN ()).
func paletteExpr(attr string, p *Palette) any {
	cols, codes := p.byColor()
	e := []any{"match", []any{"get", attr}}
	for i, c := range cols {
		e = append(e, stringsAny(codes[i]), cssColor(c))
	}
	return append(e, cssColor(UnknownColor))
}

// ruleDashes is the fraction line of a cadastral label, in em dashes (one em each in Noto Sans):
// as long as the longer of the number and the area, whose characters are about half an em.
func ruleDashes(n int) string { return strings.Repeat("—", max(2, (n+1)/2)) }

func symbolLayer(source, sourceLayer string, lb *Label, tokenText bool) map[string]any {
	m := map[string]any{"id": lb.ID, "type": "symbol", "source": source}
	if sourceLayer != "" {
		m["source-layer"] = sourceLayer
	}
	zoomProps(m, lb.Zoom)
	if f := filterExpr(lb.Filter); f != nil {
		m["filter"] = f
	}
	layout := map[string]any{
		"text-font":      lb.Weight.FontStack(),
		"text-size":      lb.Size.expr(),
		"text-max-width": 12,
		"text-padding":   2,
	}
	if lb.Uppercase {
		layout["text-transform"] = "uppercase"
	}
	if lb.SortBy != "" {
		// Larger features first, as the renderer orders them.
		layout["symbol-sort-key"] = []any{"-", []any{"to-number", []any{"get", lb.SortBy}, 0}}
	}
	switch lb.Kind {
	case CadastralLabel:
		c := lb.Cadastral
		if tokenText {
			layout["text-field"] = "{" + c.Number + "}\n" + ruleDashes(6) + "\n{" + c.Area + "}\n{" + c.Code + "}"
		} else {
			layout["text-field"] = cadastralExpr(c)
		}
		layout["text-line-height"] = 1.1
	default:
		// A {token} template is an expression-free text-field every client reads.
		layout["text-field"] = lb.Text
	}
	m["layout"] = layout
	m["paint"] = map[string]any{
		"text-color":      cssColor(lb.Color),
		"text-halo-color": cssColor(lb.Halo),
		"text-halo-width": lb.HaloWidth,
	}
	return m
}

// cadastralExpr is the cadastral fraction as a MapLibre format expression: the number, a rule
// as long as the longer line, the area in the Vietnamese form (FormatArea), the land-use code
// a little smaller.
func cadastralExpr(c Cadastral) any {
	num := []any{"to-string", []any{"get", c.Number}}
	area := []any{"case", []any{"has", c.Area},
		[]any{"number-format", []any{"to-number", []any{"get", c.Area}, 0},
			map[string]any{"locale": "vi-VN", "min-fraction-digits": 1, "max-fraction-digits": 1}},
		""}
	code := []any{"case", []any{"has", c.Code}, []any{"to-string", []any{"get", c.Code}}, ""}
	// step over the longer line's length: "——" up to 4 characters, then one dash per 2 more.
	rule := []any{"step", []any{"max", []any{"length", []any{"var", "n"}}, []any{"length", []any{"var", "a"}}}, ruleDashes(0)}
	for n := 5; n <= 13; n += 2 {
		rule = append(rule, n, ruleDashes(n))
	}
	return []any{"let", "n", num, "a", area,
		[]any{"format",
			[]any{"var", "n"}, map[string]any{},
			"\n", map[string]any{},
			rule, map[string]any{},
			"\n", map[string]any{},
			[]any{"var", "a"}, map[string]any{},
			"\n", map[string]any{},
			code, map[string]any{"font-scale": 0.9},
		}}
}

// Colors lists every colour the layer's rules and labels may paint (with opacity applied), to
// build the palette of paletted images.
func (l *Layer) Colors() []color.NRGBA {
	var out []color.NRGBA
	add := func(c color.NRGBA) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, r := range l.Rules {
		switch {
		case r.Fill != nil && r.Fill.ByCode != "" && r.Fill.Palette != nil:
			cols, _ := r.Fill.Palette.byColor()
			for _, c := range cols {
				add(WithOpacity(c, opacity(r.Fill.Opacity)))
			}
			add(WithOpacity(UnknownColor, opacity(r.Fill.Opacity)))
		case r.Fill != nil:
			add(r.Fill.ColorOf(nil))
		case r.Stroke != nil:
			add(r.Stroke.ColorAt())
		case r.Marker != nil:
			add(r.Marker.Fill)
			add(r.Marker.Stroke)
		}
	}
	for _, lb := range l.Labels {
		add(lb.Color)
		add(lb.Halo)
	}
	return out
}

// Attributes lists the attributes the layer's rules and labels read, sorted: what a renderer
// must fetch with the geometry.
func (l *Layer) Attributes() []string {
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, r := range l.Rules {
		add(r.Filter.Attribute)
		if r.Fill != nil {
			add(r.Fill.ByCode)
		}
	}
	for _, lb := range l.Labels {
		add(lb.Filter.Attribute)
		add(lb.SortBy)
		switch lb.Kind {
		case CadastralLabel:
			add(lb.Cadastral.Number)
			add(lb.Cadastral.Area)
			add(lb.Cadastral.Code)
		default:
			for _, t := range tokens(lb.Text) {
				add(t)
			}
		}
	}
	slices.Sort(out)
	return out
}
