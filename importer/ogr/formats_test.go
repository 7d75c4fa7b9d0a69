package ogr

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/text/vnenc"
)

func TestOpen_KML(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	kml := filepath.Join(dir, "thua.kml")
	gdal(t, "ogr2ogr", "-f", "LIBKML", "-t_srs", "EPSG:4326", "-nln", "thua", kml, parcelsGeoJSON(t, dir, testParcels))
	t.Run("plain", func(t *testing.T) {
		o := mustOpen(t, kml, Options{})
		if o.src.Format != KML || o.src.EPSG != 4326 || len(o.doc.Features) != 3 ||
			o.doc.CRS == nil || o.doc.CRS.Properties.Name != "urn:ogc:def:crs:OGC:1.3:CRS84" {
			t.Fatalf("%s EPSG %d, %d features, crs %+v", o.src.Format, o.src.EPSG, len(o.doc.Features), o.doc.CRS)
		}
		// Attributes in ExtendedData arrive, in UTF-8; KML's display settings do not.
		if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) {
			t.Errorf("owners %q, want %q", got, want)
		}
		if _, ok := o.doc.Features[0].Properties["tessellate"]; ok {
			t.Errorf("display fields in the properties: %v", o.doc.Features[0].Properties)
		}
	})
	t.Run("KMZ", func(t *testing.T) {
		kmz := zipFiles(t, filepath.Join(t.TempDir(), "thua.kmz"), map[string]string{"doc.kml": kml})
		o := mustOpen(t, kmz, Options{})
		if o.src.Format != KML || len(o.doc.Features) != 3 {
			t.Errorf("%s, %d features", o.src.Format, len(o.doc.Features))
		}
	})
	t.Run("folders", func(t *testing.T) {
		folder := func(name string, n int) string {
			f := `<Folder><name>` + name + `</name>`
			for i := range n {
				f += `<Placemark><name>p` + strconv.Itoa(i) + `</name><Point><coordinates>106.9,11.5</coordinates></Point></Placemark>`
			}
			return f + `</Folder>`
		}
		path := writeFile(t, "two.kml", `<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>`+
			folder("Mốc ranh giới", 2)+folder("Cọc (cũ)", 3)+`</Document></kml>`)
		o := openFile(t, path, Options{})
		if e := wantError(t, o.openErr, ErrInvalid, CodeLayer); !slices.Equal(e.Layers, []string{"Cọc (cũ)", "Mốc ranh giới"}) {
			t.Errorf("layers %q", e.Layers)
		}
		o = mustOpen(t, path, Options{Layer: "cọc (cũ)"})
		if o.src.Layer != "Cọc (cũ)" || len(o.doc.Features) != 3 {
			t.Errorf("layer %q, %d features", o.src.Layer, len(o.doc.Features))
		}
	})
	placemark := `<Placemark><name>&xxe;</name><Point><coordinates>106.9,11.5</coordinates></Point></Placemark>`
	for _, c := range []struct {
		name, kml string
		kind      error
		code      string
	}{
		{"external entity", `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			`<kml xmlns="http://www.opengis.net/kml/2.2"><Document>` + placemark + `</Document></kml>`, ErrUnsafe, CodeKMLDoctype},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY xxe "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
			`<kml><Document>` + placemark + `</Document></kml>`, ErrUnsafe, CodeKMLDoctype},
		{"undeclared entity", `<kml><Document>` + placemark + `</Document></kml>`, ErrInvalid, CodeUnreadable},
		{"network link", `<kml><Document><NetworkLink><Link><href>http://example.invalid/x.kml</href></Link></NetworkLink></Document></kml>`,
			ErrUnsafe, CodeKMLLink},
		{"not KML", `<?xml version="1.0"?><gpx><wpt lat="11.5" lon="106.9"/></gpx>`, ErrUnsupported, CodeUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := openFile(t, writeFile(t, "x.kml", c.kml), Options{})
			wantError(t, o.openErr, c.kind, c.code)
		})
	}
}

