package render

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

// pixelFrame is a frame whose units are pixels: x to the right, y up from the bottom edge.
func pixelFrame(w, h int, bg color.NRGBA) Frame {
	return Frame{Width: w, Height: h, BBox: orb.Bound{Max: orb.Point{float64(w), float64(h)}}, Background: bg, Zoom: 17}
}

// rect is the polygon of pixel columns x0..x1 and rows y0..y1 (from the top) of a pixel frame of
// height h.
func rect(h, x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, h - y1}, {x1, h - y1}, {x1, h - y0}, {x0, h - y0}, {x0, h - y1}}
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

func fillLayer(c color.NRGBA) *style.Layer {
	return &style.Layer{ID: "t", Rules: []style.Rule{{ID: "f", Fill: &style.Fill{Color: c}}}}
}

func strokeLayer(c color.NRGBA, width float64, dash ...float64) *style.Layer {
	return &style.Layer{ID: "t", Rules: []style.Rule{{ID: "s", Stroke: &style.Stroke{Color: c, Width: style.Const(width), Dash: dash}}}}
}

func draw1(t *testing.T, f Frame, l *style.Layer, g ...orb.Geometry) *image.RGBA {
	t.Helper()
	fs := make([]Feature, len(g))
	for i := range g {
		fs[i] = Feature{Geometry: g[i]}
	}
	img, err := Render(f, Layer{Style: l, Features: fs})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// count counts the pixels in r for which ok holds.
func count(img *image.RGBA, r image.Rectangle, ok func(c color.NRGBA) bool) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ok(pixel(img, x, y)) {
				n++
			}
		}
	}
	return n
}

func is(want color.NRGBA) func(color.NRGBA) bool {
	return func(c color.NRGBA) bool { return c == want }
}

func TestFill_SquareExactlyWhereExpected(t *testing.T) {
	img := draw1(t, pixelFrame(100, 100, white), fillLayer(red), orb.Polygon{rect(100, 20, 30, 60, 80)})
	inside := image.Rect(20, 30, 60, 80)
	if n := count(img, inside, is(red)); n != 40*50 {
		t.Errorf("%d red pixels inside the square, want %d", n, 40*50)
	}
	if n := count(img, img.Rect, is(red)); n != 40*50 {
		t.Errorf("%d red pixels in all, want exactly the square's %d", n, 40*50)
	}
	if n := count(img, img.Rect, is(white)); n != 100*100-40*50 {
		t.Errorf("%d background pixels, want %d", n, 100*100-40*50)
	}
}

func TestFill_HolesStayBackground(t *testing.T) {
	outer := rect(100, 10, 10, 90, 90)
	hole := rect(100, 30, 30, 70, 70)
	for _, tc := range []struct {
		name string
		poly orb.Polygon
	}{
		{"opposite winding", orb.Polygon{outer, reversed(hole)}},
		{"same winding", orb.Polygon{outer, hole}},
		{"clockwise exterior", orb.Polygon{reversed(outer), hole}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := draw1(t, pixelFrame(100, 100, white), fillLayer(red), tc.poly)
			if n := count(img, image.Rect(30, 30, 70, 70), is(white)); n != 40*40 {
				t.Errorf("%d of the hole's %d pixels are background", n, 40*40)
			}
			if n := count(img, img.Rect, is(red)); n != 80*80-40*40 {
				t.Errorf("%d red pixels, want the ring's %d", n, 80*80-40*40)
			}
		})
	}
	// A multipolygon whose parts overlap with opposite windings: the overlap is filled, not
	// cancelled out.
	img := draw1(t, pixelFrame(100, 100, white), fillLayer(red),
		orb.MultiPolygon{{rect(100, 10, 10, 60, 60)}, {reversed(rect(100, 40, 40, 90, 90))}})
	if n := count(img, image.Rect(40, 40, 60, 60), is(red)); n != 400 {
		t.Errorf("overlap: %d of 400 pixels filled", n)
	}
}

