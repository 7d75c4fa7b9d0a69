package render

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"slices"
	"strings"
	"sync"
)

// Format is an image encoding.
type Format uint8

// The formats GetMap offers.
const (
	PNG  Format = iota // 32-bit RGBA PNG
	PNG8               // 8-bit paletted PNG, transparency in the palette
	JPEG               // JPEG; transparent pixels are flattened onto a background
)

// ContentType is the format's media type.
func (f Format) ContentType() string {
	switch f {
	case PNG8:
		return "image/png; mode=8bit"
	case JPEG:
		return "image/jpeg"
	}
	return "image/png"
}

// FormatOf reads a WMS FORMAT value: image/png (32-bit), image/png8 or image/png; mode=8bit
// (the names GeoServer and MapServer use), image/jpeg.
func FormatOf(s string) (Format, bool) {
	t, params, err := mime.ParseMediaType(s)
	if err != nil {
		return 0, false
	}
	switch t {
	case "image/png":
		switch strings.ToLower(params["mode"]) {
		case "", "32bit", "24bit":
			return PNG, true
		case "8bit":
			return PNG8, true
		}
	case "image/png8":
		return PNG8, true
	case "image/jpeg", "image/jpg":
		return JPEG, true
	}
	return 0, false
}

// EncodeOptions tune Encode.
type EncodeOptions struct {
	// JPEGQuality is 1 to 100; 0 means 85.
	JPEGQuality int
	// Background is what JPEG flattens transparent pixels onto; white when its alpha is 0.
	Background color.NRGBA
}

// ErrEncode is wrapped by Encode's errors about its arguments.
var ErrEncode = errors.New("render: encode")

// Encode writes img in format f.
func Encode(w io.Writer, img *image.RGBA, f Format, o EncodeOptions) error {
	switch f {
	case PNG:
		return encodePNG(w, img)
	case PNG8:
		return encodePNG(w, Quantize(img, 256))
	case JPEG:
		q := o.JPEGQuality
		if q == 0 {
			q = 85
		}
		if q < 1 || q > 100 {
			return fmt.Errorf("%w: JPEG quality %d, want 1 to 100", ErrEncode, q)
		}
		bg := o.Background
		if bg.A == 0 {
			bg = color.NRGBA{0xff, 0xff, 0xff, 0xff}
		}
		return jpeg.Encode(w, flatten(img, bg), &jpeg.Options{Quality: q})
	}
	return fmt.Errorf("%w: unknown format %d", ErrEncode, f)
}

// pngEncoder compresses fast: the default level takes 1.6 times as long on map images for files
// 2 to 4 % smaller (BenchmarkEncode: png32 and png32-default), and a map server's CPU is better
// spent drawing.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}
func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

func encodePNG(w io.Writer, img image.Image) error { return pngEncoder.Encode(w, img) }

// flatten composites img onto an opaque background; an image already opaque is returned as is.
func flatten(img *image.RGBA, bg color.NRGBA) image.Image {
	if img.Opaque() {
		return img
	}
	out := image.NewRGBA(img.Rect)
	draw.Draw(out, out.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(out, out.Rect, img, img.Rect.Min, draw.Over)
	return out
}

// Quantize reduces img to a palette of at most n colours (2 to 256). A map is mostly flat areas
// in a few dozen colours, with anti-aliased edges and text between them: the colours that cover
// many pixels keep their exact value, and the remaining entries come from a median cut of the
// rest (the edge shades), weighted by how many pixels each covers. Pixels take the nearest
// entry, without dithering, which would speckle flat areas. An image of at most n colours keeps
// them all exactly.
func Quantize(img *image.RGBA, n int) *image.Paletted {
	n = min(max(n, 2), 256)
	hist := histogram(img)
	cols := make([]colorCount, 0, len(hist))
	for k, c := range hist {
		cols = append(cols, colorCount{k, c})
	}
	// Most used first; ties by value, so the palette does not depend on map order.
	slices.SortFunc(cols, func(a, b colorCount) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.c, b.c)
	})
	var pal []uint32
	if len(cols) <= n {
		for _, c := range cols {
			pal = append(pal, c.c)
		}
	} else {
		// Exact entries for colours covering at least 1/2000 of the image, up to half the
		// palette; the other half at least for the shades.
		total := img.Rect.Dx() * img.Rect.Dy()
		exact := 0
		for exact < n/2 && cols[exact].n*2000 >= total {
			exact++
		}
		for _, c := range cols[:exact] {
			pal = append(pal, c.c)
		}
		pal = append(pal, medianCut(cols[exact:], n-exact)...)
	}
	p := make(color.Palette, len(pal))
	for i, c := range pal {
		p[i] = unpack(c)
	}
	out := image.NewPaletted(img.Rect, p)
	nearest := newNearest(pal)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var last uint32
	var lastIdx uint8
	first := true
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		orow := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range w {
			k := pack(row[4*x:])
			if first || k != last {
				last, lastIdx, first = k, nearest.index(k), false
			}
			orow[x] = lastIdx
		}
	}
	return out
}

type colorCount struct {
	c uint32 // premultiplied RGBA, packed
	n int
}

func pack(p []uint8) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

func unpack(c uint32) color.RGBA {
	return color.RGBA{uint8(c >> 24), uint8(c >> 16), uint8(c >> 8), uint8(c)}
}