// csvParcels writes the test parcels as CSV with a WKT column (EPSG:9212 coordinates, no CRS
// stated, as such files come) and the owners in enc.
func csvParcels(t *testing.T, enc vnenc.Encoding, header string) string {
	t.Helper()
	var b []byte
	b = append(b, header+"\n"...)
	for i, p := range testParcels {
		owner, err := enc.Encode(p.Owner)
		if err != nil {
			t.Fatal(err)
		}
		x := strconv.Itoa(569000 + 20*i)
		x1 := strconv.Itoa(569010 + 20*i)
		b = append(b, `"POLYGON ((`+x+` 1275000,`+x1+` 1275000,`+x1+` 1275010,`+x+` 1275010,`+x+` 1275000))",`+p.Name+`,"`...)
		b = append(b, owner...)
		b = append(b, "\"\n"...)
	}
	path := filepath.Join(t.TempDir(), "thua.csv")
	os.WriteFile(path, b, 0o600)
	return path
}

func TestOpen_CSV(t *testing.T) {
	requireGDAL(t)
	for _, enc := range []vnenc.Encoding{vnenc.UTF8, vnenc.TCVN3, vnenc.VNI} {
		t.Run(enc.String(), func(t *testing.T) {
			o := mustOpen(t, csvParcels(t, enc, "WKT,ten,chu"), Options{})
			if o.src.Format != CSV || o.src.Encoding != enc || o.src.EPSG != 0 || o.doc.CRS != nil {
				t.Fatalf("%s %v EPSG %d crs %+v", o.src.Format, o.src.Encoding, o.src.EPSG, o.doc.CRS)
			}
			if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) {
				t.Errorf("owners %q, want %q", got, want)
			}
			if _, ok := o.doc.Features[0].Properties["WKT"]; ok || o.doc.Features[0].Geometry.Type != "Polygon" {
				t.Errorf("the WKT column: %v, geometry %s", o.doc.Features[0].Properties, o.doc.Features[0].Geometry.Type)
			}
		})
	}
	t.Run("TCVN3 field name", func(t *testing.T) {
		// Field names are text too: the pipeline applies the transform to them.
		name, _ := vnenc.TCVN3.Encode("chủ sử dụng")
		o := mustOpen(t, csvParcels(t, vnenc.TCVN3, "WKT,ten,"+string(name)), Options{})
		var fields []string
		for _, f := range o.src.Fields {
			fields = append(fields, f.Name)
		}
		if !slices.Contains(fields, "chủ sử dụng") {
			t.Errorf("fields %q", fields)
		}
		tr := o.src.TextTransform()
		var keys []string
		for k := range o.doc.Features[0].Properties {
			keys = append(keys, tr(k))
		}
		if !slices.Contains(keys, "chủ sử dụng") {
			t.Errorf("property names %q after the transform", keys)
		}
	})
	t.Run("SRID given", func(t *testing.T) {
		o := mustOpen(t, csvParcels(t, vnenc.UTF8, "WKT,ten,chu"), Options{SRID: 9212})
		if o.doc.CRS == nil || o.doc.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::9212" {
			t.Errorf("crs %+v", o.doc.CRS)
		}
	})
	t.Run("no WKT column", func(t *testing.T) {
		o := openFile(t, csvParcels(t, vnenc.UTF8, "hinh,ten,chu"), Options{})
		e := wantError(t, o.openErr, ErrInvalid, CodeUnreadable)
		if !strings.Contains(e.Msg, "WKT") {
			t.Errorf("message %q", e.Msg)
		}
	})
	t.Run("undecidable", func(t *testing.T) {
		// Latin-1 French: no Vietnamese reading; the caller must say.
		o := openFile(t, writeFile(t, "x.csv", "WKT,ten\n\"POINT (1 2)\",\"Caf\xe9 cr\xe8me\"\n"), Options{})
		e := wantError(t, o.openErr, ErrInvalid, CodeEncoding)
		if !strings.Contains(e.Msg, "--encoding") {
			t.Errorf("message %q", e.Msg)
		}
	})
}

