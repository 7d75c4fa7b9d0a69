package geo_test

import (
	"errors"
	"fmt"

	"github.com/dongnai-gis/gisd/geo"
)

func ExampleToVN2000TM3() {
	// Đồng Xoài, WGS 84 lon/lat, to VN-2000 / TM-3 106-15 (Bình Phước).
	e, n, err := geo.ToVN2000TM3(106.89, 11.535, geo.ProvinceZone)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("E %.3f N %.3f\n", e, n)

	// And back.
	lon, lat, err := geo.FromVN2000TM3(e, n, geo.ProvinceZone)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("lon %.9f lat %.9f\n", lon, lat)
	// Output:
	// E 569613.688 N 1275708.641
	// lon 106.890000000 lat 11.535000000
}

func ExampleParseCRS() {
	for _, s := range []string{
		"http://www.opengis.net/def/crs/EPSG/0/9212",
		"urn:ogc:def:crs:OGC:1.3:CRS84",
		"EPSG:4326",
	} {
		c, err := geo.ParseCRS(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s %q projected=%v lat/lon=%v\n", c, c.Name, c.Projected, geo.AxisOrderLatLon(c))
	}

	// The deprecated PostGIS codes with swapped false easting/northing are refused.
	_, err := geo.ParseCRS("EPSG:6959")
	fmt.Println(errors.Is(err, geo.ErrUnknownCRS), err)
	// Output:
	// EPSG:9212 "VN-2000 / TM-3 106-15" projected=true lat/lon=false
	// OGC:CRS84 "WGS 84 (CRS84)" projected=false lat/lon=false
	// EPSG:4326 "WGS 84" projected=false lat/lon=true
	// true geo: crs "EPSG:6959": EPSG:6959 is deprecated (false easting and northing swapped); use EPSG:5899
}

func ExampleParseBBox() {
	b, err := geo.ParseBBox("106.41,11.30,107.43,12.30")
	fmt.Println(b, err)
	_, err = geo.ParseBBox("1,2,3")
	fmt.Println(err)
	// Output:
	// {[106.41 11.3] [107.43 12.3]} <nil>
	// geo: bbox: want 4 or 6 numbers, got 3
}

func ExampleTilesCovering() {
	// The z8 tiles a change inside the province invalidates.
	for t := range geo.TilesCovering(geo.ProvinceBound, 8) {
		fmt.Println(t)
	}
	// Output:
	// 8/203/119
	// 8/204/119
}

func ExampleFold() {
	fmt.Println(geo.Fold("Thành phố  Đồng Xoài"))
	// Output: thanh pho dong xoai
}
