package fes

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/cql2/cql2test"
	"github.com/dongnai-gis/gisd/geo/gml"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

func wantOGCError(t *testing.T, err error, code, locator, contains string) {
	t.Helper()
	var e *ogcxml.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want an *ogcxml.Error", err, err)
	}
	if e.Code != code || e.Locator != locator || !strings.Contains(e.Msg, contains) {
		t.Errorf("err = %s (locator %q) %q, want %s (locator %q) mentioning %q", e.Code, e.Locator, e.Msg, code, locator, contains)
	}
}

func TestResourceIDs(t *testing.T) {
	ids, err := ParseResourceIDs("parcels.1, gisd:parcels.2,constructions.9,,42")
	if err != nil {
		t.Fatal(err)
	}
	want := []ResourceID{{"parcels", "1"}, {"gisd:parcels", "2"}, {"constructions", "9"}, {"", "42"}}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("ParseResourceIDs = %v, want %v", ids, want)
	}
	r := cql2test.Parcels()
	e, err := IDFilter(ids, Options{Resolver: r, TypeName: "parcels"})
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := cql2.Compile(e, r, cql2.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `("t"."id" IN ($1::bigint, $2::bigint, $3::bigint))`; sql != want {
		t.Errorf("SQL = %s, want %s", sql, want)
	}
	if want := []any{int64(1), int64(2), int64(42)}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %v, want %v", args, want)
	}
	if e, _ := IDFilter(ids[2:3], Options{TypeName: "parcels"}); e != (cql2.Bool{Value: false}) {
		t.Errorf("ids of another type: %v, want FALSE", e)
	}

	_, err = ParseResourceIDs(" , ")
	wantOGCError(t, err, ogcxml.MissingParameterValue, "RESOURCEID", "names no feature")
	_, err = ParseResourceIDs(strings.Repeat("p.1,", MaxIDs+1))
	wantOGCError(t, err, ogcxml.InvalidParameterValue, "RESOURCEID", "more than")
	_, err = IDFilter(ids, Options{Resolver: cql2test.Resolver{}})
	wantOGCError(t, err, ogcxml.InvalidParameterValue, "RESOURCEID", "unknown property id")
}

func TestParseBBox(t *testing.T) {
	box := orb.Bound{Min: orb.Point{106.8, 11.4}, Max: orb.Point{107, 11.6}}
	urn := gml.SRS{SRID: 4326, Form: gml.FormURN, NorthEast: true}
	tests := []struct {
		name    string
		kvp     string
		opt     Options
		want    orb.Bound
		wantSRS gml.SRS
	}{
		{"urn crs is lat/lon", "11.4,106.8,11.6,107,urn:ogc:def:crs:EPSG::4326", Options{}, box, urn},
		{"EPSG:4326 is lon/lat for WFS", "106.8,11.4,107,11.6,EPSG:4326", Options{}, box, gml.SRS{SRID: 4326, Form: gml.FormEPSG}},
		{"http uri is lat/lon", "11.4,106.8,11.6,107,http://www.opengis.net/def/crs/EPSG/0/4326", Options{}, box, gml.SRS{SRID: 4326, Form: gml.FormURI, NorthEast: true}},
		{"CRS84", "106.8,11.4,107,11.6,urn:ogc:def:crs:OGC:1.3:CRS84", Options{}, box, gml.SRS{SRID: 4326, Form: gml.FormCRS84URN}},
		{"VN-2000 zone is easting first", "569000,1275000,570000,1276000,urn:ogc:def:crs:EPSG::9212", Options{},
			orb.Bound{Min: orb.Point{569000, 1275000}, Max: orb.Point{570000, 1276000}}, gml.SRS{SRID: 9212, Form: gml.FormURN}},
		{"no crs takes the default's order", "11.4,106.8,11.6,107", Options{GML: gml.DecodeOptions{Default: urn}}, box, urn},
		{"no crs and no default", "106.8,11.4,107,11.6", Options{}, box, gml.SRS{}},
		{"heights ignored", "11.4,106.8,0,11.6,107,100,urn:ogc:def:crs:EPSG::4326", Options{}, box, urn},
		{"wms resolver", "11.4,106.8,11.6,107,EPSG:4326", Options{GML: gml.DecodeOptions{SRS: gml.Resolver{ShortFormFollowsEPSG: true}.Resolve}}, box,
			gml.SRS{SRID: 4326, Form: gml.FormEPSG, NorthEast: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseBBox(tc.kvp, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if b.Bound != tc.want || b.SRS != tc.wantSRS {
				t.Errorf("ParseBBox = %v %+v, want %v %+v", b.Bound, b.SRS, tc.want, tc.wantSRS)
			}
		})
	}

	t.Run("filter compiles to an intersection", func(t *testing.T) {
		b, err := ParseBBox("11.4,106.8,11.6,107,urn:ogc:def:crs:EPSG::4326", Options{})
		if err != nil {
			t.Fatal(err)
		}
		sql, args, err := cql2.Compile(b.Filter(Options{}), cql2test.Parcels(), cql2.Options{CRS: lookup(4326)})
		if err != nil {
			t.Fatal(err)
		}
		if want := `ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`; sql != want {
			t.Errorf("SQL = %s, want %s", sql, want)
		}
		if !reflect.DeepEqual(args, []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}) {
			t.Errorf("args = %v: the box must reach SQL longitude first", args)
		}
	})

	for _, tc := range []struct{ name, kvp, contains string }{
		{"three numbers", "1,2,3", "needs 4 numbers"},
		{"NaN", "NaN,1,2,3", "finite"},
		{"text", "a,b,c,d", "finite"},
		{"inverted", "107,11.6,106.8,11.4,EPSG:4326", "minimum is greater"},
		{"lon/lat given for a lat/lon name", "106.8,11.4,107,11.6,urn:ogc:def:crs:EPSG::4326", "latitude (northing) first"},
		{"unknown crs", "1,2,3,4,EPSG:27700", "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBBox(tc.kvp, Options{})
			wantOGCError(t, err, ogcxml.InvalidParameterValue, "BBOX", tc.contains)
		})
	}
}

