package fes

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/cql2/cql2test"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/gml"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// Wrappers as clients write them.
const (
	fes20 = `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:gisd="http://gisd.example/ns">`
	end20 = `</fes:Filter>`
	ogc11 = `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml">`
	end11 = `</ogc:Filter>`
	// GDAL's WFS driver binds the filter namespace as the default one (ogrwfslayer.cpp).
	gdal20  = `<Filter xmlns="http://www.opengis.net/fes/2.0" xmlns:gisd="http://gisd.example/ns" xmlns:gml="http://www.opengis.net/gml/3.2">`
	gdal11  = `<Filter xmlns="http://www.opengis.net/ogc" xmlns:gisd="http://gisd.example/ns" xmlns:gml="http://www.opengis.net/gml">`
	endGDAL = `</Filter>`
)

func pointWKB(x, y float64) []byte { return wkb.MustMarshal(orb.Point{x, y}) }

func boxWKB(minx, miny, maxx, maxy float64) []byte {
	return wkb.MustMarshal(orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}.ToPolygon())
}

var (
	urn4326  = gml.SRS{SRID: 4326, Form: gml.FormURN, NorthEast: true}
	epsg4326 = gml.SRS{SRID: 4326, Form: gml.FormEPSG}
	// A parcel near Đồng Xoài, lon/lat.
	parcelRing = orb.Ring{{106.88, 11.53}, {106.89, 11.53}, {106.89, 11.54}, {106.88, 11.53}}
)

// compile parses doc with opt (the parcels resolver unless set) and compiles it with crs.
func compile(t *testing.T, doc string, opt Options, crs geo.CRS) (string, []any, cql2.Expr) {
	t.Helper()
	if opt.Resolver == nil {
		opt.Resolver = cql2test.Parcels()
	}
	e, err := Parse([]byte(doc), opt)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	sql, args, err := cql2.Compile(e, opt.Resolver, cql2.Options{CRS: crs})
	if err != nil {
		t.Fatalf("Compile(%s): %v", e, err)
	}
	return sql, args, e
}

