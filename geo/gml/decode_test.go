package gml

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

const (
	ns32  = `xmlns:gml="http://www.opengis.net/gml/3.2"`
	ns311 = `xmlns:gml="http://www.opengis.net/gml"`
)

var (
	urn4326  = SRS{4326, FormURN, true}
	epsg4326 = SRS{4326, FormEPSG, false}
	urn9212  = SRS{9212, FormURN, false}
)

func decodeString(t testing.TB, doc string, opt DecodeOptions) (Geometry, error) {
	t.Helper()
	return Decode(strings.NewReader(doc), ogcxml.Limits{}, opt)
}

func TestDecode(t *testing.T) {
	sq := orb.Ring{{106, 11}, {107, 11}, {107, 12}, {106, 12}, {106, 11}}
	hole := orb.Ring{{106.2, 11.2}, {106.4, 11.2}, {106.4, 11.4}, {106.2, 11.2}}
	tests := []struct {
		name    string
		doc     string
		opt     DecodeOptions
		want    orb.Geometry
		wantSRS SRS
		wantID  string
	}{
		{"3.2 point urn is lat/lon", `<gml:Point ` + ns32 + ` gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point>`,
			DecodeOptions{}, orb.Point{106.9, 11.5}, urn4326, "p1"},
		{"3.1.1 point EPSG:4326 is lon/lat", `<gml:Point ` + ns311 + ` srsName="EPSG:4326"><gml:pos>106.9 11.5</gml:pos></gml:Point>`,
			DecodeOptions{}, orb.Point{106.9, 11.5}, epsg4326, ""},
		{"gml2 point coordinates", `<gml:Point ` + ns311 + ` srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:coordinates>106.9,11.5</gml:coordinates></gml:Point>`,
			DecodeOptions{}, orb.Point{106.9, 11.5}, SRS{4326, FormXMLURL, false}, ""},
		{"gml2 point coord", `<gml:Point ` + ns311 + `><gml:coord><gml:X>106.9</gml:X><gml:Y>11.5</gml:Y></gml:coord></gml:Point>`,
			DecodeOptions{}, orb.Point{106.9, 11.5}, SRS{}, ""},
		{"3d posList keeps x y", `<gml:LineString ` + ns32 + ` srsName="EPSG:9212" srsDimension="3"><gml:posList>1 2 3 4 5 6</gml:posList></gml:LineString>`,
			DecodeOptions{}, orb.LineString{{1, 2}, {4, 5}}, SRS{9212, FormEPSG, false}, ""},
		{"3d on posList", `<gml:LineString ` + ns32 + `><gml:posList srsDimension="3" count="2">1 2 3 4 5 6</gml:posList></gml:LineString>`,
			DecodeOptions{}, orb.LineString{{1, 2}, {4, 5}}, SRS{}, ""},
		{"3.1.1 linestring of pos", `<gml:LineString ` + ns311 + `><gml:pos>1 2</gml:pos><gml:pos>3 4 9</gml:pos><gml:pointProperty><gml:Point><gml:pos>5 6</gml:pos></gml:Point></gml:pointProperty></gml:LineString>`,
			DecodeOptions{}, orb.LineString{{1, 2}, {3, 4}, {5, 6}}, SRS{}, ""},
		{"3.2 polygon with hole, lat/lon", `<gml:Polygon ` + ns32 + ` gml:id="x" srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
			<gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11 106 11 107 12 107 12 106 11 106</gml:posList></gml:LinearRing></gml:exterior>
			<gml:interior><gml:LinearRing><gml:posList>11.2 106.2 11.2 106.4 11.4 106.4 11.2 106.2</gml:posList></gml:LinearRing></gml:interior>
			</gml:Polygon>`,
			DecodeOptions{}, orb.Polygon{sq, hole}, SRS{4326, FormURI, true}, "x"},
		{"gml2 outer/innerBoundaryIs", `<gml:Polygon ` + ns311 + ` srsName="EPSG:4326"><gml:outerBoundaryIs><gml:LinearRing>
			<gml:coordinates decimal="." cs="," ts=" ">106,11 107,11 107,12 106,12 106,11</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs>
			<gml:innerBoundaryIs><gml:LinearRing><gml:coordinates>106.2,11.2 106.4,11.2  106.4,11.4
			106.2,11.2</gml:coordinates></gml:LinearRing></gml:innerBoundaryIs></gml:Polygon>`,
			DecodeOptions{}, orb.Polygon{sq, hole}, epsg4326, ""},
		{"coordinates with spaces after commas", `<gml:LineString ` + ns311 + `><gml:coordinates>1, 2 3 ,4</gml:coordinates></gml:LineString>`,
			DecodeOptions{}, orb.LineString{{1, 2}, {3, 4}}, SRS{}, ""},
		{"coordinates with other separators", `<gml:LineString ` + ns311 + `><gml:coordinates decimal="," cs=";" ts="|">1,5;2|3;4,25</gml:coordinates></gml:LineString>`,
			DecodeOptions{}, orb.LineString{{1.5, 2}, {3, 4.25}}, SRS{}, ""},
		{"polygon in VN-2000 metres", `<gml:Polygon ` + ns32 + ` srsName="urn:ogc:def:crs:EPSG::9212"><gml:exterior><gml:LinearRing><gml:posList>569600 1275700 569620 1275700 569620 1275720 569600 1275700</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>`,
			DecodeOptions{}, orb.Polygon{{{569600, 1275700}, {569620, 1275700}, {569620, 1275720}, {569600, 1275700}}}, urn9212, ""},
		{"multipoint both member forms", `<gml:MultiPoint ` + ns32 + ` srsName="urn:ogc:def:crs:EPSG::4326"><gml:pointMember><gml:Point><gml:pos>2 1</gml:pos></gml:Point></gml:pointMember>
			<gml:pointMembers><gml:Point><gml:pos>4 3</gml:pos></gml:Point><gml:Point><gml:pos>6 5</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint>`,
			DecodeOptions{}, orb.MultiPoint{{1, 2}, {3, 4}, {5, 6}}, urn4326, ""},
		{"multicurve of linestring and curve", `<gml:MultiCurve ` + ns32 + `><gml:curveMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:curveMember>
			<gml:curveMember><gml:Curve><gml:segments><gml:LineStringSegment interpolation="linear"><gml:posList>2 2 3 3</gml:posList></gml:LineStringSegment>
			<gml:LineStringSegment><gml:posList>3 3 4 4</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember></gml:MultiCurve>`,
			DecodeOptions{}, orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}, {4, 4}}}, SRS{}, ""},
		{"gml2 multilinestring", `<gml:MultiLineString ` + ns311 + `><gml:lineStringMember><gml:LineString><gml:coordinates>0,0 1,1</gml:coordinates></gml:LineString></gml:lineStringMember></gml:MultiLineString>`,
			DecodeOptions{}, orb.MultiLineString{{{0, 0}, {1, 1}}}, SRS{}, ""},
		{"qgis multisurface of surfaces, srsName inherited", `<gml:MultiSurface ` + ns32 + ` srsName="urn:ogc:def:crs:EPSG::4326" gml:id="qgis_1">
			<gml:surfaceMember><gml:Polygon gml:id="qgis_1.1"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11 106 11 107 12 107 12 106 11 106</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
			<gml:surfaceMember><gml:Surface><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>11 106 11 107 12 107 12 106 11 106</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember>
			</gml:MultiSurface>`,
			DecodeOptions{}, orb.MultiPolygon{{sq}, {sq}}, urn4326, "qgis_1"},
		{"surfaceMembers", `<gml:MultiSurface ` + ns32 + `><gml:surfaceMembers><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>106 11 107 11 107 12 106 12 106 11</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMembers></gml:MultiSurface>`,
			DecodeOptions{}, orb.MultiPolygon{{sq}}, SRS{}, ""},
		{"gml2 multipolygon", `<gml:MultiPolygon ` + ns311 + ` srsName="EPSG:4326"><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>106,11 107,11 107,12 106,12 106,11</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon>`,
			DecodeOptions{}, orb.MultiPolygon{{sq}}, epsg4326, ""},
		{"ring of curve members", `<gml:Polygon ` + ns32 + `><gml:exterior><gml:Ring><gml:curveMember><gml:LineString><gml:posList>106 11 107 11 107 12</gml:posList></gml:LineString></gml:curveMember>
			<gml:curveMember><gml:LineString><gml:posList>107 12 106 12 106 11</gml:posList></gml:LineString></gml:curveMember></gml:Ring></gml:exterior></gml:Polygon>`,
			DecodeOptions{}, orb.Polygon{sq}, SRS{}, ""},
		{"multigeometry", `<gml:MultiGeometry ` + ns32 + `><gml:geometryMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:geometryMember><gml:geometryMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:geometryMember></gml:MultiGeometry>`,
			DecodeOptions{}, orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}, SRS{}, ""},
		{"envelope urn is lat/lon", `<gml:Envelope ` + ns32 + ` srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>11 106</gml:lowerCorner><gml:upperCorner>12 107</gml:upperCorner></gml:Envelope>`,
			DecodeOptions{}, orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107, 12}}, urn4326, ""},
		{"3.1.1 envelope of two pos", `<gml:Envelope ` + ns311 + ` srsName="EPSG:4326"><gml:pos>106 11</gml:pos><gml:pos>107 12</gml:pos></gml:Envelope>`,
			DecodeOptions{}, orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107, 12}}, epsg4326, ""},
		{"gdal 1.1 box without srsName takes the default", `<gml:Box ` + ns311 + `><gml:coordinates>107,12 106,11</gml:coordinates></gml:Box>`,
			DecodeOptions{Default: urn4326}, orb.Bound{Min: orb.Point{11, 106}, Max: orb.Point{12, 107}}, urn4326, ""},
		{"gdal envelope of coord", `<Envelope xmlns="http://www.opengis.net/gml"><coord><X>106</X><Y>11</Y></coord><coord><X>107</X><Y>12</Y></coord></Envelope>`,
			DecodeOptions{}, orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107, 12}}, SRS{}, ""},
		{"default applies without srsName", `<gml:Point ` + ns32 + `><gml:pos>11.5 106.9</gml:pos></gml:Point>`,
			DecodeOptions{Default: urn4326}, orb.Point{106.9, 11.5}, urn4326, ""},
		{"srsName overrides the default", `<gml:Point ` + ns32 + ` srsName="EPSG:9212"><gml:pos>569600 1275700</gml:pos></gml:Point>`,
			DecodeOptions{Default: urn4326}, orb.Point{569600, 1275700}, SRS{9212, FormEPSG, false}, ""},
		{"unbound gml prefix", `<gml:Point><gml:pos>1 2</gml:pos></gml:Point>`,
			DecodeOptions{}, orb.Point{1, 2}, SRS{}, ""},
		{"object properties skipped", `<gml:Point ` + ns32 + `><gml:description>x</gml:description><gml:name>p</gml:name><gml:pos>1 2</gml:pos></gml:Point>`,
			DecodeOptions{}, orb.Point{1, 2}, SRS{}, ""},
		{"wms resolver", `<gml:Point ` + ns32 + ` srsName="EPSG:4326"><gml:pos>11.5 106.9</gml:pos></gml:Point>`,
			DecodeOptions{SRS: Resolver{ShortFormFollowsEPSG: true}.Resolve}, orb.Point{106.9, 11.5}, SRS{4326, FormEPSG, true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeString(t, tc.doc, tc.opt)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got.Geom, tc.want) {
				t.Errorf("Geom\n got %#v\nwant %#v", got.Geom, tc.want)
			}
			if got.SRS != tc.wantSRS {
				t.Errorf("SRS = %+v, want %+v", got.SRS, tc.wantSRS)
			}
			if got.ID != tc.wantID {
				t.Errorf("ID = %q, want %q", got.ID, tc.wantID)
			}
		})
	}
}

