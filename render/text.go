package render

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"github.com/dongnai-gis/gisd/render/fonts"
	"github.com/dongnai-gis/gisd/style"
)

var (
	fontsOnce sync.Once
	fontFiles [2]*opentype.Font // by style.FontWeight
	fontErr   error
	faces     sync.Map // faceKey -> *face
)

func parsedFont(w style.FontWeight) (*opentype.Font, error) {
	fontsOnce.Do(func() {
		for i, b := range [][]byte{fonts.NotoSansRegular, fonts.NotoSansBold} {
			f, err := opentype.Parse(b)
			if err != nil {
				fontErr = fmt.Errorf("render: embedded font %d: %w", i, err)
				return
			}
			fontFiles[i] = f
		}
	})
	if fontErr != nil {
		return nil, fontErr
	}
	if w == style.Bold {
		return fontFiles[1], nil
	}
	return fontFiles[0], nil
}

// subpixel is how many horizontal positions within a pixel a glyph is rasterized at: text set at
// whole pixels looks unevenly spaced at map label sizes.
const subpixel = 4

type faceKey struct {
	weight  style.FontWeight
	quarter int // size in quarter pixels
}

// face is a font at one size with its glyphs cached. Faces are shared by every Map: a glyph is
// rasterized once per process.
type face struct {
	mu      sync.Mutex
	f       font.Face
	glyphs  map[glyphKey]*glyph
	ascent  float64 // pixels above the baseline of the tallest letters (with Vietnamese marks)
	descent float64
	size    float64
}

type glyphKey struct {
	r     rune
	phase uint8
}

// glyph is a rasterized glyph: its coverage, where its top-left corner is from the dot (the
// pen's whole-pixel position on the baseline), and its advance.
type glyph struct {
	mask *image.Alpha
	off  image.Point
	adv  float64
	ok   bool // the font has this character
}

// faceFor returns the shared face of a weight and size (pixels, rounded to a quarter).
func faceFor(w style.FontWeight, size float64) (*face, error) {
	// Faces are cached for good: bound the sizes a request can ask for.
	size = min(max(size, 4), 96)
	k := faceKey{w, int(math.Round(size * 4))}
	if f, ok := faces.Load(k); ok {
		return f.(*face), nil
	}
	of, err := parsedFont(w)
	if err != nil {
		return nil, err
	}
	px := float64(k.quarter) / 4
	ff, err := opentype.NewFace(of, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("render: font at %v px: %w", px, err)
	}
	m := ff.Metrics()
	f := &face{f: ff, glyphs: map[glyphKey]*glyph{}, ascent: fix(m.Ascent), descent: fix(m.Descent), size: px}
	actual, _ := faces.LoadOrStore(k, f)
	return actual.(*face), nil
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

// glyph returns the glyph of r drawn with the pen at x (pixels) from a whole pixel.
func (f *face) glyph(r rune, frac float64) *glyph {
	k := glyphKey{r, uint8(int(frac*subpixel) % subpixel)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.glyphs[k]; ok {
		return g
	}
	dot := fixed.Point26_6{X: fixed.Int26_6(int(k.phase) * 64 / subpixel)}
	dr, mask, mp, adv, ok := f.f.Glyph(dot, r)
	g := &glyph{adv: fix(adv), ok: ok, off: dr.Min}
	if !dr.Empty() {
		a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(a, a.Rect, mask, mp, draw.Src) // the face reuses its mask: copy it
		g.mask = a
	}
	f.glyphs[k] = g
	return g
}

// placedGlyph is a glyph at a whole-pixel position of a label block.
type placedGlyph struct {
	g    *glyph
	x, y int // the glyph mask's top-left corner in the block
}

// textRun lays out one line of text with its pen starting at (x, baseline y) and appends the
// glyphs; it returns the pen's end x. Text is put in NFC first: the font has the precomposed
// Vietnamese letters, and this renderer does not position combining marks.
func (f *face) textRun(dst []placedGlyph, s string, x, y float64) ([]placedGlyph, float64) {
	for _, r := range norm.NFC.String(s) {
		fl := math.Floor(x)
		g := f.glyph(r, x-fl)
		if g.mask != nil {
			dst = append(dst, placedGlyph{g, int(fl) + g.off.X, int(math.Round(y)) + g.off.Y})
		}
		x += g.adv
	}
	return dst, x
}

// width is the advance of s in pixels.
func (f *face) width(s string) float64 {
	var w float64
	for _, r := range norm.NFC.String(s) {
		w += f.glyph(r, 0).adv
	}
	return w
}

// Covers reports whether the embedded font (both weights) has a glyph for every letter of s.
func Covers(s string) bool {
	for _, w := range []style.FontWeight{style.Regular, style.Bold} {
		f, err := faceFor(w, 12)
		if err != nil {
			return false
		}
		for _, r := range norm.NFC.String(s) {
			if r == ' ' || r == '\n' {
				continue
			}
			if !f.glyph(r, 0).ok {
				return false
			}
		}
	}
	return true
}
