package fes

import (
	"errors"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/cql2/cql2test"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// fuzzSeeds are filters in both encodings, as clients send them.
var fuzzSeeds = []string{
	fes20 + `<fes:PropertyIsEqualTo matchCase="false"><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>ONT</fes:Literal></fes:PropertyIsEqualTo>` + end20,
	fes20 + `<fes:And><fes:PropertyIsBetween><fes:ValueReference>sheet_no</fes:ValueReference><fes:LowerBoundary><fes:Literal>1</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>9</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>` +
		`<fes:Not><fes:PropertyIsLike wildCard="*" singleChar="#" escapeChar="!"><fes:ValueReference>address</fes:ValueReference><fes:Literal>Ấp*!*#</fes:Literal></fes:PropertyIsLike></fes:Not></fes:And>` + end20,
	fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point><fes:Distance uom="m">100</fes:Distance></fes:DWithin>` + end20,
	fes20 + `<fes:BBOX><gml:Envelope srsName="EPSG:9212"><gml:lowerCorner>569000 1275000</gml:lowerCorner><gml:upperCorner>570000 1276000</gml:upperCorner></gml:Envelope></fes:BBOX>` + end20,
	fes20 + `<fes:ResourceId rid="parcels.1"/><fes:ResourceId rid="parcels.x"/>` + end20,
	ogc11 + `<ogc:Or><ogc:PropertyIsNull><ogc:PropertyName>address</ogc:PropertyName></ogc:PropertyIsNull><ogc:PropertyIsGreaterThan><ogc:PropertyName>updated_at</ogc:PropertyName><ogc:Literal>2025-07-01T08:00:00</ogc:Literal></ogc:PropertyIsGreaterThan></ogc:Or>` + end11,
	ogc11 + `<ogc:Within><ogc:PropertyName>geometry</ogc:PropertyName><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>106,11 107,11 107,12 106,11</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></ogc:Within>` + end11,
	ogc11 + `<ogc:GmlObjectId gml:id="parcels.7"/>` + end11,
	`<Filter><BBOX><PropertyName>geometry</PropertyName><Box><coordinates>106,11 107,12</coordinates></Box></BBOX></Filter>`,
	`<!DOCTYPE x [<!ENTITY a "b">]><Filter>&a;</Filter>`,
}

// FuzzParse checks that any document either parses into a tree that compiles (or fails to
// compile with a cql2 error) with no client text in the SQL, or fails with a complete
// *ogcxml.Error; never a panic. Seeds live in testdata/fuzz/FuzzParse; run with
//
//	go test ./cql2/fes -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	r := cql2test.Parcels()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse([]byte(s), Options{Resolver: r, TypeName: "parcels", Limits: ogcxml.Limits{MaxBytes: 1 << 16}})
		if err != nil {
			var oe *ogcxml.Error
			if !errors.As(err, &oe) || oe.Code == "" || oe.Msg == "" || oe.Locator != "FILTER" {
				t.Fatalf("Parse error %T %+v is not a complete *ogcxml.Error", err, err)
			}
			return
		}
		for _, crs := range []geo.CRS{geo.CRS84, lookup(4326), lookup(9212)} {
			sql, args, err := cql2.Compile(e, r, cql2.Options{CRS: crs})
			if err != nil {
				if !errors.Is(err, cql2.ErrType) && !errors.Is(err, cql2.ErrProperty) {
					t.Fatalf("Compile(%s): %v wraps neither ErrType nor ErrProperty", e, err)
				}
				continue
			}
			if strings.ContainsAny(sql, `'\;`) {
				t.Fatalf("Compile(%s) = %s: client text in the SQL", e, sql)
			}
			if len(args) > cql2.MaxParams {
				t.Fatalf("Compile(%s): %d args", e, len(args))
			}
		}
	})
}

var kvpSeeds = []string{
	"11.4,106.8,11.6,107,urn:ogc:def:crs:EPSG::4326",
	"106.8,11.4,107,11.6",
	"parcels.1,parcels.2",
	"sheet_no ASC,official_area_m2 D",
	"(" + fuzzSeeds[0] + ")(" + fuzzSeeds[7] + ")",
}

// FuzzKVP feeds one string to every KVP reader; each must return a value or an *ogcxml.Error.
func FuzzKVP(f *testing.F) {
	for _, s := range kvpSeeds {
		f.Add(s)
	}
	r := cql2test.Parcels()
	check := func(t *testing.T, what string, err error) {
		var oe *ogcxml.Error
		if err != nil && (!errors.As(err, &oe) || oe.Code == "" || oe.Msg == "") {
			t.Fatalf("%s error %T %+v is not a complete *ogcxml.Error", what, err, err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseBBox(s, Options{})
		check(t, "ParseBBox", err)
		_, err = ParseSortBy(s, Options{Resolver: r})
		check(t, "ParseSortBy", err)
		if ids, err := ParseResourceIDs(s); err == nil {
			_, err = IDFilter(ids, Options{Resolver: r})
			check(t, "IDFilter", err)
		} else {
			check(t, "ParseResourceIDs", err)
		}
		parts, err := SplitFilters(s, ogcxml.Limits{MaxBytes: 1 << 16})
		check(t, "SplitFilters", err)
		for _, p := range parts {
			_, err := Parse([]byte(p), Options{Resolver: r})
			check(t, "Parse", err)
		}
	})
}