func TestParse_Compile(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	geomSQL := func(fn string) string {
		return fn + `("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`
	}
	tests := []struct {
		name     string
		doc      string
		opt      Options
		crs      geo.CRS
		wantSQL  string
		wantArgs []any // nil: not checked
	}{
		// FES 2.0 (OGC 09-026r2) examples, with the parcels' properties.
		{"fes20 equal", fes20 + `<fes:PropertyIsEqualTo><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>100</fes:Literal></fes:PropertyIsEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."sheet_no" = $1::bigint)`, []any{int64(100)}},
		{"fes20 less than and not disjoint (urn envelope is lat/lon)", fes20 + `<fes:And>
			<fes:PropertyIsLessThan><fes:ValueReference>official_area_m2</fes:ValueReference><fes:Literal>30</fes:Literal></fes:PropertyIsLessThan>
			<fes:Not><fes:Disjoint><fes:ValueReference>geometry</fes:ValueReference>
			<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>11.4 106.8</gml:lowerCorner><gml:upperCorner>11.6 107.0</gml:upperCorner></gml:Envelope>
			</fes:Disjoint></fes:Not></fes:And>` + end20,
			Options{}, geo.CRS84,
			`(("t"."official_area_m2" < $1::bigint) AND NOT (ST_Disjoint("t"."geom", (SELECT ST_GeomFromWKB($2::bytea, $3::integer)))))`,
			[]any{int64(30), boxWKB(106.8, 11.4, 107.0, 11.6), 4326}},
		{"fes20 between", fes20 + `<fes:PropertyIsBetween><fes:ValueReference>sheet_no</fes:ValueReference>
			<fes:LowerBoundary><fes:Literal>100</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>200</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>` + end20,
			Options{}, geo.CRS84, `("t"."sheet_no" BETWEEN $1::bigint AND $2::bigint)`, []any{int64(100), int64(200)}},
		{"fes20 like with its own characters", fes20 + `<fes:PropertyIsLike wildCard="*" singleChar="#" escapeChar="!"><fes:ValueReference>address</fes:ValueReference><fes:Literal>Ấp*#!*50%_\</fes:Literal></fes:PropertyIsLike>` + end20,
			Options{}, geo.CRS84, `("t"."address" LIKE $1::text)`, []any{`Ấp%_*50\%\_\\`}},
		{"fes20 null and nil", fes20 + `<fes:Or><fes:PropertyIsNull><fes:ValueReference>legal_area_m2</fes:ValueReference></fes:PropertyIsNull>
			<fes:PropertyIsNil nilReason="missing"><fes:ValueReference>address</fes:ValueReference></fes:PropertyIsNil></fes:Or>` + end20,
			Options{}, geo.CRS84, `(("t"."legal_area_m2" IS NULL) OR ("t"."address" IS NULL))`, nil},
		{"fes20 resource ids of this type only", fes20 + `<fes:ResourceId rid="parcels.12"/><fes:ResourceId rid="parcels.13"/><fes:ResourceId rid="constructions.5"/>` + end20,
			Options{TypeName: "gisd:parcels"}, geo.CRS84, `("t"."id" IN ($1::bigint, $2::bigint))`, []any{int64(12), int64(13)}},
		{"fes20 resource ids of another type match nothing", fes20 + `<fes:ResourceId rid="constructions.5"/>` + end20,
			Options{TypeName: "parcels"}, geo.CRS84, `FALSE`, nil},
		{"fes20 overlaps polygon urn", fes20 + `<fes:Overlaps><fes:ValueReference>geometry</fes:ValueReference>
			<gml:Polygon gml:id="P1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>11.53 106.88 11.53 106.89 11.54 106.89 11.53 106.88</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>
			</fes:Overlaps>` + end20,
			Options{}, geo.CRS84, geomSQL("ST_Overlaps"), []any{wkb.MustMarshal(orb.Polygon{parcelRing}), 4326}},
		{"fes20 dwithin metres", fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point gml:id="P2" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point><fes:Distance uom="m">250</fes:Distance></fes:DWithin>` + end20,
			Options{}, geo.CRS84,
			`(ST_DWithin("t"."geom"::geography, (SELECT ST_GeomFromWKB($1::bytea, $2::integer))::geography, $3::double precision) AND "t"."geom" && ST_Expand((SELECT ST_GeomFromWKB($1::bytea, $2::integer)), $4::double precision, $5::double precision))`,
			nil},
		{"fes20 beyond km is not dwithin", fes20 + `<fes:Beyond><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName="EPSG:9212"><gml:pos>569613.688 1275708.641</gml:pos></gml:Point><fes:Distance uom="km">1.5</fes:Distance></fes:Beyond>` + end20,
			Options{}, geo.CRS84,
			`NOT ((ST_DWithin("t"."geom"::geography, (SELECT ST_Transform(ST_GeomFromWKB($1::bytea, $2::integer), $3::integer))::geography, $4::double precision) AND "t"."geom" && ST_Expand((SELECT ST_Transform(ST_GeomFromWKB($1::bytea, $2::integer), $3::integer)), $5::double precision, $6::double precision)))`,
			nil},
		{"fes20 bbox without property", fes20 + `<fes:BBOX><gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/4326"><gml:lowerCorner>11.4 106.8</gml:lowerCorner><gml:upperCorner>11.6 107</gml:upperCorner></gml:Envelope></fes:BBOX>` + end20,
			Options{}, geo.CRS84, geomSQL("ST_Intersects"), []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"fes20 intersects VN-2000 polygon is transformed", fes20 + `<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference>
			<gml:Polygon srsName="urn:ogc:def:crs:EPSG::9212"><gml:exterior><gml:LinearRing><gml:posList>569600 1275700 569620 1275700 569620 1275720 569600 1275700</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>` + end20,
			Options{}, geo.CRS84, `ST_Intersects("t"."geom", (SELECT ST_Transform(ST_GeomFromWKB($1::bytea, $2::integer), $3::integer)))`,
			[]any{wkb.MustMarshal(orb.Polygon{{{569600, 1275700}, {569620, 1275700}, {569620, 1275720}, {569600, 1275700}}}), 9212, 4326}},
		{"fes20 geometry first keeps the order", fes20 + `<fes:Within><gml:Point srsName="CRS:84"><gml:pos>106.9 11.5</gml:pos></gml:Point><fes:ValueReference>geometry</fes:ValueReference></fes:Within>` + end20,
			Options{}, geo.CRS84, `ST_Within((SELECT ST_GeomFromWKB($1::bytea, $2::integer)), "t"."geom")`, []any{pointWKB(106.9, 11.5), 4326}},
		{"fes20 literal geometry", fes20 + `<fes:Contains><fes:ValueReference>geometry</fes:ValueReference><fes:Literal><gml:Point srsName="EPSG:4326"><gml:pos>106.9 11.5</gml:pos></gml:Point></fes:Literal></fes:Contains>` + end20,
			Options{}, geo.CRS84, geomSQL("ST_Contains"), []any{pointWKB(106.9, 11.5), 4326}},
		{"fes20 geometry without srsName takes the query CRS", fes20 + `<fes:Touches><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>11.5 106.9</gml:pos></gml:Point></fes:Touches>` + end20,
			Options{GML: gml.DecodeOptions{Default: urn4326}}, geo.CRS84, geomSQL("ST_Touches"), []any{pointWKB(106.9, 11.5), 4326}},
		{"fes20 geometry without srsName or default follows cql2.Options.CRS", fes20 + `<fes:Crosses><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>11.5 106.9</gml:pos></gml:Point></fes:Crosses>` + end20,
			Options{}, lookup(4326), geomSQL("ST_Crosses"), []any{pointWKB(106.9, 11.5), 4326}},
		{"fes20 equals", fes20 + `<fes:Equals><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName="EPSG:4326"><gml:pos>106.9 11.5</gml:pos></gml:Point></fes:Equals>` + end20,
			Options{}, geo.CRS84, geomSQL("ST_Equals"), nil},
		{"matchCase false on text", fes20 + `<fes:PropertyIsEqualTo matchCase="false"><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>ont</fes:Literal></fes:PropertyIsEqualTo>` + end20,
			Options{}, geo.CRS84, `(lower("t"."main_use") = lower($1::text))`, []any{"ont"}},
		{"matchCase false on a number is harmless", fes20 + `<fes:PropertyIsNotEqualTo matchCase="false"><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>7</fes:Literal></fes:PropertyIsNotEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."sheet_no" <> $1::bigint)`, []any{int64(7)}},
		{"text stays text even when it looks like a number", fes20 + `<fes:PropertyIsEqualTo><fes:ValueReference>commune_code</fes:ValueReference><fes:Literal>25471</fes:Literal></fes:PropertyIsEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."commune_code" = $1::text)`, []any{"25471"}},
		{"date", fes20 + `<fes:PropertyIsGreaterThanOrEqualTo><fes:ValueReference>valid_from</fes:ValueReference><fes:Literal>2025-07-01</fes:Literal></fes:PropertyIsGreaterThanOrEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."valid_from" >= $1::date)`, []any{day("2025-07-01")}},
		{"zone-less date-time is Vietnam time", fes20 + `<fes:PropertyIsLessThanOrEqualTo><fes:ValueReference>updated_at</fes:ValueReference><fes:Literal>2025-07-01T08:30:00</fes:Literal></fes:PropertyIsLessThanOrEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."updated_at" <= $1::timestamptz)`, []any{time.Date(2025, 7, 1, 8, 30, 0, 0, ict)}},
		{"RFC 3339 date-time", fes20 + `<fes:PropertyIsGreaterThan><fes:ValueReference>updated_at</fes:ValueReference><fes:Literal>2025-07-01T01:30:00Z</fes:Literal></fes:PropertyIsGreaterThan>` + end20,
			Options{}, geo.CRS84, `("t"."updated_at" > $1::timestamptz)`, []any{time.Date(2025, 7, 1, 1, 30, 0, 0, time.UTC)}},
		{"boolean", fes20 + `<fes:PropertyIsEqualTo><fes:ValueReference>active</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>` + end20,
			Options{}, geo.CRS84, `("t"."active" = $1::boolean)`, []any{true}},
		{"literal first", fes20 + `<fes:PropertyIsLessThan><fes:Literal>5</fes:Literal><fes:ValueReference>sheet_no</fes:ValueReference></fes:PropertyIsLessThan>` + end20,
			Options{}, geo.CRS84, `($1::bigint < "t"."sheet_no")`, []any{int64(5)}},
		{"prefixed name and type path", fes20 + `<fes:And><fes:PropertyIsEqualTo><fes:ValueReference>gisd:sheet_no</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>
			<fes:PropertyIsEqualTo><fes:ValueReference>gisd:parcels/gisd:parcel_no</fes:ValueReference><fes:Literal>2</fes:Literal></fes:PropertyIsEqualTo></fes:And>` + end20,
			Options{TypeName: "gisd:parcels"}, geo.CRS84, `(("t"."sheet_no" = $1::bigint) AND ("t"."parcel_no" = $2::bigint))`, nil},
		{"nested logic", fes20 + `<fes:Or><fes:And><fes:PropertyIsEqualTo><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>ONT</fes:Literal></fes:PropertyIsEqualTo>
			<fes:Not><fes:PropertyIsNull><fes:ValueReference>address</fes:ValueReference></fes:PropertyIsNull></fes:Not></fes:And>
			<fes:PropertyIsGreaterThan><fes:ValueReference>official_area_m2</fes:ValueReference><fes:Literal>1000.5</fes:Literal></fes:PropertyIsGreaterThan></fes:Or>` + end20,
			Options{}, geo.CRS84, `((("t"."main_use" = $1::text) AND NOT (("t"."address" IS NULL))) OR ("t"."official_area_m2" > $2::numeric))`, []any{"ONT", 1000.5}},
		{"single-operand And is its operand", fes20 + `<fes:And><fes:PropertyIsEqualTo><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo></fes:And>` + end20,
			Options{}, geo.CRS84, `("t"."sheet_no" = $1::bigint)`, nil},

		// Filter Encoding 1.1 (OGC 04-095) examples.
		{"f11 equal", ogc11 + `<ogc:PropertyIsEqualTo><ogc:PropertyName>sheet_no</ogc:PropertyName><ogc:Literal>100</ogc:Literal></ogc:PropertyIsEqualTo>` + end11,
			Options{}, geo.CRS84, `("t"."sheet_no" = $1::bigint)`, []any{int64(100)}},
		{"f11 gml object and feature ids", ogc11 + `<ogc:GmlObjectId gml:id="parcels.7"/><ogc:FeatureId fid="parcels.8"/>` + end11,
			Options{TypeName: "parcels"}, geo.CRS84, `("t"."id" IN ($1::bigint, $2::bigint))`, []any{int64(7), int64(8)}},
		{"f11 bbox envelope EPSG:4326 is lon/lat", ogc11 + `<ogc:BBOX><ogc:PropertyName>geometry</ogc:PropertyName><gml:Envelope srsName="EPSG:4326"><gml:lowerCorner>106.8 11.4</gml:lowerCorner><gml:upperCorner>107 11.6</gml:upperCorner></gml:Envelope></ogc:BBOX>` + end11,
			Options{}, geo.CRS84, geomSQL("ST_Intersects"), []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"f11 dwithin units", ogc11 + `<ogc:DWithin><ogc:PropertyName>geometry</ogc:PropertyName><gml:Point srsName="EPSG:4326"><gml:coordinates>106.9,11.5</gml:coordinates></gml:Point><ogc:Distance units="m">10</ogc:Distance></ogc:DWithin>` + end11,
			Options{}, geo.CRS84, "", nil},
		{"f11 like", ogc11 + `<ogc:PropertyIsLike wildCard="*" singleChar="#" escapeChar="!"><ogc:PropertyName>address</ogc:PropertyName><ogc:Literal>JOHN*</ogc:Literal></ogc:PropertyIsLike>` + end11,
			Options{}, geo.CRS84, `("t"."address" LIKE $1::text)`, []any{"JOHN%"}},
		{"f11 within gml2 polygon", ogc11 + `<ogc:Within><ogc:PropertyName>geometry</ogc:PropertyName><gml:Polygon srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:outerBoundaryIs><gml:LinearRing>
			<gml:coordinates>106.88,11.53 106.89,11.53 106.89,11.54 106.88,11.53</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></ogc:Within>` + end11,
			Options{}, geo.CRS84, geomSQL("ST_Within"), []any{wkb.MustMarshal(orb.Polygon{parcelRing}), 4326}},

		// GDAL's WFS driver (ogrwfsfilter.cpp, ogrwfslayer.cpp): -where and -spat.
		{"gdal 2.0 -where", gdal20 + `<PropertyIsEqualTo><ValueReference>sheet_no</ValueReference><Literal>1</Literal></PropertyIsEqualTo>` + endGDAL,
			Options{}, geo.CRS84, `("t"."sheet_no" = $1::bigint)`, []any{int64(1)}},
		{"gdal 2.0 -where with -spat", gdal20 + `<And><PropertyIsEqualTo><ValueReference>main_use</ValueReference><Literal>CLN</Literal></PropertyIsEqualTo>` +
			`<BBOX><ValueReference>gisd:geometry</ValueReference><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>11.4000000000000004 106.7999999999999972</gml:lowerCorner><gml:upperCorner>11.5999999999999996 107.0000000000000000</gml:upperCorner></gml:Envelope></BBOX></And>` + endGDAL,
			Options{}, geo.CRS84, `(("t"."main_use" = $1::text) AND ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($2::bytea, $3::integer))))`,
			[]any{"CLN", boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"gdal 1.1 -spat box without srsName", gdal11 + `<BBOX><PropertyName>gisd:geometry</PropertyName><gml:Box><gml:coordinates>106.8000000000000000,11.4000000000000004 107.0000000000000000,11.5999999999999996</gml:coordinates></gml:Box></BBOX>` + endGDAL,
			Options{GML: gml.DecodeOptions{Default: epsg4326}}, geo.CRS84, geomSQL("ST_Intersects"), []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"gdal ilike", gdal20 + `<PropertyIsLike wildCard='*' singleChar='_' escapeChar='!' matchCase='false'><ValueReference>address</ValueReference><Literal>*ấp 3!*!!*</Literal></PropertyIsLike>` + endGDAL,
			Options{}, geo.CRS84, `(lower("t"."address") LIKE lower($1::text))`, []any{"%ấp 3*!%"}},
		{"gdal 1.0 like escape", gdal11 + `<PropertyIsLike wildCard='*' singleChar='_' escape='!' matchCase='true'><PropertyName>address</PropertyName><Literal>Lộc*</Literal></PropertyIsLike>` + endGDAL,
			Options{}, geo.CRS84, `("t"."address" LIKE $1::text)`, []any{"Lộc%"}},
		{"gdal not equal for servers without PropertyIsNotEqualTo", gdal11 + `<Not><PropertyIsEqualTo><PropertyName>main_use</PropertyName><Literal>ONT</Literal></PropertyIsEqualTo></Not>` + endGDAL,
			Options{}, geo.CRS84, `NOT (("t"."main_use" = $1::text))`, []any{"ONT"}},
		{"gdal gml_id OR list, 2.0", gdal20 + `<ResourceId rid="parcels.5"/><ResourceId rid="parcels.6"/>` + endGDAL,
			Options{TypeName: "parcels"}, geo.CRS84, `("t"."id" IN ($1::bigint, $2::bigint))`, []any{int64(5), int64(6)}},
		{"gdal gml_id, 1.1 without gml prefix", gdal11 + `<GmlObjectId id="parcels.5"/>` + endGDAL,
			Options{TypeName: "parcels"}, geo.CRS84, `("t"."id" IN ($1::bigint))`, []any{int64(5)}},
		{"gdal ST_DWithin with unit=", gdal20 + `<DWithin><ValueReference>geometry</ValueReference><gml:Point gml:id="id1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point><Distance unit="m">100</Distance></DWithin>` + endGDAL,
			Options{}, geo.CRS84, "", nil},
		{"gdal is null", gdal20 + `<PropertyIsNull><ValueReference>legal_area_m2</ValueReference></PropertyIsNull>` + endGDAL,
			Options{}, geo.CRS84, `("t"."legal_area_m2" IS NULL)`, nil},

		// QGIS (QgsOgcUtils::expressionToOgcFilter and the WFS provider).
		{"qgis 2.0 and/ilike", fes20 + `<fes:And><fes:PropertyIsEqualTo><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>12</fes:Literal></fes:PropertyIsEqualTo>` +
			`<fes:PropertyIsLike matchCase="false" wildCard="%" singleChar="_" escapeChar="\"><fes:ValueReference>address</fes:ValueReference><fes:Literal>%Lộc%</fes:Literal></fes:PropertyIsLike></fes:And>` + end20,
			Options{}, geo.CRS84, `(("t"."sheet_no" = $1::bigint) AND (lower("t"."address") LIKE lower($2::text)))`, []any{int64(12), "%Lộc%"}},
		{"qgis intersects geom_from_wkt", fes20 + `<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon gml:id="qgis_id_geom_1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11.53 106.88 11.53 106.89 11.54 106.89 11.53 106.88</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>` + end20,
			Options{}, geo.CRS84, geomSQL("ST_Intersects"), []any{wkb.MustMarshal(orb.Polygon{parcelRing}), 4326}},
		{"qgis 1.1 equal", `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo><ogc:PropertyName>sheet_no</ogc:PropertyName><ogc:Literal>12</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>`,
			Options{}, geo.CRS84, `("t"."sheet_no" = $1::bigint)`, []any{int64(12)}},

		// OWSLib (owslib.fes and owslib.fes2).
		{"owslib 1.1 like", `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsLike matchCase="true" wildCard="%" singleChar="_" escapeChar="\"><ogc:PropertyName>address</ogc:PropertyName><ogc:Literal>%Lộc Ninh%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>`,
			Options{}, geo.CRS84, `("t"."address" LIKE $1::text)`, []any{"%Lộc Ninh%"}},
		{"owslib fes2 bbox with gml32 prefix", `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml32="http://www.opengis.net/gml/3.2"><fes:BBOX><fes:ValueReference>geometry</fes:ValueReference><gml32:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml32:lowerCorner>11.4 106.8</gml32:lowerCorner><gml32:upperCorner>11.6 107</gml32:upperCorner></gml32:Envelope></fes:BBOX></fes:Filter>`,
			Options{}, geo.CRS84, geomSQL("ST_Intersects"), []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"owslib fes2 or", `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:Or><fes:PropertyIsEqualTo matchCase="true"><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>ONT</fes:Literal></fes:PropertyIsEqualTo><fes:PropertyIsEqualTo matchCase="true"><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>ODT</fes:Literal></fes:PropertyIsEqualTo></fes:Or></fes:Filter>`,
			Options{}, geo.CRS84, `(("t"."main_use" = $1::text) OR ("t"."main_use" = $2::text))`, []any{"ONT", "ODT"}},

		// Hand-written KVP filters without namespaces (WFS 1.0 habits, MapServer and GeoServer docs).
		{"no namespace", `<Filter><PropertyIsEqualTo><PropertyName>main_use</PropertyName><Literal>CLN</Literal></PropertyIsEqualTo></Filter>`,
			Options{}, geo.CRS84, `("t"."main_use" = $1::text)`, []any{"CLN"}},
		{"no namespace box", `<Filter><BBOX><PropertyName>geometry</PropertyName><Box srsName='EPSG:4326'><coordinates>106.8,11.4 107,11.6</coordinates></Box></BBOX></Filter>`,
			Options{}, geo.CRS84, geomSQL("ST_Intersects"), []any{boxWKB(106.8, 11.4, 107, 11.6), 4326}},
		{"unbound prefixes", `<fes:Filter><fes:PropertyIsEqualTo><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>CLN</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`,
			Options{}, geo.CRS84, `("t"."main_use" = $1::text)`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, args, e := compile(t, tc.doc, tc.opt, tc.crs)
			if tc.wantSQL == "" {
				if !strings.Contains(sql, "ST_DWithin") {
					t.Errorf("SQL %s has no ST_DWithin (tree %s)", sql, e)
				}
				return
			}
			if sql != tc.wantSQL {
				t.Errorf("SQL\n got %s\nwant %s\ntree %s", sql, tc.wantSQL, e)
			}
			if tc.wantArgs != nil && !reflect.DeepEqual(args, tc.wantArgs) {
				t.Errorf("args\n got %#v\nwant %#v", args, tc.wantArgs)
			}
		})
	}
}

