package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"golang.org/x/image/vector"

	"github.com/dongnai-gis/gisd/style"
)

// MaxSide is the largest width or height NewMap accepts, whatever smaller limit a service sets.
const MaxSide = 8192

// ErrFrame is wrapped by NewMap's errors: the request describes no image that can be drawn.
var ErrFrame = errors.New("render: bad frame")

// Frame is the image to draw and the part of the world it shows.
type Frame struct {
	Width, Height int
	// BBox is the area shown, in the output CRS, x to the right and y up: the caller has put
	// the CRS's axes in that order (EPSG:4326 in WMS 1.3.0 gives lat, lon; BBox wants lon, lat).
	BBox orb.Bound
	// Background fills the image first; its alpha 0 leaves the image transparent.
	Background color.NRGBA
	// Zoom is the style zoom of the frame's pixel size: style.ZoomAt(ground metres per pixel,
	// latitude). It chooses the rules, line widths and labels, as the web map does at that zoom.
	Zoom float64
	// LabelPartials draws labels that cross the image's edge. Off, they are left out, so the
	// tiles of a tiled client do not show half labels.
	LabelPartials bool
}

// Feature is one feature to draw: a geometry in the frame's CRS and its attributes.
type Feature struct {
	Geometry   orb.Geometry
	Properties map[string]any
}

// Layer is a style and the features it draws.
type Layer struct {
	Style    *style.Layer
	Features []Feature
}

// Map is an image being drawn. Draw layers bottom first, then take the Image, which places the
// labels. A Map is not safe for concurrent use; draw many at once with one Map each.
type Map struct {
	frame  Frame
	img    *image.RGBA
	sx, sy float64 // pixels per frame unit
	*scratch
	// Labels wait until every layer is drawn.
	cands  []candidate
	placed []Placed
	done   bool
}

