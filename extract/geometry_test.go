package extract

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestVertices_ClockwiseFromNorthWest(t *testing.T) {
	// A 20 × 10 rectangle given counter-clockwise from its south-west corner, its closing point
	// and a repeated point included, with a 4 × 2 hole given clockwise.
	mp := orb.MultiPolygon{{
		{{100, 200}, {120, 200}, {120, 200}, {120, 210}, {100, 210}, {100, 200}},
		{{105, 203}, {105, 205}, {109, 205}, {109, 203}, {105, 203}},
	}}
	vs := Vertices(mp)
	got := ""
	for _, v := range vs {
		got += fmt.Sprintf("%d:%g,%g>%d ", v.No, v.X, v.Y, v.Next)
	}
	// Exterior clockwise from the north-west corner (X northing, Y easting); the hole
	// counter-clockwise from its own north-west corner, so the parcel is always on the right.
	want := "1:210,100>2 2:210,120>3 3:200,120>4 4:200,100>1 5:205,105>6 6:203,105>7 7:203,109>8 8:205,109>5 "
	if got != want {
		t.Errorf("Vertices:\n got %s\nwant %s", got, want)
	}
	if !vs[4].Hole || vs[0].Hole || vs[4].Ring != 1 {
		t.Errorf("rings: %+v", vs)
	}
	if a := AreaOf(vs); a != 200-8 {
		t.Errorf("AreaOf = %v, want 192 (the hole left out)", a)
	}
	if p := Perimeter(vs); p != 60 {
		t.Errorf("Perimeter = %v, want 60 (the exterior)", p)
	}
	if vs[1].Edge != 10 || vs[3].Edge != 10 || vs[0].Edge != 20 {
		t.Errorf("edges %v %v %v, want 20 10 10", vs[0].Edge, vs[1].Edge, vs[3].Edge)
	}
}

func TestOutward_PointsAwayFromTheParcel(t *testing.T) {
	// The square (0,0)-(10,10) walked clockwise: the parcel is on the right.
	for _, tc := range []struct {
		a, b, c orb.Point
		wx, wy  float64
	}{
		{orb.Point{0, 0}, orb.Point{0, 10}, orb.Point{10, 10}, -1, 1}, // north-west corner
		{orb.Point{0, 10}, orb.Point{10, 10}, orb.Point{10, 0}, 1, 1}, // north-east
		{orb.Point{0, 10}, orb.Point{5, 10}, orb.Point{10, 10}, 0, 1}, // straight: out is north
		{orb.Point{0, 0}, orb.Point{5, 5}, orb.Point{10, 0}, 0, 1},    // a convex peak: out is up
	} {
		x, y := outward(tc.a, tc.b, tc.c)
		wx, wy := unit(tc.wx, tc.wy)
		if math.Abs(x-wx) > 1e-9 || math.Abs(y-wy) > 1e-9 {
			t.Errorf("outward(%v, %v, %v) = (%.3f, %.3f), want (%.3f, %.3f)", tc.a, tc.b, tc.c, x, y, wx, wy)
		}
	}
}

func TestChooseScale(t *testing.T) {
	for _, tc := range []struct {
		w, h float64
		want int
	}{
		{20, 10, 200},       // 100 × 50 mm at 1:200
		{40, 10, 500},       // 200 mm wide at 1:200: too wide
		{100, 80, 1000},     // 80 mm tall at 1:1000
		{300, 150, 2000},    // 150 × 75 mm
		{700, 400, 5000},    // 140 × 80 mm
		{1500, 900, 10000},  // 150 × 90 mm
		{2500, 1500, 20000}, // beyond the cadastral series: the next 1-2-5 step
		{9000, 100, 100000},
	} {
		if got := ChooseScale(tc.w, tc.h, 162, 94); got != tc.want {
			t.Errorf("ChooseScale(%v × %v m) = 1:%d, want 1:%d", tc.w, tc.h, got, tc.want)
		}
	}
}

func TestScaleBarLength(t *testing.T) {
	for n, want := range map[int]float64{200: 10, 500: 20, 1000: 50, 2000: 100, 5000: 200, 10000: 500, 20000: 1000} {
		if got := scaleBarLength(n); got != want {
			t.Errorf("scaleBarLength(%d) = %v m, want %v m", n, got, want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{FormatArea(1234.46), "1.234,5"},
		{FormatArea(71.2), "71,2"},
		{FormatLength(1234.567), "1.234,57"},
		{FormatLength(4.0051), "4,01"},
		{FormatLength(0.004), "0,00"},
		{FormatCoordinate(1275708.641), "1275708,64"},
		{FormatCoordinate(569613.688), "569613,69"},
		{FormatCoordinate(-12.5), "-12,50"},
		{formatDecimal(-0.001, 2, true), "0,00"},
		{barLabel(2.5), "2,5"},
		{barLabel(1000), "1.000"},
		{formatScale(1000), "1:1000"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
