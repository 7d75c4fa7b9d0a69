package render

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

func encode(t testing.TB, img *image.RGBA, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, img, f, EncodeOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testMap is a small map of the district with labels: flat colours, edges, text.
func testMap(t testing.TB, bg color.NRGBA) *image.RGBA {
	fx := loadFixture(t)
	f := centredFrame(tileFrame(fx.tile, style.Background).BBox.Center(), 256, 256, 17.5, bg)
	img, err := Render(f, districtLayers(t, fx)...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestEncode_PNG32RoundTrip(t *testing.T) {
	for _, bg := range []color.NRGBA{style.Background, {}} {
		img := testMap(t, bg)
		got, err := png.Decode(bytes.NewReader(encode(t, img, PNG)))
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != img.Rect {
			t.Fatalf("bounds %v", got.Bounds())
		}
		for y := 0; y < 256; y++ {
			for x := 0; x < 256; x++ {
				a := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				// PNG stores unpremultiplied colour: compare after the same conversion.
				if b := pixel(img, x, y); a != b {
					t.Fatalf("(%d, %d): decoded %v, drawn %v", x, y, a, b)
				}
			}
		}
	}
}

// psnr is the peak signal-to-noise ratio of b against a over the premultiplied channels, in dB.
func psnr(a *image.RGBA, b image.Image) float64 {
	var se float64
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8), float64(a1>>8) - float64(a2>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(4*a.Rect.Dx()*a.Rect.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// styleFixedPalette is the alternative to quantizing each image: a fixed palette of the style's
// colours over the background, and a 6×6×6 cube of shades for the rest.
func styleFixedPalette(bg color.NRGBA) color.Palette {
	var p color.Palette
	seen := map[color.NRGBA]bool{}
	add := func(c color.NRGBA) {
		if !seen[c] && len(p) < 256 {
			seen[c] = true
			p = append(p, c)
		}
	}
	add(bg)
	for _, l := range []*style.Layer{style.Parcels(style.NewPalette(nil)), style.Constructions(), style.AdminUnits()} {
		for _, c := range l.Colors() {
			add(over(c, bg))
		}
	}
	for r := 0; r < 6; r++ {
		for g := 0; g < 6; g++ {
			for b := 0; b < 6; b++ {
				add(color.NRGBA{uint8(r * 51), uint8(g * 51), uint8(b * 51), 255})
			}
		}
	}
	return p
}

// The 8-bit PNG's palette: exact for flat colours, close for the rest, and better than a fixed
// palette made of the style's colours (measured here: PSNR logged).
func TestEncode_PNG8(t *testing.T) {
	img := testMap(t, style.Background)
	got, err := png.Decode(bytes.NewReader(encode(t, img, PNG8)))
	if err != nil {
		t.Fatal(err)
	}
	pal, ok := got.(*image.Paletted)
	if !ok || len(pal.Palette) > 256 {
		t.Fatalf("decoded %T", got)
	}
	adaptive := psnr(img, got)
	fixed := image.NewPaletted(img.Rect, styleFixedPalette(style.Background))
	draw.Draw(fixed, fixed.Rect, img, image.Point{}, draw.Src)
	plan9 := image.NewPaletted(img.Rect, palette.Plan9)
	draw.Draw(plan9, plan9.Rect, img, image.Point{}, draw.Src)
	t.Logf("PSNR: adaptive %.1f dB, fixed style palette %.1f dB, Plan 9 palette %.1f dB; %d colours in the image",
		adaptive, psnr(img, fixed), psnr(img, plan9), len(histogram(img)))
	if adaptive < 38 || adaptive < psnr(img, fixed) || adaptive < psnr(img, plan9) {
		t.Errorf("adaptive palette PSNR %.1f dB", adaptive)
	}
	// The background, the most common colour, is kept exactly.
	bg := color.NRGBAModel.Convert(got.At(0, 0)).(color.NRGBA)
	if want := pixel(img, 0, 0); bg != want {
		t.Errorf("corner %v, drawn %v", bg, want)
	}
	// Few colours: all exact.
	small := draw1(t, pixelFrame(64, 64, white), fillLayer(red), orb.Polygon{rect(64, 10.5, 10, 50, 50)})
	q := Quantize(small, 256)
	if p := psnr(small, q); !math.IsInf(p, 1) {
		t.Errorf("an image of %d colours quantized with loss (%.1f dB)", len(histogram(small)), p)
	}
}

func TestEncode_PNG8KeepsTransparency(t *testing.T) {
	// Every other parcel, on a transparent background: gaps, edges and labels over nothing.
	fx := loadFixture(t)
	layers := districtLayers(t, fx)
	var some []Feature
	for i, f := range layers[0].Features {
		if i%2 == 0 {
			some = append(some, f)
		}
	}
	layers[0].Features = some
	img, err := Render(centredFrame(tileFrame(fx.tile, style.Background).BBox.Center(), 256, 256, 17.5, color.NRGBA{}), layers...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(encode(t, img, PNG8)))
	if err != nil {
		t.Fatal(err)
	}
	transparent, kept := 0, 0
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			if pixel(img, x, y).A == 0 {
				transparent++
				if _, _, _, a := got.At(x, y).RGBA(); a == 0 {
					kept++
				}
			}
		}
	}
	if transparent < 1000 || kept != transparent {
		t.Errorf("%d of %d transparent pixels stay transparent", kept, transparent)
	}
	if p := psnr(img, got); p < 38 {
		t.Errorf("PSNR %.1f dB", p)
	}
}

func TestEncode_JPEG(t *testing.T) {
	img := testMap(t, style.Background)
	got, err := jpeg.Decode(bytes.NewReader(encode(t, img, JPEG)))
	if err != nil {
		t.Fatal(err)
	}
	if p := psnr(img, got); p < 28 {
		t.Errorf("JPEG at quality 85: PSNR %.1f dB", p)
	}
	// Transparent pixels are flattened onto the background given (white by default).
	clear := draw1(t, pixelFrame(32, 32, color.NRGBA{}), fillLayer(red), orb.Polygon{rect(32, 0, 0, 16, 32)})
	for _, tc := range []struct {
		bg, want color.NRGBA
	}{{color.NRGBA{}, white}, {color.NRGBA{0, 0, 255, 255}, color.NRGBA{0, 0, 255, 255}}} {
		var buf bytes.Buffer
		if err := Encode(&buf, clear, JPEG, EncodeOptions{JPEGQuality: 95, Background: tc.bg}); err != nil {
			t.Fatal(err)
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if c := color.NRGBAModel.Convert(dec.At(28, 16)).(color.NRGBA); !near(c, tc.want, 8) {
			t.Errorf("flattened onto %v: %v", tc.bg, c)
		}
		if c := color.NRGBAModel.Convert(dec.At(4, 16)).(color.NRGBA); !near(c, red, 8) {
			t.Errorf("red half: %v", c)
		}
	}
	if err := Encode(&bytes.Buffer{}, clear, JPEG, EncodeOptions{JPEGQuality: 101}); err == nil {
		t.Error("quality 101 accepted")
	}
}

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"image/png", PNG, true},
		{"IMAGE/PNG", PNG, true},
		{"image/png; mode=8bit", PNG8, true},
		{"image/png;mode=8bit", PNG8, true},
		{"image/png8", PNG8, true},
		{"image/png; mode=24bit", PNG, true},
		{"image/jpeg", JPEG, true},
		{"image/jpg", JPEG, true},
		{"image/gif", 0, false},
		{"image/png; mode=4bit", 0, false},
		{"", 0, false},
		{"png", 0, false},
	} {
		got, ok := FormatOf(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("FormatOf(%q) = %v, %v", tc.in, got, ok)
		}
		if ok {
			if back, ok := FormatOf(got.ContentType()); !ok || back != got {
				t.Errorf("%v: content type %q does not read back", got, got.ContentType())
			}
		}
	}
}

func TestLegend(t *testing.T) {
	codes := []style.LandUse{
		{Code: "CLN", Name: "Đất trồng cây lâu năm", Group: style.GroupAgricultural},
		{Code: "ONT", Name: "Đất ở tại nông thôn", Group: style.GroupNonAgricultural},
		{Code: "BHK", Name: "Đất bằng trồng cây hàng năm khác", Group: style.GroupAgricultural, Legacy: true},
	}
	p := style.NewPalette(codes)
	img, err := Legend(style.Parcels(p), LegendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Two groups with a heading each and one current code each; the legacy code is left out.
	rowH := int(math.Ceil(12 * 1.5))
	if want := 2*6 + 4*rowH; img.Rect.Dy() != want {
		t.Errorf("height %d, want %d (4 rows)", img.Rect.Dy(), want)
	}
	if img.Rect.Dx() < 150 {
		t.Errorf("width %d: the names do not fit", img.Rect.Dx())
	}
	// The swatches are the map's colours.
	for _, code := range []string{"CLN", "ONT"} {
		want := over(style.WithOpacity(p.Color(code), 0.75), white)
		if count(img, img.Rect, func(c color.NRGBA) bool { return near(c, want, 2) }) < 100 {
			t.Errorf("no swatch of %s (%v)", code, want)
		}
	}
	if n := count(img, img.Rect, func(c color.NRGBA) bool { return c.R < 80 && c.G < 80 }); n < 200 {
		t.Errorf("%d dark pixels: no text", n)
	}
	// Other layers: one row per rule.
	for _, tc := range []struct {
		l    *style.Layer
		rows int
	}{
		{style.AdminUnits(), 3},
		{style.Constructions(), 1},
		{style.Default("roads", "Đường", "LineString"), 1},
		// Fill (framed by the layer's line) and point.
		{style.Default("mixed", "Hỗn hợp", "Geometry"), 2},
	} {
		img, err := Legend(tc.l, LegendOptions{Transparent: true})
		if err != nil {
			t.Fatal(err)
		}
		if want := 2*6 + tc.rows*rowH; img.Rect.Dy() != want {
			t.Errorf("%s: height %d, want %d", tc.l.ID, img.Rect.Dy(), want)
		}
		if _, err := png.Decode(bytes.NewReader(encode(t, img, PNG))); err != nil {
			t.Error(err)
		}
	}
}

// The pruned nearest-colour search answers what trying every entry answers.
func TestQuantize_NearestMatchesExhaustiveSearch(t *testing.T) {
	img := testMap(t, style.Background)
	hist := histogram(img)
	var cols []colorCount
	for k, n := range hist {
		cols = append(cols, colorCount{k, n})
	}
	pal := medianCut(cols, 200)
	n := newNearest(pal)
	for c := range hist {
		got := pal[n.index(c)]
		best := -1
		for _, p := range pal {
			d := 0
			for sh := 0; sh < 32; sh += 8 {
				v := int(c>>sh&0xff) - int(p>>sh&0xff)
				d += v * v
			}
			if best < 0 || d < best {
				best = d
			}
		}
		d := 0
		for sh := 0; sh < 32; sh += 8 {
			v := int(c>>sh&0xff) - int(got>>sh&0xff)
			d += v * v
		}
		if d != best {
			t.Fatalf("colour %08x: entry at distance %d, the nearest is at %d", c, d, best)
		}
	}
}
