package geo

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// decodeGeometry decodes one GeoJSON geometry (with go-geom's decoder: geo/geojson imports geo).
func decodeGeometry(t testing.TB, g string) geom.T {
	t.Helper()
	var out geom.T
	if err := geojson.Unmarshal([]byte(g), &out); err != nil {
		t.Fatalf("decode %s: %v", g, err)
	}
	return out
}

func TestCheckGeometry(t *testing.T) {
	const (
		square   = `[[0,0],[1,0],[1,1],[0,1],[0,0]]`
		open     = `[[0,0],[1,0],[1,1],[0,1]]`
		hole     = `[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]`
		openHole = `[[0.2,0.2],[0.4,0.2],[0.4,0.4]]`
	)
	tests := []struct {
		name     string
		geometry string // "" for no geometry
		layer    string
		want     string // type and flat coordinates of the result
		problem  string
	}{
		{"polygon promoted", `{"type":"Polygon","coordinates":[` + square + `]}`, "MultiPolygon",
			"MultiPolygon [0 0 1 0 1 1 0 1 0 0] [[10]]", ""},
		{"multipolygon kept", `{"type":"MultiPolygon","coordinates":[[` + square + `]]}`, "MultiPolygon",
			"MultiPolygon [0 0 1 0 1 1 0 1 0 0] [[10]]", ""},
		{"single-part multipolygon reduced", `{"type":"MultiPolygon","coordinates":[[` + square + `]]}`, "Polygon",
			"Polygon [0 0 1 0 1 1 0 1 0 0] [10]", ""},
		{"two-part multipolygon for a polygon layer", `{"type":"MultiPolygon","coordinates":[[` + square + `],[` + square + `]]}`, "Polygon",
			"", "a MultiPolygon of 2 polygons where the layer holds Polygon geometries"},
		{"point for a polygon layer", `{"type":"Point","coordinates":[1,2]}`, "MultiPolygon",
			"", "a Point where the layer holds MultiPolygon geometries"},
		{"anything for a Geometry layer", `{"type":"LineString","coordinates":[[1,2],[3,4]]}`, "Geometry",
			"LineString [1 2 3 4]", ""},
		{"point promoted", `{"type":"Point","coordinates":[1,2]}`, "MultiPoint", "MultiPoint [1 2]", ""},
		{"line promoted", `{"type":"LineString","coordinates":[[1,2],[3,4]]}`, "MultiLineString",
			"MultiLineString [1 2 3 4] [4]", ""},
		{"no geometry", "", "MultiPolygon", "", "no geometry"},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, "MultiPolygon", "", "empty geometry"},
		{"ring with 2 positions", `{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}`, "MultiPolygon",
			"", "ring 1 of polygon 1 has 2 positions; a ring needs at least 4"},
		{"closed ring with 3 positions", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}`, "Polygon",
			"", "ring 1 of polygon 1 has 3 positions"},
		{"line with one position", `{"type":"LineString","coordinates":[[0,0]]}`, "LineString",
			"", "the line has 1 position"},
		{"open ring refused", `{"type":"Polygon","coordinates":[` + open + `]}`, "Polygon",
			"", "ring 1 of polygon 1 is not closed: its last position (0, 1) differs from its first (0, 0)"},
		{"open hole in the second polygon refused", `{"type":"MultiPolygon","coordinates":[[` + square + `],[` + square + `,` + openHole + `],[` + square + `]]}`, "MultiPolygon",
			"", "ring 2 of polygon 2 is not closed"},
		{"closed hole untouched", `{"type":"Polygon","coordinates":[` + square + `,` + hole + `]}`, "MultiPolygon",
			"MultiPolygon [0 0 1 0 1 1 0 1 0 0 0.2 0.2 0.4 0.2 0.4 0.4 0.2 0.2] [[10 18]]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g geom.T
			if tt.geometry != "" {
				g = decodeGeometry(t, tt.geometry)
			}
			out, problem := CheckGeometry(g, tt.layer)
			if !strings.HasPrefix(problem, tt.problem) || (tt.problem == "") != (problem == "") {
				t.Errorf("problem = %q, want prefix %q", problem, tt.problem)
			}
			got := ""
			if out != nil {
				got = fmt.Sprintf("%s %v", TypeName(out), out.FlatCoords())
				switch o := out.(type) {
				case *geom.Polygon:
					got += fmt.Sprintf(" %v", o.Ends())
				case *geom.MultiPolygon:
					got += fmt.Sprintf(" %v", o.Endss())
				case *geom.MultiLineString:
					got += fmt.Sprintf(" %v", o.Ends())
				}
			}
			if got != tt.want {
				t.Errorf("geometry = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestResolveCRS(t *testing.T) {
	vn := func(srid int) *CRS { c, _ := LookupCRS(srid); return &c }
	// The DOMAIN.md check value: WGS 84 (106.89, 11.535) is E 569613.688, N 1275708.641 in 9212.
	const e, n = 569613.688, 1275708.641
	tests := []struct {
		name     string
		explicit int
		declared *CRS
		x, y     float64
		want     int // the SRID, or with a problem the one suggested
		problem  string
	}{
		{"default WGS 84", 0, nil, 106.89, 11.535, 4326, ""},
		{"declared zone", 0, vn(9212), e, n, 9212, ""},
		{"declared CRS84", 0, &CRS84, 106.89, 11.535, 4326, ""},
		{"explicit wins over declared", 9212, vn(4326), e, n, 9212, ""},
		{"projected without a CRS names the zone", 0, nil, e, n, 9212,
			"the coordinates (569613.7, 1275708.6) are not longitude/latitude and the file names no CRS; they look like VN-2000 / TM-3 106-15 (EPSG:9212)"},
		{"declared 4326 but projected", 0, vn(4326), e, n, 9212,
			"the file's crs member is EPSG:4326 (WGS 84) but the first coordinates (569613.7, 1275708.6) are impossible there; they look like VN-2000 / TM-3 106-15 (EPSG:9212)"},
		{"declared zone but lon/lat", 0, vn(9212), 106.89, 11.535, 4326,
			"they look like longitude/latitude (WGS 84, EPSG:4326)"},
		{"swapped axes", 0, nil, 11.535, 106.89, 0, "they look like latitude, longitude"},
		{"lon/lat elsewhere", 0, nil, 2.35, 48.85, 0, "read as WGS 84 longitude/latitude, are far outside the province"},
		{"wrong zone far away", 5896, nil, e, n, 9212, "the CRS given is EPSG:5896"},
		{"unknown explicit srid", 3148, nil, e, n, 0, "EPSG:3148 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveCRS(tt.explicit, tt.declared, tt.x, tt.y, ImportRegion)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.problem)
				}
				var me *MismatchError
				if errors.As(err, &me) && me.Suggest != tt.want {
					t.Errorf("suggested EPSG:%d, want %d", me.Suggest, tt.want)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ResolveCRS = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestImportRegion_CoversBothProvinces(t *testing.T) {
	if !ImportRegion.Contains(ProvinceBound.Min) || !ImportRegion.Contains(ProvinceBound.Max) {
		t.Errorf("ImportRegion %v does not contain ProvinceBound %v", ImportRegion, ProvinceBound)
	}
}
