package render

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/unicode/norm"

	"github.com/dongnai-gis/gisd/style"
)

// vietnameseLetters is every letter of Vietnamese: the precomposed letters with tones
// (U+1EA0–U+1EF9), and the others in Latin-1 and Latin Extended-A/B, in both cases.
func vietnameseLetters() []rune {
	var out []rune
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		out = append(out, r)
	}
	out = append(out, []rune("àáâãèéêìíòóôõùúýăđĩũơưÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯ")...)
	return out
}

func TestFont_CoversEveryVietnameseLetter(t *testing.T) {
	letters := vietnameseLetters()
	if len(letters) != 90+44 {
		t.Fatalf("%d letters", len(letters))
	}
	for _, r := range letters {
		if !Covers(string(r)) {
			t.Errorf("no glyph for %c (U+%04X)", r, r)
		}
	}
	if Covers("\u4e2d") { // a CJK character Noto Sans does not have
		t.Error("Covers claims a glyph the font lacks")
	}
}

func TestText_RendersVietnamese(t *testing.T) {
	const s = "Đất ở tại nông thôn"
	f, err := faceFor(style.Regular, 16)
	if err != nil {
		t.Fatal(err)
	}
	w := f.width(s)
	if w < 100 || w > 200 {
		t.Errorf("advance of %q at 16 px: %v", s, w)
	}
	// Decomposed input (letters and combining marks) sets like the precomposed text.
	if nfd := norm.NFD.String(s); utf8.RuneCountInString(nfd) == utf8.RuneCountInString(s) || f.width(nfd) != w {
		t.Errorf("NFD width %v, NFC %v", f.width(nfd), w)
	}
	// Drawn as a label, it leaves ink inside its box and nothing outside.
	l := &style.Layer{ID: "t", Labels: []style.Label{{ID: "name", Kind: style.TextLabel, Text: "{name}",
		Size: style.Const(16), Color: black}}}
	m, err := NewMap(pixelFrame(300, 60, white))
	if err != nil {
		t.Fatal(err)
	}
	m.Draw(l, []Feature{{Geometry: orb.Point{150, 30}, Properties: map[string]any{"name": s}}})
	img := m.Image()
	placed := m.Placed()
	if len(placed) != 1 || placed[0].Text != s {
		t.Fatalf("placed %+v", placed)
	}
	box := placed[0].Box
	if box.Dx() < int(w)-2 || box.Dx() > int(w)+4 {
		t.Errorf("box %v for an advance of %v", box, w)
	}
	dark := func(c color.NRGBA) bool { return c.R < 128 }
	if n := count(img, box, dark); n < 150 {
		t.Errorf("%d dark pixels in the label's box", n)
	}
	if n := count(img, img.Rect, dark); n != count(img, box, dark) {
		t.Error("ink outside the label's box")
	}
	// The marks above Đ, ấ, ở, ạ, ô are drawn: the ink reaches higher than the capitals'
	// height alone and lower than the baseline (the dot of ạ).
	if box.Dy() < 16 {
		t.Errorf("box %v is too flat for Vietnamese marks", box)
	}
}

func TestLabels_CadastralFraction(t *testing.T) {
	l := style.Parcels(style.NewPalette(nil))
	m, err := NewMap(pixelFrame(200, 200, white))
	if err != nil {
		t.Fatal(err)
	}
	m.Draw(l, []Feature{{Geometry: orb.Polygon{rect(200, 20, 20, 180, 180)},
		Properties: map[string]any{"parcel_no": 125.0, "official_area_m2": 1234.56, "land_use": "ONT+CLN", "main_use": "ONT"}}})
	img := m.Image()
	p := m.Placed()
	if len(p) != 1 || p[0].Text != "125\n1.234,6\nONT+CLN" {
		t.Fatalf("placed %+v", p)
	}
	// Centred in the square, with the fraction's line: a row of full ink across the middle
	// of the block between number and area.
	b := p[0].Box
	if c := b.Min.Add(b.Max).Div(2); c.Sub(image.Pt(100, 100)).X > 2 || c.Sub(image.Pt(100, 100)).X < -2 {
		t.Errorf("label centred at %v, want the square's centre", c)
	}
	lineRows := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		run, best := 0, 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if pixel(img, x, y).R < 80 {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		if best >= 20 {
			lineRows++
		}
	}
	if lineRows == 0 {
		t.Error("no fraction line")
	}
}

