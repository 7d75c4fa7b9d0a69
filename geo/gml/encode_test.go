package gml

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

func TestEncoder_Append(t *testing.T) {
	tri := orb.Ring{{106.1, 11.1}, {106.2, 11.1}, {106.2, 11.2}, {106.1, 11.1}}
	tests := []struct {
		name string
		enc  Encoder
		g    orb.Geometry
		id   string
		want string
	}{
		{"point urn swaps", Encoder{SRS: urn4326, Decimals: 7}, orb.Point{106.9123456789, 11.5}, "parcels.1",
			`<gml:Point gml:id="parcels.1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9123457</gml:pos></gml:Point>`},
		{"point EPSG:4326 does not swap", Encoder{Version: GML311, SRS: epsg4326, Decimals: 7}, orb.Point{106.9, 11.5}, "",
			`<gml:Point srsName="EPSG:4326"><gml:pos>106.9 11.5</gml:pos></gml:Point>`},
		{"linestring metres", Encoder{SRS: urn9212, Decimals: 3}, orb.LineString{{569613.6884, 1275708.6416}, {569620, 1275710.0004}}, "l",
			`<gml:LineString gml:id="l" srsName="urn:ogc:def:crs:EPSG::9212"><gml:posList srsDimension="2">569613.688 1275708.642 569620 1275710</gml:posList></gml:LineString>`},
		{"polygon with hole", Encoder{Decimals: 7}, orb.Polygon{tri, tri}, "",
			`<gml:Polygon><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">106.1 11.1 106.2 11.1 106.2 11.2 106.1 11.1</gml:posList></gml:LinearRing></gml:exterior>` +
				`<gml:interior><gml:LinearRing><gml:posList srsDimension="2">106.1 11.1 106.2 11.1 106.2 11.2 106.1 11.1</gml:posList></gml:LinearRing></gml:interior></gml:Polygon>`},
		{"multipolygon 3.2 member ids", Encoder{SRS: urn4326, Decimals: 7}, orb.MultiPolygon{{tri}, {tri}}, "p.7",
			`<gml:MultiSurface gml:id="p.7" srsName="urn:ogc:def:crs:EPSG::4326">` +
				`<gml:surfaceMember><gml:Polygon gml:id="p.7.1"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11.1 106.1 11.1 106.2 11.2 106.2 11.1 106.1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>` +
				`<gml:surfaceMember><gml:Polygon gml:id="p.7.2"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11.1 106.1 11.1 106.2 11.2 106.2 11.1 106.1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface>`},
		{"multipolygon 3.1.1 no member ids", Encoder{Version: GML311, SRS: epsg4326, Decimals: 7}, orb.MultiPolygon{{tri}}, "p.7",
			`<gml:MultiSurface gml:id="p.7" srsName="EPSG:4326"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">106.1 11.1 106.2 11.1 106.2 11.2 106.1 11.1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface>`},
		{"multipoint", Encoder{}, orb.MultiPoint{{1, 2}, {3, 4}}, "m",
			`<gml:MultiPoint gml:id="m"><gml:pointMember><gml:Point gml:id="m.1"><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember><gml:pointMember><gml:Point gml:id="m.2"><gml:pos>3 4</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint>`},
		{"multicurve", Encoder{}, orb.MultiLineString{{{1, 2}, {3, 4}}}, "",
			`<gml:MultiCurve><gml:curveMember><gml:LineString><gml:posList srsDimension="2">1 2 3 4</gml:posList></gml:LineString></gml:curveMember></gml:MultiCurve>`},
		{"collection with nested multi ids", Encoder{}, orb.Collection{orb.Point{1, 2}, orb.MultiPoint{{3, 4}}}, "c",
			`<gml:MultiGeometry gml:id="c"><gml:geometryMember><gml:Point gml:id="c.1"><gml:pos>1 2</gml:pos></gml:Point></gml:geometryMember>` +
				`<gml:geometryMember><gml:MultiPoint gml:id="c.2"><gml:pointMember><gml:Point gml:id="c.2.1"><gml:pos>3 4</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint></gml:geometryMember></gml:MultiGeometry>`},
		{"envelope", Encoder{SRS: urn4326, Decimals: 7}, orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107.5, 12}}, "ignored",
			`<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>11 106</gml:lowerCorner><gml:upperCorner>12 107.5</gml:upperCorner></gml:Envelope>`},
		{"rounding and negative zero", Encoder{Decimals: 3}, orb.Point{-0.0001, 2.9996}, "",
			`<gml:Point><gml:pos>0 3</gml:pos></gml:Point>`},
		{"shortest round trip", Encoder{}, orb.Point{pointOne + 0.2, -1e-7}, "",
			`<gml:Point><gml:pos>0.30000000000000004 -0.0000001</gml:pos></gml:Point>`},
		{"id escaped", Encoder{}, orb.Point{1, 2}, "a\"<&>\x01\t",
			"<gml:Point gml:id=\"a&quot;&lt;&amp;&gt;\uFFFD&#9;\"><gml:pos>1 2</gml:pos></gml:Point>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.enc.Append([]byte("prefix:"), tc.g, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if want := "prefix:" + tc.want; string(got) != want {
				t.Errorf("Append\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoder_Errors(t *testing.T) {
	e := Encoder{Decimals: 7}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		want error
	}{
		{"NaN", orb.Point{math.NaN(), 1}, ErrNotFinite},
		{"Inf in a ring", orb.Polygon{{{0, 0}, {1, math.Inf(1)}, {1, 1}, {0, 0}}}, ErrNotFinite},
		{"empty linestring", orb.LineString{}, ErrEmpty},
		{"empty polygon", orb.Polygon{}, ErrEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Append([]byte("keep"), tc.g, "x")
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if string(got) != "keep" {
				t.Errorf("dst = %q after an error, want it unchanged", got)
			}
		})
	}
	if _, err := e.Append(nil, nil, ""); err == nil {
		t.Error("nil geometry: no error")
	}
}