func TestSplitFilters(t *testing.T) {
	a := `<Filter><PropertyIsEqualTo><PropertyName>address</PropertyName><Literal>)(</Literal></PropertyIsEqualTo></Filter>`
	b := `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:ResourceId rid="c.1"/></fes:Filter>`
	for _, tc := range []struct {
		name, kvp string
		want      []string
	}{
		{"single", " " + a + " ", []string{a}},
		{"list", "(" + a + ")(" + b + ")", []string{a, b}},
		{"list with space", " ( " + a + " ) ( " + b + " ) ", []string{a, b}},
		{"one in parentheses", "(" + b + ")", []string{b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitFilters(tc.kvp, ogcxml.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SplitFilters = %q, want %q", got, tc.want)
			}
			for _, f := range got {
				if _, err := Parse([]byte(f), Options{}); err != nil {
					t.Errorf("part %q does not parse: %v", f, err)
				}
			}
		})
	}
	for _, tc := range []struct{ name, kvp, code, contains string }{
		{"empty", "  ", ogcxml.MissingParameterValue, "empty"},
		{"unclosed", "(" + a, ogcxml.OperationParsingFailed, "not closed"},
		{"truncated", "(<Filter><And>)", ogcxml.OperationParsingFailed, ""},
		{"junk between", "(" + a + ")x(" + b + ")", ogcxml.OperationParsingFailed, "must be"},
		{"doctype", `(<!DOCTYPE x [<!ENTITY a "b">]><Filter/>)`, ogcxml.OperationParsingFailed, "DOCTYPE"},
		{"too long", "(" + strings.Repeat(" ", 200) + ")", ogcxml.OperationParsingFailed, "longer than 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SplitFilters(tc.kvp, ogcxml.Limits{MaxBytes: 100 + int64(len(a)+len(b))*3})
			if tc.name == "too long" {
				_, err = SplitFilters(tc.kvp, ogcxml.Limits{MaxBytes: 100})
			}
			wantOGCError(t, err, tc.code, "FILTER", tc.contains)
		})
	}
}