func TestLabels_DoNotOverlap(t *testing.T) {
	fx := loadFixture(t)
	f := centredFrame(tileFrame(fx.tile, style.Background).BBox.Center(), 1024, 768, 17, style.Background)
	m, err := NewMap(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range districtLayers(t, fx) {
		m.Draw(l.Style, l.Features)
	}
	m.Image()
	p := m.Placed()
	if len(p) < 100 {
		t.Fatalf("%d labels placed on a dense map at zoom 17", len(p))
	}
	frame := image.Rect(0, 0, f.Width, f.Height)
	for i, a := range p {
		if !a.Box.In(frame) {
			t.Errorf("label %q at %v crosses the image's edge", a.Text, a.Box)
		}
		for _, b := range p[:i] {
			if a.Box.Overlaps(b.Box) {
				t.Fatalf("labels %q at %v and %q at %v overlap", a.Text, a.Box, b.Text, b.Box)
			}
		}
	}
	// Larger parcels first: the first placed are among the largest.
	if !strings.Contains(p[0].Text, "\n") || p[0].Rule != "parcels-label" {
		t.Errorf("first label %+v", p[0])
	}
	// With LabelPartials, labels at the edges are kept too.
	f.LabelPartials = true
	m2, _ := NewMap(f)
	for _, l := range districtLayers(t, fx) {
		m2.Draw(l.Style, l.Features)
	}
	m2.Image()
	if len(m2.Placed()) <= len(p) {
		t.Errorf("partials: %d labels, without %d", len(m2.Placed()), len(p))
	}
}

func TestLabels_LargerAndMoreImportantFirst(t *testing.T) {
	label := func(id string, prio int) style.Label {
		return style.Label{ID: id, Kind: style.TextLabel, Text: "{name}", Size: style.Const(14), Color: black, Priority: prio}
	}
	l := &style.Layer{ID: "t", Labels: []style.Label{label("low", 1), label("high", 2)}}
	l.Labels[0].Filter = style.Filter{Attribute: "rank", In: []string{"low"}}
	l.Labels[1].Filter = style.Filter{Attribute: "rank", In: []string{"high"}}
	small := orb.Polygon{rect(100, 40, 40, 60, 60)}
	big := orb.Polygon{rect(100, 30, 30, 70, 70)}
	m, _ := NewMap(pixelFrame(100, 100, white))
	// Same priority: the larger polygon's name wins, whatever the order.
	m.Draw(l, []Feature{
		{Geometry: small, Properties: map[string]any{"rank": "low", "name": "nhỏ"}},
		{Geometry: big, Properties: map[string]any{"rank": "low", "name": "lớn"}},
	})
	m.Image()
	if p := m.Placed(); len(p) != 1 || p[0].Text != "lớn" {
		t.Errorf("placed %+v, want the larger", p)
	}
	// A higher priority wins over a larger feature.
	m, _ = NewMap(pixelFrame(100, 100, white))
	m.Draw(l, []Feature{
		{Geometry: big, Properties: map[string]any{"rank": "low", "name": "lớn"}},
		{Geometry: small, Properties: map[string]any{"rank": "high", "name": "quan trọng"}},
	})
	m.Image()
	if p := m.Placed(); len(p) != 1 || p[0].Text != "quan trọng" {
		t.Errorf("placed %+v, want the more important", p)
	}
}

func TestLabels_InsideConcavePolygons(t *testing.T) {
	// A "C": its centroid lies in the opening, outside the polygon.
	c := orb.Polygon{{{10, 10}, {90, 10}, {90, 30}, {30, 30}, {30, 70}, {90, 70}, {90, 90}, {10, 90}, {10, 10}}}
	m, _ := NewMap(pixelFrame(100, 100, white))
	x, y, _, ok := m.anchor(c)
	if !ok {
		t.Fatal("no anchor")
	}
	rings := [][]float64{{10, 90, 90, 90, 90, 70, 30, 70, 30, 30, 90, 30, 90, 10, 10, 10}}
	if d := signedDistance(x, y, rings); d < 8 {
		t.Errorf("anchor (%v, %v) is %v pixels inside, want near the middle of the C's back", x, y, d)
	}
	cx, cy, _ := centroid(rings[0])
	if signedDistance(cx, cy, rings) > 0 {
		t.Errorf("the centroid (%v, %v) is inside: a poor test shape", cx, cy)
	}
	// A polygon with a hole: the anchor is not in the hole.
	donut := orb.Polygon{rect(100, 10, 10, 90, 90), reversed(rect(100, 25, 25, 75, 75))}
	x, y, _, _ = m.anchor(donut)
	if x > 25 && x < 75 && y > 25 && y < 75 {
		t.Errorf("anchor (%v, %v) in the hole", x, y)
	}
	// Lines: the middle; points: the point.
	if x, y, _, ok := m.anchor(orb.LineString{{0, 50}, {10, 50}, {10, 90}}); !ok || x != 10 || y != 35 {
		t.Errorf("line middle (%v, %v)", x, y)
	}
	if x, y, _, ok := m.anchor(orb.Point{20, 30}); !ok || x != 20 || y != 70 {
		t.Errorf("point (%v, %v)", x, y)
	}
}

func TestLabels_ZoomRules(t *testing.T) {
	fx := loadFixture(t)
	for _, tc := range []struct {
		zoom  float64
		rules map[string]bool
	}{
		{15, map[string]bool{"admin-commune-label": true}},
		{17, map[string]bool{"parcels-label": true}},
	} {
		f := centredFrame(tileFrame(fx.tile, style.Background).BBox.Center(), 512, 512, tc.zoom, style.Background)
		m, _ := NewMap(f)
		for _, l := range districtLayers(t, fx) {
			m.Draw(l.Style, l.Features)
		}
		m.Image()
		got := map[string]bool{}
		for _, p := range m.Placed() {
			got[p.Rule] = true
		}
		for r := range got {
			if !tc.rules[r] {
				t.Errorf("zoom %v: labels of %s", tc.zoom, r)
			}
		}
		if len(got) == 0 {
			t.Errorf("zoom %v: no labels", tc.zoom)
		}
	}
}
