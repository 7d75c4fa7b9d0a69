package geo

import (
	"math"
	"testing"

	"github.com/twpayne/go-geom"
)

func TestProvablySimple(t *testing.T) {
	ring := func(pts ...float64) *geom.Polygon {
		return geom.NewPolygonFlat(geom.XY, pts, []int{len(pts)})
	}
	circle := make([]float64, 0, 2*101)
	for i := range 100 {
		a := 2 * math.Pi * float64(i) / 100
		circle = append(circle, 106.9+0.001*math.Cos(a), 11.5+0.001*math.Sin(a))
	}
	circle = append(circle, circle[0], circle[1])
	withHole := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 10, 0, 10, 10, 0, 10, 0, 0, 2, 2, 2, 3, 3, 3, 2, 2}, []int{10, 18})
	square := ring(106.9, 11.5, 106.901, 11.5, 106.901, 11.501, 106.9, 11.501, 106.9, 11.5)
	two := geom.NewMultiPolygon(geom.XY)
	_ = two.Push(square)
	_ = two.Push(ring(107, 11.5, 107.001, 11.5, 107.001, 11.501, 107, 11.5))
	one := geom.NewMultiPolygon(geom.XY)
	_ = one.Push(square)

	for _, tc := range []struct {
		name string
		g    geom.T
		want bool
	}{
		{"square", square, true},
		{"square in a MultiPolygon", one, true},
		{"triangle", ring(0, 0, 4, 0, 0, 3, 0, 0), true},
		{"concave L", ring(0, 0, 4, 0, 4, 1, 1, 1, 1, 4, 0, 4, 0, 0), true},
		{"bow tie", ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0), false},
		{"spike folding back", ring(0, 0, 4, 0, 4, 4, 4, 6, 4, 4, 0, 4, 0, 0), false},
		{"vertex on a straight edge", ring(0, 0, 2, 0, 4, 0, 4, 4, 0, 4, 0, 0), false},
		{"ring touching itself at a vertex", ring(0, 0, 4, 0, 2, 2, 4, 4, 0, 4, 2, 2, 0, 0), false},
		{"edge touching a vertex", ring(0, 0, 4, 0, 4, 4, 2, 0, 0, 4, 0, 0), false},
		{"all on one line", ring(0, 0, 1, 0, 2, 0, 0, 0), false},
		{"repeated position", ring(0, 0, 4, 0, 4, 0, 4, 4, 0, 0), false},
		{"not closed", ring(0, 0, 4, 0, 4, 4, 0, 1), false},
		{"not finite", ring(0, 0, 4, 0, math.NaN(), 4, 0, 0), false},
		{"with a hole (left to PostGIS)", withHole, false},
		{"two parts (left to PostGIS)", two, false},
		{"100 edges (left to PostGIS)", ring(circle...), false},
		{"a line", geom.NewLineStringFlat(geom.XY, []float64{0, 0, 1, 1}), false},
	} {
		if got := ProvablySimple(tc.g); got != tc.want {
			t.Errorf("%s: ProvablySimple = %v, want %v", tc.name, got, tc.want)
		}
	}
}
