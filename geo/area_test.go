package geo

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// tmRing builds a closed ring from TM-3 corners in srid, unprojected to
// WGS 84 lon/lat with FromVN2000TM3.
func tmRing(t testing.TB, srid int, corners ...[2]float64) orb.Ring {
	t.Helper()
	r := make(orb.Ring, 0, len(corners)+1)
	for _, c := range corners {
		lon, lat, err := FromVN2000TM3(c[0], c[1], srid)
		if err != nil {
			t.Fatalf("FromVN2000TM3(%v) err = %v", c, err)
		}
		r = append(r, orb.Point{lon, lat})
	}
	return append(r, r[0])
}

// tmSquare is an axis-aligned square in srid with its SW corner at (e, n),
// counter-clockwise.
func tmSquare(t testing.TB, srid int, e, n, side float64) orb.Ring {
	t.Helper()
	return tmRing(t, srid, [2]float64{e, n}, [2]float64{e + side, n}, [2]float64{e + side, n + side}, [2]float64{e, n + side})
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

func TestPlanarArea(t *testing.T) {
	sq := tmSquare(t, 9212, 569600, 1275700, 100)
	hole := tmSquare(t, 9212, 569640, 1275740, 20)
	other := tmSquare(t, 9212, 580000, 1300000, 100)
	tests := []struct {
		name string
		g    orb.Geometry
		want float64
	}{
		{"100 m square", orb.Polygon{sq}, 10000},
		{"clockwise", orb.Polygon{reversed(sq)}, 10000},
		{"unclosed ring", orb.Polygon{sq[:len(sq)-1]}, 10000},
		{"ring", sq, 10000},
		{"with hole", orb.Polygon{sq, hole}, 9600},
		{"hole either orientation", orb.Polygon{reversed(sq), hole}, 9600},
		{"multipolygon", orb.MultiPolygon{{sq}, {other}}, 20000},
		{"collection", orb.Collection{orb.Polygon{sq}, orb.LineString{{106, 11}, {107, 12}}, orb.Point{106, 11}}, 10000},
		{"triangle", orb.Polygon{tmRing(t, 9212, [2]float64{600000, 1300000}, [2]float64{600300, 1300000}, [2]float64{600000, 1300040})}, 6000},
		{"line", orb.LineString{{106, 11}, {107, 12}}, 0},
		{"point", orb.Point{106.9, 11.5}, 0},
		{"degenerate ring", orb.Polygon{{{106.9, 11.5}, {106.9, 11.5}}}, 0},
		{"empty polygon", orb.Polygon{}, 0},
		{"nil", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			near(t, "PlanarArea", PlanarArea(tt.g), tt.want, 1e-6)
		})
	}
}

func TestPlanarArea_Bound(t *testing.T) {
	// A lon/lat box is not a rectangle in TM-3, but its area is close to
	// width x height at this size. 0.001° is about 109 m by 110.6 m here.
	b := orb.Bound{Min: orb.Point{106.89, 11.535}, Max: orb.Point{106.891, 11.536}}
	got := PlanarArea(b)
	if got < 11900 || got > 12200 {
		t.Errorf("PlanarArea(%v) = %g, want about 12,050 m²", b, got)
	}
	near(t, "bound vs polygon", got, PlanarArea(b.ToPolygon()), 1e-9)
}

func TestPlanarAreaIn(t *testing.T) {
	// A square built in Đồng Nai's zone measures 10,000 m² there, and
	// slightly differently in Bình Phước's (different scale along x).
	sq := orb.Polygon{tmSquare(t, 5899, 444000, 1208700, 100)}
	got, err := PlanarAreaIn(sq, 5899)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "PlanarAreaIn 5899", got, 10000, 1e-6)
	other, err := PlanarAreaIn(sq, 9212)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(other - 10000); d < 0.1 || d > 20 {
		t.Errorf("PlanarAreaIn(5899 square, 9212) = %g, want 10,000 off by 0.1..20 m²", other)
	}

	_, err = PlanarAreaIn(sq, 4326)
	wantErr(t, err, ErrUnknownCRS, "EPSG:4326 is not a VN-2000 TM-3 zone")

	bad := orb.Polygon{{{106.9, 11.5}, {math.NaN(), 11.5}, {106.91, 11.51}, {106.9, 11.5}}}
	_, err = PlanarAreaIn(bad, 9212)
	wantErr(t, err, ErrOutOfRange, "area: vertex 1")
	if !errors.Is(err, ErrOutOfRange) {
		t.Errorf("err = %v, want ErrOutOfRange", err)
	}
	if got := PlanarArea(bad); !math.IsNaN(got) {
		t.Errorf("PlanarArea(NaN vertex) = %g, want NaN", got)
	}
}

func TestRoundArea(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{1234.56, 1234.6},
		{1234.54, 1234.5},
		{12.25, 12.3},
		{0.04, 0},
		{10000.0000001, 10000},
		{0, 0},
	}
	for _, tt := range tests {
		if got := RoundArea(tt.in); got != tt.want {
			t.Errorf("RoundArea(%g) = %g, want %g", tt.in, got, tt.want)
		}
	}
}
