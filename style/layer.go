package style

import (
	"encoding/json"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// Layer is the style of one catalog layer: paint rules drawn in order (each over the whole
// layer before the next, as MapLibre draws its layers), and label rules.
type Layer struct {
	ID     string // the catalog layer id: the tiles' source-layer, the WMS layer name
	Title  string
	Rules  []Rule
	Labels []Label
}

// Rule paints the layer's features that pass Filter at the zooms of Zoom. Exactly one of Fill,
// Stroke and Marker is set, like a MapLibre layer: Fill paints polygons, Stroke lines and polygon
// outlines, Marker points.
type Rule struct {
	ID     string // the MapLibre layer id; unique in a document
	Title  string // the legend's caption (Vietnamese)
	Zoom   ZoomRange
	Filter Filter
	Fill   *Fill
	Stroke *Stroke
	Marker *Marker
}

// Filter selects features by one attribute. The zero Filter selects every feature.
type Filter struct {
	Attribute string
	In        []string // the attribute's text (AttrText) is one of these
}

// Match reports whether a feature with these properties passes.
func (f Filter) Match(props map[string]any) bool {
	if f.Attribute == "" {
		return true
	}
	v, ok := props[f.Attribute]
	if !ok {
		return false
	}
	s := AttrText(v)
	for _, w := range f.In {
		if s == w {
			return true
		}
	}
	return false
}

// Fill paints the inside of polygons.
type Fill struct {
	Color color.NRGBA
	// ByCode names an attribute holding a land-use code; when set, the colour is
	// Palette.Color(code) and Color is unused.
	ByCode  string
	Palette *Palette
	// Opacity multiplies the colour's alpha; 0 is read as 1.
	Opacity float64
}

// ColorOf is the fill colour of a feature, with the opacity applied.
func (f *Fill) ColorOf(props map[string]any) color.NRGBA {
	c := f.Color
	if f.ByCode != "" && f.Palette != nil {
		code, _ := props[f.ByCode].(string)
		c = f.Palette.Color(code)
	}
	return WithOpacity(c, opacity(f.Opacity))
}

func opacity(o float64) float64 {
	if o == 0 {
		return 1
	}
	return o
}

// Stroke draws lines and polygon outlines.
type Stroke struct {
	Color   color.NRGBA
	Width   Value   // CSS pixels
	Opacity float64 // multiplies the colour's alpha; 0 is read as 1
	// Dash is MapLibre's line-dasharray: dash and gap lengths in line widths; nil is solid.
	Dash []float64
}

// ColorAt is the stroke colour with its opacity applied.
func (s *Stroke) ColorAt() color.NRGBA { return WithOpacity(s.Color, opacity(s.Opacity)) }

// Marker draws points as circles.
type Marker struct {
	Radius      Value // CSS pixels
	Fill        color.NRGBA
	Stroke      color.NRGBA
	StrokeWidth float64
}

// LabelKind says how a label's text is made.
type LabelKind uint8

const (
	// TextLabel writes one attribute.
	TextLabel LabelKind = iota
	// CadastralLabel writes the cadastral fraction of a parcel: its number over a line over its
	// area, and its land-use code below (the national cadastral map's "số thửa / diện tích").
	CadastralLabel
)

// FontWeight selects the face of the embedded font.
type FontWeight uint8

// Font weights.
const (
	Regular FontWeight = iota
	Bold
)

// FontStack is the MapLibre text-font of a weight: the names of Noto Sans in the glyph sets
// MapLibre glyph servers publish.
func (w FontWeight) FontStack() []string {
	if w == Bold {
		return []string{"Noto Sans Bold"}
	}
	return []string{"Noto Sans Regular"}
}

// Label writes text over the features that pass Filter at the zooms of Zoom, inside polygons
// (at a point far from the outline), at points, or along the middle of lines. Labels never
// overlap: those of higher Priority are placed first, and within one priority those of larger
// features; a label that would overlap one already placed is left out.
type Label struct {
	ID     string // the MapLibre layer id
	Zoom   ZoomRange
	Filter Filter
	Kind   LabelKind
	// Text is a TextLabel's template: {name} stands for the text of attribute name (MapLibre's
	// token syntax, which QGIS reads too), as in "Tờ {sheet_no}".
	Text      string
	Cadastral Cadastral // CadastralLabel: the attributes of the fraction
	Weight    FontWeight
	Size      Value // font size, CSS pixels
	Color     color.NRGBA
	Halo      color.NRGBA
	HaloWidth float64 // pixels
	Uppercase bool
	Priority  int
	// SortBy is a numeric attribute measuring the feature's size, for clients that cannot measure
	// geometry (MapLibre's symbol-sort-key); the renderer measures the geometry itself.
	SortBy string
	// Points, when set, says the label reads a layer of label points (such as the
	// administrative units' label points, placed by the database) in MapLibre documents that
	// have such a source; without one it labels this layer's own features.
	Points string
}

// Cadastral names the attributes of a cadastral label.
type Cadastral struct {
	Number string // parcel number: "parcel_no"
	Area   string // area in m²: "official_area_m2"
	Code   string // land-use code(s): "land_use" ("ONT+CLN" in the tiles)
}

// TextOf is the text of a TextLabel for a feature: its template with the attributes' text in
// place of the tokens. It is "" when every token is empty, so a feature without a name gets no
// label.
func (l *Label) TextOf(props map[string]any) string {
	var b strings.Builder
	rest, filled := l.Text, false
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		if v := AttrText(props[rest[i+1:i+1+j]]); v != "" {
			b.WriteString(v)
			filled = true
		}
		rest = rest[i+j+2:]
	}
	if !filled {
		return ""
	}
	if l.Uppercase {
		return strings.ToUpper(b.String())
	}
	return b.String()
}

// tokens lists the attributes a template names.
func tokens(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(tmpl[i+1:], '}')
		if j < 0 {
			return out
		}
		out = append(out, tmpl[i+1:i+1+j])
		tmpl = tmpl[i+j+2:]
	}
}

// Fraction is the text of a CadastralLabel: the number, the area (FormatArea) and the land-use
// code. ok is false when the feature has no number to show.
func (l *Label) Fraction(props map[string]any) (number, area, code string, ok bool) {
	number = AttrText(props[l.Cadastral.Number])
	if number == "" {
		return "", "", "", false
	}
	if a, ok := number64(props[l.Cadastral.Area]); ok {
		area = FormatArea(a)
	}
	return number, area, AttrText(props[l.Cadastral.Code]), true
}

// AttrText is an attribute value as text: strings as they are, whole numbers without decimals,
// other numbers as Go's shortest form. nil is "".
func AttrText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

func number64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// FormatArea writes an area in m² the way Vietnamese documents do, and the way MapLibre's
// number-format writes it for locale vi-VN: one decimal after a comma, thousands grouped with
// dots ("1.234,5").
func FormatArea(m2 float64) string {
	if math.IsNaN(m2) || math.IsInf(m2, 0) {
		return ""
	}
	s := strconv.FormatFloat(math.Abs(m2), 'f', 1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if m2 < 0 && s != "0.0" {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	b.WriteByte(',')
	b.WriteString(frac)
	return b.String()
}