// histogram counts the pixels of each colour. Runs of one colour (most of a map) cost one map
// update.
func histogram(img *image.RGBA) map[uint32]int {
	hist := map[uint32]int{}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		run, cur := 0, pack(row)
		for x := range w {
			k := pack(row[4*x:])
			if k != cur {
				hist[cur] += run
				cur, run = k, 0
			}
			run++
		}
		hist[cur] += run
	}
	return hist
}

// medianCut splits the colours into at most n boxes, each time cutting the box whose widest
// channel spread weighs most at its weighted median, and returns each box's weighted mean.
func medianCut(cols []colorCount, n int) []uint32 {
	if len(cols) == 0 || n <= 0 {
		return nil
	}
	type box struct {
		cols   []colorCount
		ch     int
		spread int
		weight int
	}
	measure := func(cs []colorCount) box {
		b := box{cols: cs}
		for ch := range 4 {
			lo, hi := 255, 0
			for _, c := range cs {
				v := int(c.c >> (24 - 8*ch) & 0xff)
				lo, hi = min(lo, v), max(hi, v)
			}
			if hi-lo > b.spread {
				b.spread, b.ch = hi-lo, ch
			}
		}
		for _, c := range cs {
			b.weight += c.n
		}
		return b
	}
	boxes := []box{measure(cols)}
	for len(boxes) < n {
		// The box to cut: the most pixels times the widest spread.
		best, score := -1, 0
		for i, b := range boxes {
			if s := b.spread * b.weight; len(b.cols) > 1 && b.spread > 0 && s > score {
				best, score = i, s
			}
		}
		if best < 0 {
			break
		}
		b := boxes[best]
		shift := 24 - 8*b.ch
		// The weighted median of the channel, from a histogram of its values, then a
		// partition around it: no sort.
		var w [256]int
		lo, hi := 255, 0
		for _, c := range b.cols {
			v := int(c.c >> shift & 0xff)
			w[v] += c.n
			lo, hi = min(lo, v), max(hi, v)
		}
		median, acc := lo, 0
		for v := lo; v < hi; v++ {
			acc += w[v]
			median = v
			if 2*acc >= b.weight {
				break
			}
		}
		cut := 0
		for i, c := range b.cols {
			if int(c.c>>shift&0xff) <= median {
				b.cols[i], b.cols[cut] = b.cols[cut], b.cols[i]
				cut++
			}
		}
		boxes[best] = measure(b.cols[:cut])
		boxes = append(boxes, measure(b.cols[cut:]))
	}
	out := make([]uint32, 0, len(boxes))
	for _, b := range boxes {
		var s [4]int
		for _, c := range b.cols {
			for ch := range 4 {
				s[ch] += int(c.c>>(24-8*ch)&0xff) * c.n
			}
		}
		var v uint32
		for ch := range 4 {
			v |= uint32((s[ch]+b.weight/2)/b.weight) << (24 - 8*ch)
		}
		out = append(out, v)
	}
	return out
}

// nearest finds the palette entry closest to a colour (squared distance over the premultiplied
// channels), remembering its answers. The entries are kept sorted by the sum of their channels:
// since (Δr+Δg+Δb+Δa)² ≤ 4(Δr²+Δg²+Δb²+Δa²), the search walks out from the colour's own sum and
// stops where the sums differ too much to beat the best entry found, a few entries instead of
// all 256.
type nearest struct {
	pal   []uint32
	sums  []int   // channel sums, ascending
	idx   []uint8 // palette index of each sorted entry
	cache map[uint32]uint8
}

func channelSum(c uint32) int { return int(c>>24) + int(c>>16&0xff) + int(c>>8&0xff) + int(c&0xff) }

func newNearest(pal []uint32) *nearest {
	n := &nearest{pal: pal, cache: make(map[uint32]uint8, len(pal)*4)}
	order := make([]int, len(pal))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(channelSum(pal[a]), channelSum(pal[b])) })
	for _, i := range order {
		n.sums = append(n.sums, channelSum(pal[i]))
		n.idx = append(n.idx, uint8(i))
	}
	for i, c := range pal {
		if _, ok := n.cache[c]; !ok {
			n.cache[c] = uint8(i)
		}
	}
	return n
}

func (n *nearest) index(c uint32) uint8 {
	if i, ok := n.cache[c]; ok {
		return i
	}
	s := channelSum(c)
	start, _ := slices.BinarySearch(n.sums, s)
	best, bestD := 0, 1<<30 // above any distance (4·255²), and 4× it fits an int
	dist := func(k int) int {
		p := n.pal[n.idx[k]]
		d := 0
		for sh := 0; sh < 32; sh += 8 {
			v := int(c>>sh&0xff) - int(p>>sh&0xff)
			d += v * v
		}
		return d
	}
	for lo, hi := start-1, start; lo >= 0 || hi < len(n.sums); {
		if hi < len(n.sums) {
			if ds := n.sums[hi] - s; ds*ds > 4*bestD {
				hi = len(n.sums)
			} else {
				if d := dist(hi); d < bestD {
					best, bestD = hi, d
				}
				hi++
			}
		}
		if lo >= 0 {
			if ds := s - n.sums[lo]; ds*ds > 4*bestD {
				lo = -1
			} else {
				if d := dist(lo); d < bestD {
					best, bestD = lo, d
				}
				lo--
			}
		}
	}
	i := n.idx[best]
	n.cache[c] = i
	return i
}
