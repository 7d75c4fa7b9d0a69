package geojson_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
)

// A cadastral layer exported in VN-2000 with the legacy crs member: the decoder hands out one
// feature at a time, with its geometry in go-geom's flat layout, and says which CRS the file
// declared. ResolveCRS checks that the coordinates fit it.
func ExampleDecoder() {
	in := `{"type":"FeatureCollection",
	  "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9212"}},
	  "features":[{"type":"Feature","properties":{"MaXa":"25216","SoThuTuThua":12},
	    "geometry":{"type":"Polygon","coordinates":[[[569613.7,1275708.6],[569713.7,1275708.6],[569713.7,1275808.6],[569613.7,1275708.6]]]}}]}`
	d := geojson.NewDecoder(strings.NewReader(in), geojson.DecoderOptions{})
	var f geojson.Feature
	for {
		err := d.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		declared, _ := d.CRS()
		fc := f.Geometry.FlatCoords()
		srid, err := geo.ResolveCRS(0, &declared, fc[0], fc[1], geo.ImportRegion)
		p, _ := f.Property("MaXa")
		fmt.Println(f.Index, string(p.Raw), geo.TypeName(f.Geometry), len(fc)/2, "positions, EPSG", srid, err)
	}
	// Output: 0 25216 Polygon 4 positions, EPSG 9212 <nil>
}