func lookup(srid int) geo.CRS {
	c, ok := geo.LookupCRS(srid)
	if !ok {
		panic("no CRS in the registry")
	}
	return c
}

func TestParse_Distance(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want float64
	}{
		{`uom="m"`, 100}, {`uom="metre"`, 100}, {`units="m"`, 100}, {`unit="m"`, 100}, {``, 100},
		{`uom="km"`, 100_000}, {`uom="urn:ogc:def:uom:EPSG::9001"`, 100}, {`uom="http://www.opengis.net/def/uom/EPSG/0/9036"`, 100_000},
		{`uom="ft"`, 30.48}, {`uom="mi"`, 160934.4},
	} {
		doc := fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName="CRS:84"><gml:pos>106.9 11.5</gml:pos></gml:Point><fes:Distance ` + tc.attr + `>100</fes:Distance></fes:DWithin>` + end20
		e, err := Parse([]byte(doc), Options{Resolver: cql2test.Parcels()})
		if err != nil {
			t.Fatalf("%s: %v", tc.attr, err)
		}
		if d := e.(cql2.DWithin).Distance; d < tc.want*0.999999 || d > tc.want*1.000001 {
			t.Errorf("Distance %s = %g m, want %g", tc.attr, d, tc.want)
		}
	}
}

func TestParse_Errors(t *testing.T) {
	eq := func(prop, lit string) string {
		return `<fes:PropertyIsEqualTo><fes:ValueReference>` + prop + `</fes:ValueReference><fes:Literal>` + lit + `</fes:Literal></fes:PropertyIsEqualTo>`
	}
	deep := fes20 + strings.Repeat("<fes:Not>", 70) + eq("sheet_no", "1") + strings.Repeat("</fes:Not>", 70) + end20
	tests := []struct {
		name     string
		doc      string
		opt      Options
		code     string
		kind     error // nil: not checked
		contains string
	}{
		{"personal property", fes20 + eq("owner_name", "Nguyễn Văn A") + end20, Options{}, ogcxml.InvalidParameterValue, cql2.ErrProperty, "personal"},
		{"personal property deep inside", fes20 + `<fes:Or>` + eq("main_use", "ONT") + `<fes:PropertyIsLike wildCard="*" singleChar="_" escapeChar="!"><fes:ValueReference>gisd:owner_id_number</fes:ValueReference><fes:Literal>07*</fes:Literal></fes:PropertyIsLike></fes:Or>` + end20,
			Options{}, ogcxml.InvalidParameterValue, cql2.ErrProperty, "personal"},
		{"personal property in a sort-free spatial op", fes20 + `<fes:PropertyIsNull><fes:ValueReference>certificate_no</fes:ValueReference></fes:PropertyIsNull>` + end20,
			Options{}, ogcxml.InvalidParameterValue, cql2.ErrProperty, "personal"},
		{"unknown property", fes20 + eq("colour", "red") + end20, Options{}, ogcxml.InvalidParameterValue, cql2.ErrProperty, "unknown property colour"},
		{"wrong type in path", fes20 + eq("gisd:constructions/gisd:sheet_no", "1") + end20, Options{TypeName: "parcels"}, ogcxml.InvalidParameterValue, nil, "names the type"},
		{"xpath predicate", fes20 + eq("sheet_no[1]", "1") + end20, Options{}, ogcxml.InvalidParameterValue, nil, "not supported"},
		{"empty value reference", fes20 + eq(" ", "1") + end20, Options{}, ogcxml.MissingParameterValue, nil, "empty"},
		{"temporal operator", fes20 + `<fes:During><fes:ValueReference>updated_at</fes:ValueReference></fes:During>` + end20, Options{}, ogcxml.InvalidParameterValue, nil, "temporal"},
		{"function", fes20 + `<fes:PropertyIsEqualTo><fes:Function name="strToLowerCase"><fes:ValueReference>main_use</fes:ValueReference></fes:Function><fes:Literal>ont</fes:Literal></fes:PropertyIsEqualTo>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "functions are not supported"},
		{"arithmetic", ogc11 + `<ogc:PropertyIsGreaterThan><ogc:PropertyName>sheet_no</ogc:PropertyName><ogc:Add><ogc:Literal>1</ogc:Literal><ogc:Literal>2</ogc:Literal></ogc:Add></ogc:PropertyIsGreaterThan>` + end11,
			Options{}, ogcxml.InvalidParameterValue, nil, "arithmetic"},
		{"unknown operator", fes20 + `<fes:PropertyIsSimilarTo/>` + end20, Options{}, ogcxml.InvalidParameterValue, nil, "unknown filter operator"},
		{"empty filter", fes20 + end20, Options{}, ogcxml.MissingParameterValue, nil, "empty"},
		{"two predicates", fes20 + eq("sheet_no", "1") + eq("sheet_no", "2") + end20, Options{}, ogcxml.InvalidParameterValue, nil, "<And>"},
		{"ids and a predicate", fes20 + `<fes:ResourceId rid="parcels.1"/>` + eq("sheet_no", "1") + end20, Options{}, ogcxml.InvalidParameterValue, nil, "not both"},
		{"resource id inside And", fes20 + `<fes:And><fes:ResourceId rid="parcels.1"/>` + eq("sheet_no", "1") + `</fes:And>` + end20, Options{}, ogcxml.InvalidParameterValue, nil, "directly in the Filter"},
		{"versioned resource id", fes20 + `<fes:ResourceId rid="parcels.1" version="3"/>` + end20, Options{}, ogcxml.InvalidParameterValue, nil, "version"},
		{"resource id without rid", fes20 + `<fes:ResourceId/>` + end20, Options{}, ogcxml.MissingParameterValue, nil, "no identifier"},
		{"wrong root", `<fes:Query xmlns:fes="http://www.opengis.net/fes/2.0"/>`, Options{}, ogcxml.InvalidParameterValue, nil, "expected a fes:Filter"},
		{"geometry compared", fes20 + `<fes:PropertyIsEqualTo><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:PropertyIsEqualTo>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "spatial operator"},
		{"spatial with text", fes20 + `<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><fes:Literal>POINT(1 2)</fes:Literal></fes:Intersects>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "GML geometry"},
		{"distance in degrees", fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance uom="deg">0.1</fes:Distance></fes:DWithin>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "not supported"},
		{"distance too far", fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance uom="km">5000</fes:Distance></fes:DWithin>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "between 0 and"},
		{"dwithin without distance", fes20 + `<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:DWithin>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "<Distance>"},
		{"two-character wildcard", fes20 + `<fes:PropertyIsLike wildCard="**" singleChar="_" escapeChar="!"><fes:ValueReference>address</fes:ValueReference><fes:Literal>a</fes:Literal></fes:PropertyIsLike>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "one character"},
		{"like characters equal", fes20 + `<fes:PropertyIsLike wildCard="*" singleChar="*" escapeChar="!"><fes:ValueReference>address</fes:ValueReference><fes:Literal>a</fes:Literal></fes:PropertyIsLike>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "must differ"},
		{"bad srsName", fes20 + `<fes:BBOX><gml:Envelope srsName="EPSG:27700"><gml:lowerCorner>1 2</gml:lowerCorner><gml:upperCorner>3 4</gml:upperCorner></gml:Envelope></fes:BBOX>` + end20,
			Options{}, ogcxml.InvalidParameterValue, geo.ErrUnknownCRS, "not supported"},
		{"open ring", fes20 + `<fes:Within><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Within>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "first position"},
		{"between without boundaries", fes20 + `<fes:PropertyIsBetween><fes:ValueReference>sheet_no</fes:ValueReference></fes:PropertyIsBetween>` + end20,
			Options{}, ogcxml.InvalidParameterValue, nil, "LowerBoundary"},

		// Hostile XML.
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>` +
			fes20 + eq("address", "&lol2;") + end20, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "DOCTYPE"},
		{"external entity", `<!DOCTYPE Filter [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + fes20 + eq("address", "&xxe;") + end20,
			Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "DOCTYPE"},
		{"undefined entity", fes20 + eq("address", "&xxe;") + end20, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "&xxe;"},
		{"nested too deep", deep, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrLimit, "deep"},
		{"too large", fes20 + eq("address", strings.Repeat("x", 2000)) + end20, Options{Limits: ogcxml.Limits{MaxBytes: 1000}}, ogcxml.OperationParsingFailed, ogcxml.ErrLimit, "larger than 1000 bytes"},
		{"too many elements", fes20 + `<fes:Or>` + strings.Repeat(eq("sheet_no", "1"), 50) + `</fes:Or>` + end20, Options{Limits: ogcxml.Limits{MaxElements: 100}}, ogcxml.OperationParsingFailed, ogcxml.ErrLimit, "more than 100 elements"},
		{"invalid UTF-8", fes20 + eq("address", "\xc3\x28") + end20, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "UTF-8"},
		{"NUL", fes20 + eq("address", "a\x00b") + end20, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "NUL"},
		{"malformed", fes20 + `<fes:PropertyIsEqualTo>` + end20, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "closed by"},
		{"not XML", `main_use = 'ONT'`, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, ""},
		{"trailing element", fes20 + eq("sheet_no", "1") + end20 + `<x/>`, Options{}, ogcxml.OperationParsingFailed, ogcxml.ErrMalformed, "second element"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opt.Resolver == nil {
				tc.opt.Resolver = cql2test.Parcels()
			}
			e, err := Parse([]byte(tc.doc), tc.opt)
			var oe *ogcxml.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Parse = %v, %T %v; want an *ogcxml.Error", e, err, err)
			}
			if oe.Code != tc.code || !strings.Contains(oe.Msg, tc.contains) {
				t.Errorf("Parse = %s %q, want %s mentioning %q", oe.Code, oe.Msg, tc.code, tc.contains)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("Parse = %v, want it to wrap %v", err, tc.kind)
			}
			if oe.Locator != "FILTER" {
				t.Errorf("Locator = %q, want FILTER", oe.Locator)
			}
			for _, internal := range []string{"fes:", "ogcxml", "cql2:", "gml:"} {
				if strings.HasPrefix(oe.Msg, internal) {
					t.Errorf("Msg %q starts with the internal prefix %q", oe.Msg, internal)
				}
			}
		})
	}
}