func TestFill_AntiAliasedEdges(t *testing.T) {
	// Transparent background: the alpha is the coverage.
	img := draw1(t, pixelFrame(100, 100, color.NRGBA{}), fillLayer(black), orb.Polygon{rect(100, 20.5, 20, 60, 60)})
	// Column 20 is half covered.
	for y := 20; y < 60; y++ {
		if a := pixel(img, 20, y).A; a < 120 || a > 136 {
			t.Fatalf("pixel (20, %d): alpha %d, want about half", y, a)
		}
	}
	// A diagonal edge: some pixels between empty and full.
	img = draw1(t, pixelFrame(100, 100, color.NRGBA{}), fillLayer(black), orb.Polygon{{{10, 10}, {90, 30}, {50, 90}, {10, 10}}})
	partial := count(img, img.Rect, func(c color.NRGBA) bool { return c.A > 10 && c.A < 245 })
	full := count(img, img.Rect, func(c color.NRGBA) bool { return c.A == 255 })
	if partial < 100 || full < 1000 {
		t.Errorf("triangle: %d partial and %d full pixels", partial, full)
	}
	if c := pixel(img, 0, 0); c.A != 0 {
		t.Errorf("outside: %v", c)
	}
}

func TestFill_NonSquarePixelsAndOffsets(t *testing.T) {
	// 200×100 pixels over a 100×100 box in EPSG:3857-like metres far from the origin.
	f := Frame{Width: 200, Height: 100, BBox: orb.Bound{Min: orb.Point{11_900_000, 1_290_000}, Max: orb.Point{11_900_100, 1_290_100}}, Background: white, Zoom: 18}
	sq := orb.Polygon{{{11_900_025, 1_290_025}, {11_900_075, 1_290_025}, {11_900_075, 1_290_075}, {11_900_025, 1_290_075}, {11_900_025, 1_290_025}}}
	img := draw1(t, f, fillLayer(red), sq)
	if n := count(img, image.Rect(50, 25, 150, 75), is(red)); n != 100*50 {
		t.Errorf("%d red pixels in the 100×50 rectangle", n)
	}
	if n := count(img, img.Rect, is(red)); n != 100*50 {
		t.Errorf("%d red pixels in all", n)
	}
}

func TestFill_HugePolygonIsClipped(t *testing.T) {
	// A polygon a million times the frame, with many vertices far outside.
	var ring orb.Ring
	for i := 0; i <= 100_000; i++ {
		a := 2 * math.Pi * float64(i) / 100_000
		ring = append(ring, orb.Point{50 + 1e8*math.Cos(a), 50 + 1e8*math.Sin(a)})
	}
	img := draw1(t, pixelFrame(100, 100, white), fillLayer(red), orb.Polygon{ring})
	if n := count(img, img.Rect, is(red)); n != 100*100 {
		t.Errorf("%d of %d pixels filled", n, 100*100)
	}
	// And its outline, far away, draws nothing.
	img = draw1(t, pixelFrame(100, 100, white), strokeLayer(black, 2), orb.Polygon{ring})
	if n := count(img, img.Rect, is(white)); n != 100*100 {
		t.Errorf("the far outline touched %d pixels", 100*100-n)
	}
}

// column lists the alpha of column x, rows y0..y1.
func column(img *image.RGBA, x, y0, y1 int) []uint8 {
	var out []uint8
	for y := y0; y < y1; y++ {
		out = append(out, pixel(img, x, y).A)
	}
	return out
}

func TestStroke_Width(t *testing.T) {
	clear := color.NRGBA{}
	for _, tc := range []struct {
		width float64
		y     float64 // the line's row coordinate from the top
		want  []uint8 // alpha of rows 45..55
	}{
		// 3 pixels wide on a pixel's centre: rows 49, 50, 51.
		{3, 50.5, []uint8{0, 0, 0, 0, 255, 255, 255, 0, 0, 0}},
		// 2 pixels wide on a pixel edge: rows 49 and 50.
		{2, 50, []uint8{0, 0, 0, 0, 255, 255, 0, 0, 0, 0}},
		// 4 pixels wide on a pixel's centre: rows 49–51 full, 48 and 52 half.
		{4, 50.5, []uint8{0, 0, 0, 128, 255, 255, 255, 128, 0, 0}},
	} {
		img := draw1(t, pixelFrame(100, 100, clear), strokeLayer(black, tc.width), orb.LineString{{10, 100 - tc.y}, {90, 100 - tc.y}})
		got := column(img, 50, 45, 55)
		for i := range got {
			if d := int(got[i]) - int(tc.want[i]); d < -2 || d > 2 {
				t.Errorf("width %v: rows 45–54 alpha %v, want %v", tc.width, got, tc.want)
				break
			}
		}
		// The same across, for a vertical line.
		img = draw1(t, pixelFrame(100, 100, clear), strokeLayer(black, tc.width), orb.LineString{{tc.y, 10}, {tc.y, 90}})
		for i, x := 0, 45; x < 55; i, x = i+1, x+1 {
			if d := int(pixel(img, x, 50).A) - int(tc.want[i]); d < -2 || d > 2 {
				t.Errorf("vertical width %v: column %d alpha %d, want %d", tc.width, x, pixel(img, x, 50).A, tc.want[i])
			}
		}
	}
	// A hairline: a pixel wide, half as dark.
	img := draw1(t, pixelFrame(100, 100, clear), strokeLayer(black, 0.5), orb.LineString{{10, 49.5}, {90, 49.5}})
	if got := column(img, 50, 49, 52); got[0] != 0 || got[1] < 120 || got[1] > 136 || got[2] != 0 {
		t.Errorf("hairline rows 49–51 alpha %v, want 0, ~128, 0", got)
	}
}