// scratch is the working memory of a Map, reused by the next Map once one is finished: the
// paths of a dense map hold hundreds of thousands of points.
type scratch struct {
	ras    vector.Rasterizer
	mask   image.Alpha // the rasterizer's coverage
	pts    []float64   // one ring or line in pixels, x, y pairs
	clipA  []float64
	clipB  []float64
	fill   path
	stroke path
	// Labelling: a polygon's rings in pixels, and the search queue of polylabel.
	rings    [][]float64
	ringBufs [][]float64
	queue    plQueue
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// NewMap starts an image: the frame is checked, and the background drawn.
func NewMap(f Frame) (*Map, error) {
	switch {
	case f.Width <= 0 || f.Height <= 0 || f.Width > MaxSide || f.Height > MaxSide:
		return nil, fmt.Errorf("%w: size %d×%d, want 1 to %d pixels a side", ErrFrame, f.Width, f.Height, MaxSide)
	case !finite(f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1]) ||
		f.BBox.Max[0] <= f.BBox.Min[0] || f.BBox.Max[1] <= f.BBox.Min[1]:
		return nil, fmt.Errorf("%w: bbox %v is empty or not finite", ErrFrame, f.BBox)
	case !finite(f.Zoom):
		return nil, fmt.Errorf("%w: zoom %v", ErrFrame, f.Zoom)
	}
	m := &Map{
		frame: f,
		img:   image.NewRGBA(image.Rect(0, 0, f.Width, f.Height)),
		sx:    float64(f.Width) / (f.BBox.Max[0] - f.BBox.Min[0]),
		sy:    float64(f.Height) / (f.BBox.Max[1] - f.BBox.Min[1]),
	}
	m.scratch = scratchPool.Get().(*scratch)
	if f.Background.A > 0 {
		r, g, b, a := f.Background.RGBA()
		px := [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
		for i := 0; i < len(m.img.Pix); i += 4 {
			copy(m.img.Pix[i:i+4], px[:])
		}
	}
	return m, nil
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Render draws the layers, bottom first, and returns the image with its labels.
func Render(f Frame, layers ...Layer) (*image.RGBA, error) {
	m, err := NewMap(f)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		m.Draw(l.Style, l.Features)
	}
	return m.Image(), nil
}

// Draw draws one layer: each of its rules that applies at the frame's zoom, in order, over all
// the features, and collects their label candidates. Features without geometry, or with
// geometry a rule does not paint (a point for a fill), are skipped.
func (m *Map) Draw(l *style.Layer, features []Feature) {
	if m.done || l == nil {
		return
	}
	z := m.frame.Zoom
	for i := range l.Rules {
		r := &l.Rules[i]
		if !r.Zoom.Contains(z) {
			continue
		}
		switch {
		case r.Fill != nil:
			for j := range features {
				f := &features[j]
				if f.Geometry != nil && r.Filter.Match(f.Properties) {
					m.fillGeometry(f.Geometry, r.Fill.ColorOf(f.Properties))
				}
			}
		case r.Stroke != nil:
			m.drawStrokes(r.Stroke, r.Filter, features)
		case r.Marker != nil:
			m.drawMarkers(r.Marker, r.Filter, features)
		}
	}
	for i := range l.Labels {
		lb := &l.Labels[i]
		if lb.Zoom.Contains(z) {
			m.collectLabels(lb, features)
		}
	}
}

// Image places the labels and returns the finished image. Drawing after it does nothing.
func (m *Map) Image() *image.RGBA {
	if !m.done {
		m.placeLabels()
		m.done = true
		scratchPool.Put(m.scratch)
		m.scratch = nil
	}
	return m.img
}

// Placed is a label on the image.
type Placed struct {
	Rule string // the label rule's id
	Text string // its lines, separated by newlines
	Box  image.Rectangle
}

// Placed lists the labels Image placed, in the order they were placed.
func (m *Map) Placed() []Placed { return slices.Clone(m.placed) }

// toPixels appends the points of a ring or line in pixels to dst, leaving out points closer
// than a quarter pixel to the last one kept (at low zoom, thousands of vertices fall in one
// pixel), and returns it with its bounding box. A line with a coordinate that is not finite, or
// absurdly far (a failed projection), appends nothing: the rasterizer would walk its rows for
// ever.
func (m *Map) toPixels(dst []float64, pts []orb.Point) ([]float64, bbox) {
	minX, maxY := m.frame.BBox.Min[0], m.frame.BBox.Max[1]
	b := emptyBox()
	start := len(dst)
	const minStep = 0.25 * 0.25
	for i, p := range pts {
		x := (p[0] - minX) * m.sx
		y := (maxY - p[1]) * m.sy
		if !(math.Abs(x) < farAway && math.Abs(y) < farAway) { // NaN fails too
			return dst[:start], emptyBox()
		}
		if i > 0 && i < len(pts)-1 {
			dx, dy := x-dst[len(dst)-2], y-dst[len(dst)-1]
			if dx*dx+dy*dy < minStep {
				continue
			}
		}
		dst = append(dst, x, y)
		b.add(x, y)
	}
	return dst, b
}

// farAway is how far from the image, in pixels, a coordinate is taken for an error.
const farAway = 1e12

// bbox is a pixel-space bounding box.
type bbox struct{ minX, minY, maxX, maxY float64 }

func emptyBox() bbox { return bbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)} }

func (b *bbox) add(x, y float64) {
	b.minX = min(b.minX, x)
	b.minY = min(b.minY, y)
	b.maxX = max(b.maxX, x)
	b.maxY = max(b.maxY, y)
}

func (b *bbox) union(o bbox) {
	b.minX = min(b.minX, o.minX)
	b.minY = min(b.minY, o.minY)
	b.maxX = max(b.maxX, o.maxX)
	b.maxY = max(b.maxY, o.maxY)
}

// within reports whether b lies inside the frame grown by margin pixels.
func (b bbox) within(w, h int, margin float64) bool {
	return b.minX >= -margin && b.minY >= -margin && b.maxX <= float64(w)+margin && b.maxY <= float64(h)+margin
}

// outside reports whether b misses the frame grown by margin pixels.
func (b bbox) outside(w, h int, margin float64) bool {
	return b.maxX < -margin || b.maxY < -margin || b.minX > float64(w)+margin || b.minY > float64(h)+margin
}