func TestOpen_DGN(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	units := []string{"-dsco", "SUB_UNITS_PER_MASTER_UNIT=1000", "-dsco", "UOR_PER_SUB_UNIT=1"}
	// DGN has no CRS, and GDAL's DGN writer misplaces coordinates that come with one.
	noCRS := func(t *testing.T) string {
		p := parcelsGeoJSON(t, t.TempDir(), testParcels)
		data, _ := os.ReadFile(p)
		i, j := strings.Index(string(data), `"crs"`), strings.Index(string(data), `"features"`)
		os.WriteFile(p, append(data[:i:i], data[j:]...), 0o600)
		return p
	}
	t.Run("shapes", func(t *testing.T) {
		dgn := filepath.Join(dir, "thua.dgn")
		gdal(t, "ogr2ogr", append([]string{"-f", "DGN", dgn, noCRS(t)}, units...)...)
		o := mustOpen(t, dgn, Options{Geometry: "polygon"})
		if o.src.Format != DGN || len(o.doc.Features) != 3 || o.src.EPSG != 0 {
			t.Fatalf("%s, %d features, EPSG %d", o.src.Format, len(o.doc.Features), o.src.EPSG)
		}
		if c := string(o.doc.Features[0].Geometry.Coordinates); !strings.Contains(c, "569000") || !strings.Contains(c, "1275000") {
			t.Errorf("coordinates %s", c)
		}
		o = mustOpen(t, dgn, Options{Geometry: "point"})
		if len(o.doc.Features) != 0 {
			t.Errorf("%d points", len(o.doc.Features))
		}
	})
	t.Run("TCVN3 text", func(t *testing.T) {
		// Text elements, as parcel labels are drawn, with their bytes in TCVN3.
		var csv []byte
		csv = append(csv, "WKT,txt\n"...)
		for i, p := range testParcels {
			b, _ := vnenc.TCVN3.Encode(p.Owner)
			csv = append(csv, `"POINT (`+strconv.Itoa(1000+i)+` 2000)","`...)
			csv = append(csv, b...)
			csv = append(csv, "\"\n"...)
		}
		src := filepath.Join(t.TempDir(), "pt.csv")
		os.WriteFile(src, csv, 0o600)
		dgn := filepath.Join(t.TempDir(), "nhan.dgn")
		gdal(t, "ogr2ogr", "-f", "DGN", dgn, src, "-sql", `SELECT CONCAT('LABEL(t:"', txt, '")') AS OGR_STYLE FROM pt`)
		o := mustOpen(t, dgn, Options{})
		var texts []string
		for _, f := range o.doc.Features {
			s, _ := f.Properties["Text"].(string)
			texts = append(texts, s)
		}
		if o.src.Encoding != vnenc.TCVN3 || !slices.Equal(texts, parcelOwners(testParcels)) {
			t.Errorf("%v: texts %q", o.src.Encoding, texts)
		}
	})
	t.Run("no elements", func(t *testing.T) {
		dgn := filepath.Join(t.TempDir(), "empty.dgn")
		gdal(t, "ogr2ogr", append([]string{"-f", "DGN", dgn, noCRS(t), "-where", "so > 100"}, units...)...)
		o := openFile(t, dgn, Options{})
		e := wantError(t, o.openErr, ErrInvalid, CodeDGNEmpty)
		if !strings.Contains(e.Msg, "no elements") {
			t.Errorf("message %q", e.Msg)
		}
	})
	t.Run("V8", func(t *testing.T) {
		o := openFile(t, writeFile(t, "v8.dgn", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"+strings.Repeat("\x00", 600)), Options{})
		if e := wantError(t, o.openErr, ErrUnsupported, CodeUnsupported); !strings.Contains(e.Msg, "V7") {
			t.Errorf("message %q", e.Msg)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		o := openFile(t, writeFile(t, "bad.dgn", "\x08\x09\xfe\x02"+strings.Repeat("\x00", 100)), Options{})
		wantError(t, o.openErr, ErrInvalid, CodeUnreadable)
	})
}

func TestOpen_Unsupported(t *testing.T) {
	requireGDAL(t)
	for name, data := range map[string]string{
		"x.geojson": `{"type":"FeatureCollection","features":[]}`,
		"x.shp":     "\x00\x00\x27\x0a",
		"x.pdf":     "%PDF-1.4",
	} {
		o := openFile(t, writeFile(t, name, data), Options{})
		wantError(t, o.openErr, ErrUnsupported, CodeUnsupported)
	}
	o := openFile(t, filepath.Join("testdata", "empty.csv"), Options{})
	wantError(t, o.openErr, ErrInvalid, CodeEmpty)
}
