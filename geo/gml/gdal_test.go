package gml

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// The tests in this file check the package against a real client: GDAL's GML driver, which
// ogr2ogr, QGIS and GDAL's WFS driver use. They skip when ogr2ogr (Debian gdal-bin) is absent.

func ogr2ogr(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ogr2ogr")
	if err != nil {
		t.Skip("ogr2ogr not installed (Debian gdal-bin); cannot check GML against GDAL")
	}
	return p
}

var interopGeoms = []orb.Geometry{
	orb.MultiPolygon{{
		{{106.1, 11.1}, {106.2, 11.1}, {106.2, 11.2}, {106.1, 11.2}, {106.1, 11.1}},
		{{106.12, 11.12}, {106.12, 11.15}, {106.15, 11.15}, {106.12, 11.12}},
	}},
	orb.Point{106.9, 11.5},
	orb.LineString{{106.5, 11.25}, {106.75, 11.625}},
	orb.MultiLineString{{{106.5, 11.25}, {106.75, 11.625}}},
}

// TestEncode_ReadByGDAL writes a WFS feature collection with the encoder and reads it with
// ogr2ogr: GDAL must see the same coordinates, longitude first, in every version and form.
func TestEncode_ReadByGDAL(t *testing.T) {
	bin := ogr2ogr(t)
	for _, v := range []Version{GML32, GML311} {
		for _, f := range []Form{FormEPSG, FormURN, FormURNX, FormURI, FormXMLURL} {
			srs, err := Resolver{}.With(SRS{SRID: 4326, Form: f})
			if err != nil {
				t.Fatal(err)
			}
			t.Run(v.Namespace()+" "+srs.Name(), func(t *testing.T) {
				var doc bytes.Buffer
				if v == GML32 {
					doc.WriteString(`<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="` + NS32 + `" xmlns:t="urn:gisd:test">`)
				} else {
					doc.WriteString(`<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" xmlns:gml="` + NS311 + `" xmlns:t="urn:gisd:test">`)
				}
				enc := Encoder{Version: v, SRS: srs, Decimals: 7}
				for i, g := range interopGeoms {
					id := "f." + string(rune('1'+i))
					if v == GML32 {
						doc.WriteString(`<wfs:member>`)
					} else {
						doc.WriteString(`<gml:featureMember>`)
					}
					doc.WriteString(`<t:f gml:id="` + id + `"><t:geometry>`)
					if err := enc.Encode(&doc, g, id+".g"); err != nil {
						t.Fatal(err)
					}
					doc.WriteString(`</t:geometry></t:f>`)
					if v == GML32 {
						doc.WriteString(`</wfs:member>`)
					} else {
						doc.WriteString(`</gml:featureMember>`)
					}
				}
				doc.WriteString(`</wfs:FeatureCollection>`)
				path := filepath.Join(t.TempDir(), "fc.gml")
				if err := os.WriteFile(path, doc.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(bin, "-f", "CSV", "-lco", "GEOMETRY=AS_WKT", "/vsistdout/", path).CombinedOutput()
				if err != nil {
					t.Fatalf("ogr2ogr: %v\n%s", err, out)
				}
				rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil || len(rows) != len(interopGeoms)+1 {
					t.Fatalf("ogr2ogr printed %d rows (%v):\n%s", len(rows), err, out)
				}
				for i, want := range interopGeoms {
					got, err := wkt.Unmarshal(rows[i+1][0])
					if err != nil {
						t.Fatalf("GDAL WKT %q: %v", rows[i+1][0], err)
					}
					if !orb.Equal(got, want) {
						t.Errorf("GDAL read\n %s\nwant\n %s\nfrom %s", wkt.MarshalString(got), wkt.MarshalString(want), doc.String())
					}
				}
			})
		}
	}
}

// TestDecode_WrittenByGDAL has ogr2ogr write GML 2, 3.1.1 and 3.2 in each of its srsName
// styles and decodes every geometry it wrote.
func TestDecode_WrittenByGDAL(t *testing.T) {
	bin := ogr2ogr(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	var src strings.Builder
	src.WriteString("id,WKT\n")
	for i, g := range interopGeoms {
		src.WriteString(string(rune('1'+i)) + `,"` + wkt.MarshalString(g) + "\"\n")
	}
	if err := os.WriteFile(in, []byte(src.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]string{
		{"FORMAT=GML2"},
		{"FORMAT=GML3", "SRSNAME_FORMAT=SHORT"},
		{"FORMAT=GML3", "SRSNAME_FORMAT=OGC_URN"},
		{"FORMAT=GML3", "SRSNAME_FORMAT=OGC_URL"},
		{"FORMAT=GML3.2", "SRSNAME_FORMAT=OGC_URN"},
		{"FORMAT=GML3.2", "SRSNAME_FORMAT=OGC_URL"},
		{"FORMAT=GML3Deegree"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.gml")
			args := []string{"-f", "GML", "-a_srs", "EPSG:4326", "-oo", "GEOM_POSSIBLE_NAMES=WKT"}
			for _, o := range opts {
				args = append(args, "-dsco", o)
			}
			if b, err := exec.Command(bin, append(args, out, in)...).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, b)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d := ogcxml.NewDecoder(f, ogcxml.Limits{})
			var got []orb.Geometry
			inGeom := false
			for {
				tok, err := d.Token()
				if err != nil {
					break
				}
				se, ok := tok.(xml.StartElement)
				if !ok {
					continue
				}
				if se.Name.Local == "geometryProperty" {
					inGeom = true
					continue
				}
				if inGeom {
					g, err := DecodeElement(d, se, DecodeOptions{})
					if err != nil {
						t.Fatalf("decoding GDAL's <%s>: %v", se.Name.Local, err)
					}
					got = append(got, g.Geom)
					inGeom = false
				}
			}
			if len(got) != len(interopGeoms) {
				t.Fatalf("decoded %d geometries, want %d", len(got), len(interopGeoms))
			}
			for i, want := range interopGeoms {
				if !orb.Equal(got[i], want) {
					t.Errorf("geometry %d\n got %s\nwant %s", i+1, wkt.MarshalString(got[i]), wkt.MarshalString(want))
				}
			}
		})
	}
}