func TestDecode_Errors(t *testing.T) {
	poly := func(posList string) string {
		return `<gml:Polygon ` + ns32 + `><gml:exterior><gml:LinearRing><gml:posList>` + posList + `</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>`
	}
	tests := []struct {
		name, doc string
		opt       DecodeOptions
		code      string
		contains  string
	}{
		{"open ring", poly("0 0 1 0 1 1 0 1"), DecodeOptions{}, ogcxml.InvalidParameterValue, "end at its first"},
		{"short ring", poly("0 0 1 0 0 0"), DecodeOptions{}, ogcxml.InvalidParameterValue, "at least 4"},
		{"odd posList", poly("0 0 1 0 1 1 0"), DecodeOptions{}, ogcxml.InvalidParameterValue, "multiple of its dimension"},
		{"NaN", `<gml:Point ` + ns32 + `><gml:pos>NaN 1</gml:pos></gml:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "finite"},
		{"Inf", `<gml:Point ` + ns32 + `><gml:pos>1 +Inf</gml:pos></gml:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "finite"},
		{"garbage number", `<gml:Point ` + ns32 + `><gml:pos>1 2x</gml:pos></gml:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, `"2x"`},
		{"empty point", `<gml:Point ` + ns32 + `/>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "exactly one position"},
		{"point with 1 number", `<gml:Point ` + ns32 + `><gml:pos>1</gml:pos></gml:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "needs 2 coordinates"},
		{"linestring of one point", `<gml:LineString ` + ns32 + `><gml:posList>1 2</gml:posList></gml:LineString>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "at least 2"},
		{"unsupported geometry", `<gml:Arc ` + ns32 + `><gml:posList>1 2 3 4 5 6</gml:posList></gml:Arc>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "not supported"},
		{"arc segment", `<gml:Curve ` + ns32 + `><gml:segments><gml:ArcString><gml:posList>1 2 3 4 5 6</gml:posList></gml:ArcString></gml:segments></gml:Curve>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "ArcString"},
		{"two patches", `<gml:Surface ` + ns32 + `><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch>` +
			`<gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "more than one patch"},
		{"interior first", `<gml:Polygon ` + ns32 + `><gml:interior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:interior></gml:Polygon>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "before its exterior"},
		{"no exterior", `<gml:Polygon ` + ns32 + `></gml:Polygon>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "no exterior"},
		{"unknown srsName", `<gml:Point ` + ns32 + ` srsName="EPSG:27700"><gml:pos>1 2</gml:pos></gml:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "not supported"},
		{"mixed CRSs", `<gml:MultiPoint ` + ns32 + ` srsName="EPSG:4326"><gml:pointMember><gml:Point srsName="EPSG:9212"><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "one geometry must use one CRS"},
		{"xlink member", `<gml:MultiPoint ` + ns32 + ` xmlns:xlink="http://www.w3.org/1999/xlink"><gml:pointMember xlink:href="#p1"/></gml:MultiPoint>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "xlink:href"},
		{"wrong member type", `<gml:MultiSurface ` + ns32 + `><gml:surfaceMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:surfaceMember></gml:MultiSurface>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "cannot hold a Point"},
		{"two geometries in one member", `<gml:MultiPoint ` + ns32 + `><gml:pointMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "more than one geometry"},
		{"too many points", poly("0 0 1 0 1 1 0 0"), DecodeOptions{MaxPoints: 3}, ogcxml.InvalidParameterValue, "more than 3 coordinates"},
		{"not gml", `<x:Point xmlns:x="urn:other"><x:pos>1 2</x:pos></x:Point>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "not a GML geometry"},
		{"text in polygon", `<gml:Polygon ` + ns32 + `>junk</gml:Polygon>`, DecodeOptions{}, ogcxml.InvalidParameterValue, "holds text"},
		{"inverted envelope", `<gml:Envelope ` + ns32 + `><gml:lowerCorner>2 2</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "above or right"},
		{"envelope without upper", `<gml:Envelope ` + ns32 + `><gml:lowerCorner>2 2</gml:lowerCorner></gml:Envelope>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "one lowerCorner and one upperCorner"},
		{"bad srsDimension", `<gml:LineString ` + ns32 + ` srsDimension="9"><gml:posList>1 2 3 4</gml:posList></gml:LineString>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "srsDimension"},
		{"coordinates tuple of one", `<gml:LineString ` + ns311 + `><gml:coordinates>1 2</gml:coordinates></gml:LineString>`,
			DecodeOptions{}, ogcxml.InvalidParameterValue, "2 or 3 coordinates"},
		{"entity bomb", `<!DOCTYPE p [<!ENTITY a "1 2">]><gml:Point ` + ns32 + `><gml:pos>&a;</gml:pos></gml:Point>`,
			DecodeOptions{}, ogcxml.OperationParsingFailed, "DOCTYPE"},
		{"trailing element", `<gml:Point ` + ns32 + `><gml:pos>1 2</gml:pos></gml:Point><x/>`,
			DecodeOptions{}, ogcxml.OperationParsingFailed, "second element"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeString(t, tc.doc, tc.opt)
			var e *ogcxml.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %T %v, want *ogcxml.Error", err, err)
			}
			if e.Code != tc.code || !strings.Contains(e.Msg, tc.contains) {
				t.Errorf("Decode = %s %q, want %s mentioning %q", e.Code, e.Msg, tc.code, tc.contains)
			}
		})
	}
}
