package gml_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo/gml"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// A parcel written for a WFS 2.0 request with srsName=urn:ogc:def:crs:EPSG::4326: the name
// puts latitude first, so the encoder swaps the axes; 7 decimals keep about a centimetre.
func ExampleEncoder() {
	srs, err := gml.Resolver{}.Resolve("urn:ogc:def:crs:EPSG::4326")
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := gml.Encoder{Version: gml.GML32, SRS: srs, Decimals: 7}
	parcel := orb.Polygon{{{106.88, 11.53}, {106.8812345678, 11.53}, {106.88, 11.531}, {106.88, 11.53}}}
	if err := enc.Encode(os.Stdout, parcel, "parcels.1"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <gml:Polygon gml:id="parcels.1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2">11.53 106.88 11.53 106.8812346 11.531 106.88 11.53 106.88</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>
}

// The same point named two ways: the short form is read longitude first (as WFS clients write
// it), the URN latitude first; both decode to x-first coordinates.
func ExampleDecode() {
	for _, doc := range []string{
		`<gml:Point xmlns:gml="http://www.opengis.net/gml" srsName="EPSG:4326"><gml:pos>106.9 11.5</gml:pos></gml:Point>`,
		`<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>11.5 106.9</gml:pos></gml:Point>`,
	} {
		g, err := gml.Decode(strings.NewReader(doc), ogcxml.Limits{}, gml.DecodeOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(g.Geom, g.SRS.SRID, g.SRS.NorthEast)
	}
	// Output:
	// [106.9 11.5] 4326 false
	// [106.9 11.5] 4326 true
}