func TestSortBy(t *testing.T) {
	r := cql2test.Parcels()
	want := []SortKey{{"sheet_no", false}, {"official_area_m2", true}, {"parcel_no", false}}
	for _, kvp := range []string{
		"sheet_no ASC,official_area_m2 DESC,parcel_no",      // WFS 2.0
		"gisd:sheet_no A,gisd:official_area_m2 D,parcel_no", // WFS 1.1.0, as GDAL writes it
		" sheet_no  asc , official_area_m2 desc,parcel_no ,",
	} {
		got, err := ParseSortBy(kvp, Options{Resolver: r})
		if err != nil {
			t.Fatalf("ParseSortBy(%q): %v", kvp, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseSortBy(%q) = %v, want %v", kvp, got, want)
		}
	}
	for _, doc := range []string{
		`<fes:SortBy xmlns:fes="http://www.opengis.net/fes/2.0"><fes:SortProperty><fes:ValueReference>sheet_no</fes:ValueReference></fes:SortProperty>` +
			`<fes:SortProperty><fes:ValueReference>gisd:official_area_m2</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty>` +
			`<fes:SortProperty><fes:ValueReference>parcel_no</fes:ValueReference><fes:SortOrder>ASC</fes:SortOrder></fes:SortProperty></fes:SortBy>`,
		`<ogc:SortBy xmlns:ogc="http://www.opengis.net/ogc"><ogc:SortProperty><ogc:PropertyName>sheet_no</ogc:PropertyName></ogc:SortProperty>` +
			`<ogc:SortProperty><ogc:PropertyName>official_area_m2</ogc:PropertyName><ogc:SortOrder>DESC</ogc:SortOrder></ogc:SortProperty>` +
			`<ogc:SortProperty><ogc:SortOrder>ASC</ogc:SortOrder><ogc:PropertyName>parcel_no</ogc:PropertyName></ogc:SortProperty></ogc:SortBy>`,
	} {
		d, err := ogcxml.NewDecoderBytes([]byte(doc), ogcxml.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		start, err := ogcxml.Root(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSortBy(d, start, Options{Resolver: r})
		if err != nil {
			t.Fatalf("DecodeSortBy: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeSortBy = %v, want %v", got, want)
		}
	}
	for _, tc := range []struct {
		name, kvp, code, contains string
		kind                      error
	}{
		{"personal", "owner_name ASC", ogcxml.InvalidParameterValue, "personal", cql2.ErrProperty},
		{"unknown", "colour", ogcxml.InvalidParameterValue, "unknown property", cql2.ErrProperty},
		{"geometry", "geometry", ogcxml.InvalidParameterValue, "geometry", nil},
		{"bad order", "sheet_no UP", ogcxml.InvalidParameterValue, "ASC or DESC", nil},
		{"three words", "sheet_no ASC x", ogcxml.InvalidParameterValue, "property [ASC|DESC]", nil},
		{"empty", " , ", ogcxml.MissingParameterValue, "names no property", nil},
		{"too many", strings.Repeat("sheet_no,", MaxSortKeys+1), ogcxml.InvalidParameterValue, "more than", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSortBy(tc.kvp, Options{Resolver: r})
			wantOGCError(t, err, tc.code, "SORTBY", tc.contains)
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.kind)
			}
		})
	}
}

// TestDecode_InsideRequest reads a filter in place inside a WFS GetFeature document, as the
// WFS does for XML POST.
func TestDecode_InsideRequest(t *testing.T) {
	doc := `<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" service="WFS" version="2.0.0">
	<wfs:Query typeNames="gisd:parcels" srsName="urn:ogc:def:crs:EPSG::4326">
	<fes:Filter><fes:BBOX><gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2"><gml:lowerCorner>11.4 106.8</gml:lowerCorner><gml:upperCorner>11.6 107</gml:upperCorner></gml:Envelope></fes:BBOX></fes:Filter>
	<fes:SortBy><fes:SortProperty><fes:ValueReference>sheet_no</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
	</wfs:Query></wfs:GetFeature>`
	d := ogcxml.NewDecoder(strings.NewReader(doc), ogcxml.Limits{})
	r := cql2test.Parcels()
	// The query's srsName is the CRS of geometries that name none.
	srs, err := gml.Resolver{}.Resolve("urn:ogc:def:crs:EPSG::4326")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Resolver: r, GML: gml.DecodeOptions{Default: srs}, TypeName: "gisd:parcels"}
	var filter cql2.Expr
	var sort []SortKey
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		start, isStart := tok.(xml.StartElement)
		if !isStart {
			continue
		}
		switch start.Name.Local {
		case "Filter":
			if filter, err = Decode(d, start, opt); err != nil {
				t.Fatal(err)
			}
		case "SortBy":
			if sort, err = DecodeSortBy(d, start, opt); err != nil {
				t.Fatal(err)
			}
		}
	}
	sql, args, err := cql2.Compile(filter, r, cql2.Options{CRS: lookup(4326)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sql, "ST_Intersects(") || !reflect.DeepEqual(args[0], boxWKB(106.8, 11.4, 107, 11.6)) {
		t.Errorf("filter SQL %s args %v", sql, args)
	}
	if !reflect.DeepEqual(sort, []SortKey{{"sheet_no", true}}) {
		t.Errorf("sort = %v", sort)
	}
}
