package synth

import (
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

// Shared fixtures: generating is deterministic, so tests share one run.
var (
	unitsOnce sync.Once
	units1    []AdminUnit

	dataOnce sync.Once
	data     testData
)

type testData struct {
	cfg           Config
	parcels       []Parcel
	constructions []Construction
	err           error
}

const testParcels = 20000

func testUnits(tb testing.TB) []AdminUnit {
	tb.Helper()
	unitsOnce.Do(func() { units1 = AdminUnits(1) })
	return units1
}

func testGenerated(tb testing.TB) *testData {
	tb.Helper()
	us := testUnits(tb)
	dataOnce.Do(func() {
		data.cfg = Config{Seed: 1, Parcels: testParcels}
		data.err = Generate(data.cfg, us, Emitter{
			Parcel:       func(p Parcel) error { data.parcels = append(data.parcels, p); return nil },
			Construction: func(c Construction) error { data.constructions = append(data.constructions, c); return nil },
		})
	})
	if data.err != nil {
		tb.Fatalf("Generate: %v", data.err)
	}
	return &data
}

func unitsBy(us []AdminUnit, keep func(AdminUnit) bool) []AdminUnit {
	var out []AdminUnit
	for _, u := range us {
		if keep(u) {
			out = append(out, u)
		}
	}
	return out
}

// planar helpers in the local metric frame

type pt = [2]float64

func ringXY(r orb.Ring) []pt {
	out := make([]pt, 0, len(r))
	for i, p := range r {
		if i == len(r)-1 && p == r[0] {
			break
		}
		q := toXY(p[0], p[1])
		out = append(out, pt{q.x, q.y})
	}
	return out
}

func polyArea(r []pt) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += (r[i][0]-r[0][0])*(r[j][1]-r[0][1]) - (r[j][0]-r[0][0])*(r[i][1]-r[0][1])
	}
	return s / 2
}

func isConvex(r []pt) bool {
	for i := range r {
		a, b, c := r[i], r[(i+1)%len(r)], r[(i+2)%len(r)]
		if (b[0]-a[0])*(c[1]-b[1])-(b[1]-a[1])*(c[0]-b[0]) < -1e-9 {
			return false
		}
	}
	return true
}

// clipConvex returns subject ∩ window (Sutherland–Hodgman; window convex
// and CCW). The area of the result is exact even for a non-convex subject.
func clipConvex(subject, window []pt) []pt {
	out := subject
	for i := range window {
		a, b := window[i], window[(i+1)%len(window)]
		in := out
		out = nil
		side := func(p pt) float64 { return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0]) }
		for k := range in {
			p, q := in[k], in[(k+1)%len(in)]
			sp, sq := side(p), side(q)
			if sp >= 0 {
				out = append(out, p)
			}
			if (sp >= 0) != (sq >= 0) {
				t := sp / (sp - sq)
				out = append(out, pt{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])})
			}
		}
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// overlapArea returns the intersection area of two simple polygons of
// which at least one is convex (ok false otherwise).
func overlapArea(a, b []pt) (float64, bool) {
	switch {
	case isConvex(b):
		return math.Abs(polyArea(clipConvex(a, b))), true
	case isConvex(a):
		return math.Abs(polyArea(clipConvex(b, a))), true
	}
	return 0, false
}

func inRing(p pt, r []pt) bool {
	in := false
	j := len(r) - 1
	for i := range r {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
		j = i
	}
	return in
}

func inMulti(p pt, m orb.MultiPolygon) bool {
	for _, pg := range m {
		if len(pg) == 0 || !inRing(p, ringXY(pg[0])) {
			continue
		}
		hole := false
		for _, h := range pg[1:] {
			if inRing(p, ringXY(h)) {
				hole = true
			}
		}
		if !hole {
			return true
		}
	}
	return false
}

func centroidXY(r []pt) pt {
	var a, cx, cy float64
	for i := range r {
		j := (i + 1) % len(r)
		x0, y0 := r[i][0]-r[0][0], r[i][1]-r[0][1]
		x1, y1 := r[j][0]-r[0][0], r[j][1]-r[0][1]
		c := x0*y1 - x1*y0
		a += c
		cx += (x0 + x1) * c
		cy += (y0 + y1) * c
	}
	return pt{r[0][0] + cx/(3*a), r[0][1] + cy/(3*a)}
}

// checkRing reports what is wrong with an exterior ring, or "".
func checkRing(r orb.Ring, wantCCW bool) string {
	switch {
	case len(r) < 4:
		return "fewer than 4 points"
	case r[0] != r[len(r)-1]:
		return "not closed"
	}
	for i := 1; i < len(r); i++ {
		if r[i] == r[i-1] {
			return "consecutive duplicate points"
		}
	}
	if a := ringAreaLL(r); (a > 0) != wantCCW {
		return "wrong orientation"
	}
	q := ringXY(r)
	n := len(q)
	for i := range n {
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue
			}
			if segmentsCross(xy{q[i][0], q[i][1]}, xy{q[(i+1)%n][0], q[(i+1)%n][1]}, xy{q[j][0], q[j][1]}, xy{q[(j+1)%n][0], q[(j+1)%n][1]}) {
				return "self-intersection"
			}
		}
	}
	return ""
}