func TestStroke_JoinsAndClosedRings(t *testing.T) {
	// A square outline 4 pixels wide along pixel centres: every pixel of the band is full, the
	// corners included (miter joins), and nothing outside or in the middle.
	img := draw1(t, pixelFrame(100, 100, color.NRGBA{}), strokeLayer(black, 4), orb.Polygon{rect(100, 20, 20, 80, 80)})
	band := func(x, y int) bool {
		in := func(v int) bool { return v >= 18 && v < 82 }
		inner := func(v int) bool { return v >= 22 && v < 78 }
		return in(x) && in(y) && !(inner(x) && inner(y))
	}
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			a := pixel(img, x, y).A
			if band(x, y) && a != 255 {
				t.Fatalf("band pixel (%d, %d) alpha %d, want 255", x, y, a)
			}
			if !band(x, y) && a != 0 {
				t.Fatalf("pixel (%d, %d) outside the band has alpha %d", x, y, a)
			}
		}
	}
	// An open line with a sharp turn: the join is filled, with no seam between the segments.
	img = draw1(t, pixelFrame(100, 100, color.NRGBA{}), strokeLayer(black, 6), orb.LineString{{10, 50}, {50, 50}, {50, 90}})
	for _, p := range []image.Point{{48, 50}, {52, 50}, {50, 48}, {52, 48}, {30, 50}, {50, 30}} {
		if a := pixel(img, p.X, p.Y).A; a != 255 {
			t.Errorf("pixel %v at the turn: alpha %d", p, a)
		}
	}
}

func TestStroke_Dashes(t *testing.T) {
	// Width 2, dashes of 3 widths and gaps of 2: 6 pixels on, 4 off, from x = 10.
	img := draw1(t, pixelFrame(100, 20, color.NRGBA{}), strokeLayer(black, 2, 3, 2), orb.LineString{{10, 10}, {90, 10}})
	for x := 10; x < 90; x++ {
		on := (x-10)%10 < 6
		a := pixel(img, x, 9).A
		if on && a != 255 || !on && a != 0 {
			t.Fatalf("x = %d: alpha %d, on %v", x, a, on)
		}
	}
}

func TestStroke_SharedEdgeDrawnOnce(t *testing.T) {
	half := color.NRGBA{0, 0, 0, 128}
	// Two squares side by side share the edge x = 50; a translucent outline is as dark there as
	// on the other edges.
	img := draw1(t, pixelFrame(100, 100, color.NRGBA{}), strokeLayer(half, 2),
		orb.Polygon{rect(100, 10, 10, 50, 90)}, orb.Polygon{rect(100, 50, 10, 90, 90)})
	shared, single := pixel(img, 50, 50).A, pixel(img, 10, 50).A
	if shared != single {
		t.Errorf("shared edge alpha %d, single edge %d", shared, single)
	}
}

func TestMarkers(t *testing.T) {
	l := style.Default("wells", "Giếng", "Point")
	// Centred on pixel (50, 49): the radius-5 ring spans x 55.0–56.0 exactly.
	img := draw1(t, pixelFrame(100, 100, color.NRGBA{}), l, orb.Point{50.5, 50.5}, orb.MultiPoint{{20, 20}})
	c := style.ImportedColor("wells")
	for _, p := range []image.Point{{50, 49}, {20, 80}} {
		if got := pixel(img, p.X, p.Y); got != c {
			t.Errorf("centre %v: %v, want %v", p, got, c)
		}
	}
	// The white ring at the radius, nothing beyond.
	if got := pixel(img, 55, 49); !near(got, white, 8) {
		t.Errorf("ring: %v", got)
	}
	if got := pixel(img, 57, 49); got.A != 0 {
		t.Errorf("beyond the marker: %v", got)
	}
}

