package fes_test

import (
	"fmt"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/cql2/cql2test"
	"github.com/dongnai-gis/gisd/cql2/fes"
	"github.com/dongnai-gis/gisd/geo/gml"
)

// A WFS 2.0 filter as GDAL sends it for `ogrinfo -where "main_use = 'CLN'" -spat ...`:
// parsed with the layer's resolver, the envelope's urn:ogc:def:crs:EPSG::4326 read latitude
// first, then compiled like any CQL2 filter.
func Example() {
	filter := `<Filter xmlns="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <And>
	    <PropertyIsEqualTo><ValueReference>main_use</ValueReference><Literal>CLN</Literal></PropertyIsEqualTo>
	    <BBOX><ValueReference>geometry</ValueReference>
	      <gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">
	        <gml:lowerCorner>11.4 106.8</gml:lowerCorner><gml:upperCorner>11.6 107.0</gml:upperCorner>
	      </gml:Envelope>
	    </BBOX>
	  </And>
	</Filter>`
	layer := cql2test.Parcels() // in gisd: the store's resolver for the layer and the caller's key
	e, err := fes.Parse([]byte(filter), fes.Options{Resolver: layer, GML: gml.DecodeOptions{SRS: gml.Resolver{}.Resolve}})
	if err != nil {
		fmt.Println(err)
		return
	}
	sql, args, err := cql2.Compile(e, layer, cql2.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	fmt.Println(sql)
	fmt.Println(len(args), "bind parameters")
	// Output:
	// (main_use = 'CLN' AND S_INTERSECTS(geometry, BBOX(106.8, 11.4, 107, 11.6)))
	// (("t"."main_use" = $1::text) AND ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($2::bytea, $3::integer))))
	// 3 bind parameters
}

// The BBOX parameter of a KVP GetFeature, whose axis order follows the form of its CRS name.
func ExampleParseBBox() {
	for _, kvp := range []string{
		"11.4,106.8,11.6,107.0,urn:ogc:def:crs:EPSG::4326", // EPSG order: latitude first
		"106.8,11.4,107.0,11.6,EPSG:4326",                  // how WFS clients write EPSG:4326
	} {
		b, err := fes.ParseBBox(kvp, fes.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Bound.Min, b.Bound.Max, b.SRS.Name())
	}
	// Output:
	// [106.8 11.4] [107 11.6] urn:ogc:def:crs:EPSG::4326
	// [106.8 11.4] [107 11.6] EPSG:4326
}