// TestParse_CompileErrors: filters that parse but do not fit the layer fail in cql2.Compile
// with the property named.
func TestParse_CompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, contains string
	}{
		{"text for an integer", fes20 + `<fes:PropertyIsEqualTo><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>abc</fes:Literal></fes:PropertyIsEqualTo>` + end20, "sheet_no"},
		{"like on a number", fes20 + `<fes:PropertyIsLike wildCard="*" singleChar="_" escapeChar="!"><fes:ValueReference>sheet_no</fes:ValueReference><fes:Literal>1*</fes:Literal></fes:PropertyIsLike>` + end20, "LIKE needs text"},
		{"spatial on text", fes20 + `<fes:Intersects><fes:ValueReference>address</fes:ValueReference><gml:Point srsName="CRS:84"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>` + end20, "not a geometry"},
		{"lat/lon written lon first", fes20 + `<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>106.9 11.5</gml:pos></gml:Point></fes:Intersects>` + end20, "latitude -90..90"},
		{"text resource id for an integer id", fes20 + `<fes:ResourceId rid="parcels.abc"/>` + end20, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cql2test.Parcels()
			e, err := Parse([]byte(tc.doc), Options{Resolver: r})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, _, err = cql2.Compile(e, r, cql2.Options{})
			if !errors.Is(err, cql2.ErrType) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("Compile(%s) = %v, want a cql2.ErrType mentioning %q", e, err, tc.contains)
			}
		})
	}
}

