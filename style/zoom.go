package style

import "math"

// Zoom levels are MapLibre's: at zoom z the world is 512·2^z pixels wide (the z of gisd's vector
// tiles, which MapLibre requests at its own zoom). A 256-pixel XYZ tile of level n is drawn at
// zoom n-1.

const (
	// earthCircumference is the equator's length on EPSG:3857's sphere, in metres.
	earthCircumference = 2 * math.Pi * 6378137
	// pixelMetres is the OGC standardized rendering pixel (0.28 mm), which defines WMS scale
	// denominators.
	pixelMetres = 0.00028
	// MaxZoom is the deepest zoom a style rule may name.
	MaxZoom = 24
)

// Resolution is the ground size of a pixel, in metres, at zoom z and latitude lat (degrees).
func Resolution(z, lat float64) float64 {
	return earthCircumference * math.Cos(lat*math.Pi/180) / (512 * math.Exp2(z))
}

// ZoomAt is the zoom whose pixel covers metresPerPixel of ground at latitude lat (degrees): a
// renderer's frame in any CRS maps to the zoom of the web map showing the same detail. For a
// frame in EPSG:3857, metresPerPixel is its pixel size times cos(lat).
func ZoomAt(metresPerPixel, lat float64) float64 {
	return math.Log2(earthCircumference * math.Cos(lat*math.Pi/180) / (512 * metresPerPixel))
}

// ScaleDenominator is the WMS scale denominator of a pixel of the given ground size.
func ScaleDenominator(metresPerPixel float64) float64 { return metresPerPixel / pixelMetres }

// ZoomAtScale is the zoom of scale 1:denominator at latitude lat.
func ZoomAtScale(denominator, lat float64) float64 { return ZoomAt(denominator*pixelMetres, lat) }

// ZoomRange is where a rule applies: Min <= zoom < Max, MapLibre's minzoom and maxzoom. A zero
// Max means no upper bound.
type ZoomRange struct {
	Min, Max float64
}

// Contains reports whether zoom z is in the range.
func (r ZoomRange) Contains(z float64) bool {
	return z >= r.Min && (r.Max == 0 || z < r.Max)
}

// ScaleDenominators is the range as WMS MinScaleDenominator and MaxScaleDenominator at latitude
// lat; max is +Inf when the range starts at zoom 0.
func (r ZoomRange) ScaleDenominators(lat float64) (minDen, maxDen float64) {
	if r.Max != 0 {
		minDen = ScaleDenominator(Resolution(r.Max, lat))
	}
	maxDen = math.Inf(1)
	if r.Min > 0 {
		maxDen = ScaleDenominator(Resolution(r.Min, lat))
	}
	return minDen, maxDen
}

// Value is a number that may change with zoom: linear between stops, constant before the first
// and after the last (MapLibre's ["interpolate", ["linear"], ["zoom"], ...]).
type Value struct {
	Stops []Stop
}

// Stop is a value at a zoom.
type Stop struct{ Zoom, Value float64 }

// Const is a value that does not change with zoom.
func Const(v float64) Value { return Value{Stops: []Stop{{0, v}}} }

// ByZoom builds a value from zoom, value pairs in ascending zoom.
func ByZoom(pairs ...float64) Value {
	if len(pairs)%2 != 0 {
		panic("style: ByZoom needs zoom, value pairs")
	}
	v := Value{}
	for i := 0; i < len(pairs); i += 2 {
		v.Stops = append(v.Stops, Stop{pairs[i], pairs[i+1]})
	}
	return v
}

// At evaluates the value at zoom z.
func (v Value) At(z float64) float64 {
	s := v.Stops
	switch {
	case len(s) == 0:
		return 0
	case z <= s[0].Zoom:
		return s[0].Value
	}
	for i := 1; i < len(s); i++ {
		if z <= s[i].Zoom {
			a, b := s[i-1], s[i]
			return a.Value + (b.Value-a.Value)*(z-a.Zoom)/(b.Zoom-a.Zoom)
		}
	}
	return s[len(s)-1].Value
}

// expr is the value as MapLibre writes it: a number, or an interpolation by zoom.
func (v Value) expr() any {
	if len(v.Stops) <= 1 {
		return v.At(0)
	}
	e := []any{"interpolate", []any{"linear"}, []any{"zoom"}}
	for _, s := range v.Stops {
		e = append(e, s.Zoom, s.Value)
	}
	return e
}