func TestBackground(t *testing.T) {
	bg := color.NRGBA{0x12, 0x34, 0x56, 0xff}
	img := draw1(t, pixelFrame(10, 10, bg), fillLayer(red))
	if n := count(img, img.Rect, is(bg)); n != 100 {
		t.Errorf("%d pixels of BGCOLOR", n)
	}
	if !img.Opaque() {
		t.Error("an image on an opaque background is not opaque")
	}
	img = draw1(t, pixelFrame(10, 10, color.NRGBA{}), fillLayer(red), orb.Polygon{rect(10, 0, 0, 5, 10)})
	if n := count(img, img.Rect, func(c color.NRGBA) bool { return c.A == 0 }); n != 50 {
		t.Errorf("%d transparent pixels, want 50", n)
	}
}

func TestPalette_ParcelsFilledByMainUse(t *testing.T) {
	codes := []style.LandUse{{Code: "ONT", Group: style.GroupNonAgricultural}, {Code: "XNN", Group: style.GroupAgricultural}}
	p := style.NewPalette(codes)
	l := style.Parcels(p)
	f := pixelFrame(40, 10, white)
	f.Zoom = 15 // outlines thin, no labels
	var fs []Feature
	for i, code := range []string{"ONT", "XNN", "QQQ", ""} {
		fs = append(fs, Feature{Geometry: orb.Polygon{rect(10, float64(10*i), 0, float64(10*i+10), 10)}, Properties: map[string]any{"main_use": code}})
	}
	img, err := Render(f, Layer{Style: l, Features: fs})
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"ONT", "XNN", "QQQ", ""} {
		want := over(style.WithOpacity(p.Color(code), 0.75), white)
		if got := pixel(img, 10*i+5, 5); !near(got, want, 2) {
			t.Errorf("%q: %v, want %v", code, got, want)
		}
	}
}

// over composites c over an opaque background.
func over(c, bg color.NRGBA) color.NRGBA {
	a := float64(c.A) / 255
	mix := func(s, d uint8) uint8 { return uint8(math.Round(float64(s)*a + float64(d)*(1-a))) }
	return color.NRGBA{mix(c.R, bg.R), mix(c.G, bg.G), mix(c.B, bg.B), 255}
}

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v >= -tol && v <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestNewMap_RefusesBadFrames(t *testing.T) {
	good := pixelFrame(10, 10, white)
	for _, tc := range []struct {
		name string
		edit func(f *Frame)
	}{
		{"zero width", func(f *Frame) { f.Width = 0 }},
		{"negative height", func(f *Frame) { f.Height = -1 }},
		{"too wide", func(f *Frame) { f.Width = MaxSide + 1 }},
		{"empty bbox", func(f *Frame) { f.BBox.Max = f.BBox.Min }},
		{"inverted bbox", func(f *Frame) { f.BBox.Min, f.BBox.Max = f.BBox.Max, f.BBox.Min }},
		{"NaN bbox", func(f *Frame) { f.BBox.Max[0] = math.NaN() }},
		{"infinite bbox", func(f *Frame) { f.BBox.Min[1] = math.Inf(-1) }},
		{"NaN zoom", func(f *Frame) { f.Zoom = math.NaN() }},
	} {
		f := good
		tc.edit(&f)
		if _, err := NewMap(f); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v, want ErrFrame", tc.name, err)
		}
	}
	if _, err := NewMap(good); err != nil {
		t.Error(err)
	}
}