// TestParse_NoClientTextInSQL: whatever a filter holds, only catalog SQL, operators and
// placeholders reach the SQL.
func TestParse_NoClientTextInSQL(t *testing.T) {
	doc := fes20 + `<fes:Or><fes:PropertyIsEqualTo><fes:ValueReference>address</fes:ValueReference><fes:Literal>x'); DROP TABLE parcels; --</fes:Literal></fes:PropertyIsEqualTo>` +
		`<fes:PropertyIsLike wildCard="*" singleChar="_" escapeChar="!"><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>';--*</fes:Literal></fes:PropertyIsLike>` +
		`<fes:PropertyIsEqualTo><fes:ValueReference>main_use</fes:ValueReference><fes:Literal>"t"."main_use"</fes:Literal></fes:PropertyIsEqualTo></fes:Or>` + end20
	sql, args, _ := compile(t, doc, Options{}, geo.CRS84)
	for _, bad := range []string{"DROP", "'", ";", "--", `"t"."main_use" =  "t"`} {
		if strings.Contains(sql, bad) {
			t.Errorf("SQL %s contains %q", sql, bad)
		}
	}
	if len(args) != 3 {
		t.Errorf("got %d args, want 3", len(args))
	}
}

func TestParse_WithoutResolver(t *testing.T) {
	e, err := Parse([]byte(fes20+`<fes:And><fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>12</fes:Literal></fes:PropertyIsEqualTo>`+
		`<fes:PropertyIsEqualTo><fes:ValueReference>b</fes:ValueReference><fes:Literal>true</fes:Literal></fes:PropertyIsEqualTo>`+
		`<fes:PropertyIsEqualTo><fes:ValueReference>c</fes:ValueReference><fes:Literal> x </fes:Literal></fes:PropertyIsEqualTo></fes:And>`+end20), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.String(), "(a = 12 AND b = TRUE AND c = ' x ')"; got != want {
		t.Errorf("tree = %s, want %s", got, want)
	}
}
