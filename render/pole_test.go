package render

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestPoleOfInaccessibility_LShape(t *testing.T) {
	// An L of two arms 2 wide: the widest room is in the outer corner, a circle touching both
	// outer sides and the inner corner (2, 2): radius r with (2-r)·√2 = r.
	l := orb.Polygon{{{0, 0}, {10, 0}, {10, 2}, {2, 2}, {2, 10}, {0, 10}, {0, 0}}}
	p, d, ok := PoleOfInaccessibility(l, 0.01)
	if !ok {
		t.Fatal("PoleOfInaccessibility: not ok")
	}
	r := 2 * math.Sqrt2 / (1 + math.Sqrt2)
	if math.Abs(d-r) > 0.01 || math.Abs(p[0]-r) > 0.01 || math.Abs(p[1]-r) > 0.01 {
		t.Errorf("pole = %v at distance %v, want (%.4f, %.4f) at %.4f", p, d, r, r, r)
	}
	if _, _, ok := PoleOfInaccessibility(orb.Polygon{{{0, 0}, {1, 1}}}, 0.1); ok {
		t.Error("a ring of two points: ok, want not ok")
	}
}

func TestPoleOfInaccessibility_Hole(t *testing.T) {
	// A 10×10 square with a 6×6 hole in the middle: the pole is in a corner of the 2-wide frame,
	// never in the hole.
	sq := orb.Polygon{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{2, 2}, {2, 8}, {8, 8}, {8, 2}, {2, 2}},
	}
	p, d, ok := PoleOfInaccessibility(sq, 0.01)
	if r := 2 * math.Sqrt2 / (1 + math.Sqrt2); !ok || math.Abs(d-r) > 0.01 {
		t.Fatalf("pole = %v at distance %v (ok %v), want distance %.4f", p, d, ok, r)
	}
	if p[0] > 2 && p[0] < 8 && p[1] > 2 && p[1] < 8 {
		t.Errorf("pole %v lies in the hole", p)
	}
}