// Maps drawn at once share the font caches: the images are the same as drawn alone.
func TestConcurrentMaps(t *testing.T) {
	fx := loadFixture(t)
	f := centredFrame(tileFrame(fx.tile, style.Background).BBox.Center(), 300, 200, 17.5, style.Background)
	want, err := Render(f, districtLayers(t, fx)...)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := Render(f, districtLayers(t, fx)...)
			if err != nil {
				errs <- err.Error()
				return
			}
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					errs <- "a map drawn concurrently differs"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// strokeImage strokes one line of pixel coordinates (y down) with a stroker, as one outline per
// run or piece by piece.
func strokeImage(t *testing.T, pts []float64, closed bool, width float64, pieces bool) *image.RGBA {
	t.Helper()
	m, err := NewMap(pixelFrame(200, 200, color.NRGBA{}))
	if err != nil {
		t.Fatal(err)
	}
	st := m.newStroker(width, nil)
	line := append([]float64(nil), pts...)
	if closed {
		line = append(line, pts[0], pts[1])
	}
	if pieces {
		st.pieces(line)
	} else {
		st.polyline(line, closed)
	}
	m.rasterize(st.out, black)
	return m.Image()
}

// The outline stroker covers what the union of a quadrilateral per segment and a wedge per join
// covers, for concave rings, sharp turns, slivers and self-crossing lines.
func TestStroke_OutlineMatchesPieces(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		var pts []float64
		closed := i%2 == 0
		n := 3 + rnd.IntN(12)
		for k := range n {
			if closed {
				// A star-shaped ring: concave corners, some sharp.
				a := 2 * math.Pi * float64(k) / float64(n)
				r := 20 + rnd.Float64()*70
				pts = append(pts, 100+r*math.Cos(a), 100+r*math.Sin(a))
			} else {
				pts = append(pts, 10+rnd.Float64()*180, 10+rnd.Float64()*180)
			}
		}
		width := 1 + rnd.Float64()*7
		a := strokeImage(t, pts, closed, width, false)
		b := strokeImage(t, pts, closed, width, true)
		covered, off := 0, 0
		for j := 3; j < len(a.Pix); j += 4 {
			if b.Pix[j] > 0 {
				covered++
			}
			if d := int(a.Pix[j]) - int(b.Pix[j]); d > 64 || d < -64 {
				off++
			}
		}
		// Pieces overlapping at a join add up their edges' partial coverage: a handful of
		// pixels may differ there, never a run of them.
		if off > covered/200+4 {
			t.Errorf("line %d (closed %v, width %.1f, %d points): %d of %d pixels differ", i, closed, width, n, off, covered)
		}
	}
}

// A sharp turn is bevelled: no miter spike reaches past the miter limit (2 half widths).
func TestStroke_MiterLimit(t *testing.T) {
	// A 10° V with its tip at (100, 40), opening downwards, 6 pixels wide.
	a := 5 * math.Pi / 180
	tip := [2]float64{100, 40}
	pts := []float64{tip[0] - 100*math.Sin(a), tip[1] + 100*math.Cos(a), tip[0], tip[1], tip[0] + 100*math.Sin(a), tip[1] + 100*math.Cos(a)}
	img := strokeImage(t, pts, false, 6, false)
	for y := 0; y < int(tip[1])-3-1; y++ {
		for x := 0; x < 200; x++ {
			if pixel(img, x, y).A != 0 {
				t.Fatalf("ink at (%d, %d), above the tip's bevel", x, y)
			}
		}
	}
	if pixel(img, 100, 39).A == 0 {
		t.Error("no ink just above the tip")
	}
}

// Coordinates that are not numbers, or absurdly far (a projection that failed), are skipped,
// not drawn or looped over.
func TestBadCoordinatesAreSkipped(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	l := style.Default("x", "x", "Geometry")
	l.Labels = []style.Label{{ID: "l", Kind: style.TextLabel, Text: "{name}", Size: style.Const(12), Color: black}}
	props := map[string]any{"name": "x"}
	var fs []Feature
	for _, g := range []orb.Geometry{
		orb.Polygon{{{10, 10}, {nan, 20}, {20, 20}, {10, 10}}},
		orb.Polygon{{{10, 10}, {inf, 20}, {20, 20}, {10, 10}}},
		orb.LineString{{10, 10}, {1e300, -1e300}},
		orb.Point{nan, 5},
		orb.MultiPoint{{inf, inf}},
		orb.LineString{{nan, nan}},
	} {
		fs = append(fs, Feature{Geometry: g, Properties: props})
	}
	img, err := Render(pixelFrame(50, 50, white), Layer{Style: l, Features: fs})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(img, img.Rect, is(white)); n != 50*50 {
		t.Errorf("%d pixels drawn from bad coordinates", 50*50-n)
	}
}