// TestEncodeDecode_RoundTrip writes each geometry in both versions and every form, reads it
// back, and expects the same coordinates (rounded to the decimals written).
func TestEncodeDecode_RoundTrip(t *testing.T) {
	parcel := orb.MultiPolygon{{{{106.8812345, 11.5312345}, {106.8823456, 11.5312345}, {106.8823456, 11.5323456}, {106.8812345, 11.5312345}}}}
	geoms := []orb.Geometry{
		orb.Point{106.9, 11.5},
		orb.LineString{{106.9, 11.5}, {107, 11.6}},
		parcel[0],
		parcel,
		orb.MultiPoint{{106.9, 11.5}},
		orb.MultiLineString{{{106.9, 11.5}, {107, 11.6}}},
		orb.Collection{orb.Point{106.9, 11.5}, parcel},
	}
	for _, v := range []Version{GML32, GML311} {
		for f := FormEPSG; f <= FormCRS84URI; f++ {
			srs, err := Resolver{}.With(SRS{SRID: 4326, Form: f})
			if err != nil {
				t.Fatal(err)
			}
			enc := Encoder{Version: v, SRS: srs, Decimals: 7}
			for _, g := range geoms {
				got, err := reencode(t, &enc, g, "f.1")
				if err != nil {
					t.Fatalf("%v %s %s: %v", v, srs.Name(), g.GeoJSONType(), err)
				}
				if !reflect.DeepEqual(got.Geom, g) || got.SRS != srs || got.ID != "f.1" {
					t.Errorf("%v %s: round trip\n got %#v %+v %q\nwant %#v %+v", v, srs.Name(), got.Geom, got.SRS, got.ID, g, srs)
				}
			}
		}
	}
}

// pointOne is a variable so that 0.1 + 0.2 is computed in float64, not as an exact constant.
var pointOne = 0.1

// TestAppendFixed_MatchesAppendFloat checks the integer fast path of the encoder against
// strconv on coordinates of every magnitude the service meets, on exact halves (where the fast
// path must step aside) and on values a hair either side of them.
func TestAppendFixed_MatchesAppendFloat(t *testing.T) {
	reference := func(v float64, d int) string {
		s := strconv.FormatFloat(v, 'f', d, 64)
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
		if s == "-0" {
			s = "0"
		}
		return s
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(v float64, d int) {
		t.Helper()
		if got, want := string(appendFixed(nil, v, d)), reference(v, d); got != want {
			t.Fatalf("appendFixed(%v, %d) = %s, want %s", v, d, got, want)
		}
	}
	for _, v := range []float64{0, -0.0, 1, -1, 0.5, 0.125, 1.0000005, 106.12345675, -106.12345665, 2.5e-8, 1 << 43, 1<<43 + 0.5, 8e12, 1e15, 1e300, 5e-324} {
		for d := 1; d <= 9; d++ {
			check(v, d)
			check(math.Nextafter(v, math.Inf(1)), d)
			check(math.Nextafter(v, math.Inf(-1)), d)
		}
	}
	for i := 0; i < 200_000; i++ {
		d := 1 + r.IntN(9)
		var v float64
		switch i % 4 {
		case 0: // degrees
			v = (r.Float64()*2 - 1) * 180
		case 1: // VN-2000 metres
			v = r.Float64() * 2_000_000
		case 2: // ties at d decimals, and their neighbours
			v = (float64(r.IntN(1_000_000)) + 0.5) / pow10f[d]
			v = math.Nextafter(v, math.Inf(r.IntN(2)*2-1))
		default: // any magnitude
			v = (r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(30)-10))
		}
		check(v, d)
	}
}

// reencode writes g with enc inside a root element that binds the gml prefix and decodes it
// back.
func reencode(t testing.TB, enc *Encoder, g orb.Geometry, id string) (Geometry, error) {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(`<root xmlns:gml="` + enc.Version.Namespace() + `">`)
	if err := enc.Encode(&buf, g, id); err != nil {
		t.Fatalf("Encode(%#v): %v", g, err)
	}
	buf.WriteString(`</root>`)
	d := ogcxml.NewDecoder(&buf, ogcxml.Limits{})
	if _, err := ogcxml.Root(d); err != nil {
		t.Fatal(err)
	}
	start, err := ogcxml.Root(d)
	if err != nil {
		t.Fatal(err)
	}
	return DecodeElement(d, start, DecodeOptions{})
}
