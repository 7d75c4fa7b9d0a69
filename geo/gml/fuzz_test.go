package gml

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

var decodeSeeds = []string{
	`<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point>`,
	`<gml:Polygon xmlns:gml="http://www.opengis.net/gml"><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon>`,
	`<gml:MultiSurface xmlns:gml="http://www.opengis.net/gml/3.2" srsName="EPSG:9212"><gml:surfaceMember><gml:Surface><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList srsDimension="3">0 0 0 1 0 0 1 1 0 0 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember></gml:MultiSurface>`,
	`<gml:MultiCurve xmlns:gml="http://www.opengis.net/gml/3.2"><gml:curveMember><gml:Curve><gml:segments><gml:LineStringSegment><gml:posList>0 0 1 1</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember></gml:MultiCurve>`,
	`<gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2" srsName="CRS:84"><gml:lowerCorner>1 2</gml:lowerCorner><gml:upperCorner>3 4</gml:upperCorner></gml:Envelope>`,
	`<gml:Box xmlns:gml="http://www.opengis.net/gml"><gml:coord><gml:X>1</gml:X><gml:Y>2</gml:Y></gml:coord><gml:coord><gml:X>3</gml:X><gml:Y>4</gml:Y></gml:coord></gml:Box>`,
	`<gml:MultiGeometry xmlns:gml="http://www.opengis.net/gml/3.2"><gml:geometryMember><gml:MultiPoint><gml:pointMembers><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint></gml:geometryMember></gml:MultiGeometry>`,
	`<!DOCTYPE a [<!ENTITY x "1 2">]><gml:Point xmlns:gml="http://www.opengis.net/gml/3.2"><gml:pos>&x;</gml:pos></gml:Point>`,
}

// FuzzDecode checks that any document either decodes into a geometry with finite coordinates
// that the encoder writes and the decoder reads back unchanged, or fails with an
// *ogcxml.Error; never a panic. Seeds live in testdata/fuzz/FuzzDecode; run with
//
//	go test ./geo/gml -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Decode(strings.NewReader(s), ogcxml.Limits{MaxBytes: 1 << 16}, DecodeOptions{MaxPoints: 10_000})
		if err != nil {
			var e *ogcxml.Error
			if !errors.As(err, &e) || e.Code == "" || e.Msg == "" {
				t.Fatalf("Decode error %T %v is not a complete *ogcxml.Error", err, err)
			}
			return
		}
		if !finite(g.Geom) {
			t.Fatalf("Decode gave a non-finite coordinate: %#v", g.Geom)
		}
		if _, isBound := g.Geom.(orb.Bound); isBound {
			return
		}
		if isEmptyMulti(g.Geom) {
			return
		}
		enc := Encoder{SRS: g.SRS}
		back, err := reencode(t, &enc, g.Geom, "")
		if err != nil {
			t.Fatalf("re-decoding %#v: %v", g.Geom, err)
		}
		if !orb.Equal(normalize(back.Geom), normalize(g.Geom)) {
			t.Fatalf("round trip changed %#v into %#v", g.Geom, back.Geom)
		}
	})
}

// normalize writes a lone ring as the Polygon it decodes to.
func normalize(g orb.Geometry) orb.Geometry {
	if r, ok := g.(orb.Ring); ok {
		return orb.Polygon{r}
	}
	return g
}

func isEmptyMulti(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPoint:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		for _, m := range g {
			if isEmptyMulti(m) {
				return true
			}
		}
		return len(g) == 0
	}
	return false
}

func finite(g orb.Geometry) bool {
	b := g.Bound()
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
