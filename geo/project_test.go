package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestProject(t *testing.T) {
	poly := orb.Polygon{{{106.89, 11.535}, {106.9, 11.535}, {106.9, 11.54}, {106.89, 11.535}}}
	orig := orb.Clone(poly).(orb.Polygon)

	g, err := Project(poly, 9212)
	if err != nil {
		t.Fatalf("Project err = %v", err)
	}
	if !orb.Equal(poly, orig) {
		t.Errorf("Project modified its input: %v, want %v", poly, orig)
	}
	got, ok := g.(orb.Polygon)
	if !ok {
		t.Fatalf("Project returned %T, want orb.Polygon", g)
	}
	for i, p := range poly[0] {
		x, y, err := ToVN2000TM3(p[0], p[1], 9212)
		if err != nil {
			t.Fatal(err)
		}
		if got[0][i] != (orb.Point{x, y}) {
			t.Errorf("vertex %d = %v, want %v", i, got[0][i], orb.Point{x, y})
		}
	}
	near(t, "first easting", got[0][0][0], 569613.688, 0.01)

	back, err := Unproject(g, 9212)
	if err != nil {
		t.Fatalf("Unproject err = %v", err)
	}
	for i, p := range back.(orb.Polygon)[0] {
		near(t, "lon", p[0], poly[0][i][0], 1e-9)
		near(t, "lat", p[1], poly[0][i][1], 1e-9)
	}

	pt, err := Project(orb.Point{106.89, 11.535}, 3857)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "3857 x", pt.(orb.Point)[0], 11898940.370893, 1e-5)
}

func TestProject_Bound(t *testing.T) {
	got, err := Project(ProvinceBound, 9212)
	if err != nil {
		t.Fatalf("Project err = %v", err)
	}
	b := got.(orb.Bound)
	// The projected bound contains every projected corner and edge point.
	for _, p := range densify(ProvinceBound) {
		x, y, err := ToVN2000TM3(p[0], p[1], 9212)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Contains(orb.Point{x, y}) {
			t.Errorf("Project(ProvinceBound) = %v, want it to contain %v", b, orb.Point{x, y})
		}
	}
	// Grid convergence tilts the box: the NW corner lies west of the SW one
	// (517270.87 from PROJ) and the SE corner east of the NE one
	// (628161.09), by tens to hundreds of metres, never kilometres.
	if b.Min[0] > 517270.87 || b.Min[0] < 517270.87-1000 {
		t.Errorf("minx = %.2f, want a little below the SW corner's 517270.87", b.Min[0])
	}
	if b.Max[0] < 628161.09 || b.Max[0] > 628161.09+1000 {
		t.Errorf("maxx = %.2f, want a little above the NE corner's 628161.09", b.Max[0])
	}
}

func TestProject_Errors(t *testing.T) {
	_, err := Project(orb.Point{106.9, 11.5}, 6956)
	wantErr(t, err, ErrUnknownCRS, "EPSG:6956")
	_, err = Project(orb.LineString{{106.9, 11.5}, {200, 11.5}}, 9212)
	wantErr(t, err, ErrOutOfRange, "lon 200")
	_, err = Unproject(orb.MultiPoint{{1e12, 0}}, 9212)
	wantErr(t, err, ErrOutOfRange, "")
	_, err = Project(orb.Bound{Min: orb.Point{-70, 0}, Max: orb.Point{0, 1}}, 9212)
	wantErr(t, err, ErrOutOfRange, "")
}

func TestUnprojectFlat(t *testing.T) {
	// x, y, z triples in TM-3 106-15: z must pass through untouched.
	flat := []float64{569613, 1275708, 12.5, 570000, 1276000, -3}
	want := make([]float64, len(flat))
	copy(want, flat)
	for i := 0; i < len(want); i += 3 {
		lon, lat, err := ToWGS84(want[i], want[i+1], 9212)
		if err != nil {
			t.Fatal(err)
		}
		want[i], want[i+1] = lon, lat
	}
	if err := UnprojectFlat(flat, 3, 9212); err != nil {
		t.Fatalf("UnprojectFlat err = %v", err)
	}
	for i := range flat {
		if flat[i] != want[i] {
			t.Errorf("flat[%d] = %.12f, want %.12f (ToWGS84 point by point)", i, flat[i], want[i])
		}
	}

	wgs := []float64{106.9, 11.5}
	if err := UnprojectFlat(wgs, 2, SRIDWGS84); err != nil || wgs[0] != 106.9 || wgs[1] != 11.5 {
		t.Errorf("EPSG:4326 is the identity: got %v, %v", wgs, err)
	}
	for _, tc := range []struct {
		name   string
		flat   []float64
		stride int
		srid   int
	}{
		{"unknown CRS", []float64{1, 2}, 2, 2154},
		{"not finite", []float64{569613, math.NaN()}, 2, 9212},
		{"latitude beyond the pole", []float64{106, 95}, 2, SRIDWGS84},
		{"stride below 2", []float64{1, 2}, 1, 9212},
	} {
		if err := UnprojectFlat(tc.flat, tc.stride, tc.srid); err == nil {
			t.Errorf("%s: UnprojectFlat(%v, %d, %d) = nil, want an error", tc.name, tc.flat, tc.stride, tc.srid)
		}
	}
}
