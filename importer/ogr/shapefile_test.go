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

func TestOpen_ShapefileZip(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	shp := shapefileDir(t, parcelsGeoJSON(t, dir, testParcels), "thua_dat", "-lco", "ENCODING=UTF-8")
	z := zipDir(t, shp, filepath.Join(dir, "thua_dat.zip"), "")
	o := mustOpen(t, z, Options{})
	s := o.src
	if s.Format != Shapefile || s.Layer != "thua_dat" || s.EPSG != 9212 || s.FeatureCount != 3 {
		t.Fatalf("got %s layer %q EPSG %d count %d", s.Format, s.Layer, s.EPSG, s.FeatureCount)
	}
	if o.doc.CRS == nil || o.doc.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::9212" {
		t.Errorf("crs member: %+v", o.doc.CRS)
	}
	if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) {
		t.Errorf("owners %q, want %q", got, want)
	}
	// Coordinates stay in the source CRS.
	if c := string(o.doc.Features[0].Geometry.Coordinates); !strings.Contains(c, "569000") {
		t.Errorf("coordinates %s, want eastings in EPSG:9212", c)
	}
	if s.Encoding != vnenc.UTF8 || !strings.Contains(s.EncodingNote, ".cpg") {
		t.Errorf("encoding %v (%s), want UTF-8 from the .cpg", s.Encoding, s.EncodingNote)
	}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"chu", "dientich", "so", "ten"}) && !slices.Equal(names, []string{"ten", "so", "dientich", "chu"}) {
		t.Errorf("fields %v", names)
	}
	t.Log(s.Summary())
}

// legacyShapefile writes a Shapefile whose .dbf holds the owners' names in enc, byte for byte:
// a CSV with those bytes, converted by ogr2ogr without recoding (ENCODING=""), and no .cpg, as
// the tools of the time wrote them.
func legacyShapefile(t *testing.T, enc vnenc.Encoding, ps []parcel) string {
	t.Helper()
	dir := t.TempDir()
	var csv []byte
	csv = append(csv, "WKT,ten,so,chu\n"...)
	for i, p := range ps {
		owner, err := enc.Encode(p.Owner)
		if err != nil {
			t.Fatal(err)
		}
		x := 569000 + 20*i
		csv = append(csv, []byte(`"POLYGON ((`)...)
		csv = append(csv, []byte(
			strings.NewReplacer("X0", itoa(x), "X1", itoa(x+10)).Replace(`X0 1275000,X1 1275000,X1 1275010,X0 1275010,X0 1275000))",`))...)
		csv = append(csv, p.Name+","+itoa(p.No)+",\""...)
		csv = append(csv, owner...)
		csv = append(csv, "\"\n"...)
	}
	src := filepath.Join(dir, "src.csv")
	if err := os.WriteFile(src, csv, 0o600); err != nil {
		t.Fatal(err)
	}
	shp := filepath.Join(dir, "shp")
	gdal(t, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=", "-a_srs", "EPSG:9212",
		"-oo", "KEEP_GEOM_COLUMNS=NO", "-nln", "thua", shp, src)
	os.Remove(filepath.Join(shp, "thua.cpg"))
	return zipDir(t, shp, filepath.Join(dir, "thua.zip"), "")
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestOpen_ShapefileLegacyText(t *testing.T) {
	requireGDAL(t)
	for _, enc := range []vnenc.Encoding{vnenc.TCVN3, vnenc.VNI, vnenc.CP1258} {
		t.Run(enc.String(), func(t *testing.T) {
			z := legacyShapefile(t, enc, testParcels)
			o := mustOpen(t, z, Options{})
			if o.src.Encoding != enc {
				t.Fatalf("detected %v (%s), want %v", o.src.Encoding, o.src.EncodingNote, enc)
			}
			if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) {
				t.Errorf("owners %q, want %q", got, want)
			}
			if got := o.src.Converted(); got != 3 {
				t.Errorf("converted %d values, want 3", got)
			}
			if sum := o.src.Summary(); !strings.Contains(sum, "converted 3 values from "+enc.String()) {
				t.Errorf("summary %q", sum)
			}
		})
	}
	t.Run("override", func(t *testing.T) {
		// Named by the caller, the encoding is not detected.
		z := legacyShapefile(t, vnenc.VNI, testParcels)
		o := mustOpen(t, z, Options{Encoding: vnenc.VNI})
		if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) || o.src.EncodingNote != "named by the caller" {
			t.Errorf("owners %q (%s), want %q", got, o.src.EncodingNote, want)
		}
	})
}

func TestOpen_SeveralShapefiles(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	src := parcelsGeoJSON(t, dir, testParcels)
	files := map[string]string{}
	for _, layer := range []string{"thua_dat", "ranh_gioi"} {
		shp := shapefileDir(t, src, layer, "-lco", "ENCODING=UTF-8")
		entries, _ := os.ReadDir(shp)
		for _, e := range entries {
			files["du_lieu/"+e.Name()] = filepath.Join(shp, e.Name())
		}
	}
	z := zipFiles(t, filepath.Join(dir, "two.zip"), files)

	o := openFile(t, z, Options{})
	e := wantError(t, o.openErr, ErrInvalid, CodeLayer)
	if !slices.Equal(e.Layers, []string{"ranh_gioi", "thua_dat"}) || !strings.Contains(e.Msg, `"ranh_gioi", "thua_dat"`) {
		t.Errorf("layers %v, message %q", e.Layers, e.Msg)
	}
	o = mustOpen(t, z, Options{Layer: "RANH_GIOI"})
	if o.src.Layer != "ranh_gioi" || len(o.doc.Features) != 3 || len(o.src.Layers) != 2 {
		t.Errorf("layer %q, %d features, layers %v", o.src.Layer, len(o.doc.Features), o.src.Layers)
	}
	o = openFile(t, z, Options{Layer: "nope"})
	wantError(t, o.openErr, ErrInvalid, CodeLayer)
}

// shapefileParts makes a Shapefile of n parcels and returns its directory.
func shapefileParts(t *testing.T, n int) string {
	t.Helper()
	ps := make([]parcel, n)
	for i := range ps {
		ps[i] = parcel{Name: "p", No: i, Area: 1, Owner: "x"}
	}
	return shapefileDir(t, parcelsGeoJSON(t, t.TempDir(), ps), "thua")
}

func TestOpen_RecordCountMismatch(t *testing.T) {
	requireGDAL(t)
	truncate := func(name string, by int64) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, name)
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			os.Truncate(p, st.Size()-by)
		}
	}
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		code   string
		msg    string
	}{
		{"dbf says fewer", func(t *testing.T, dir string) {
			// GDAL would read 1 feature of 3 and say nothing.
			f, err := os.OpenFile(filepath.Join(dir, "thua.dbf"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteAt([]byte{1, 0, 0, 0}, 4)
		}, CodeRecordCount, "the .dbf holds 1 records and the .shp 3"},
		{"dbf cut short", truncate("thua.dbf", 40), CodeRecordCount, "cut short"},
		{"shx from another version", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(shapefileParts(t, 2), "thua.shx"))
			os.WriteFile(filepath.Join(dir, "thua.shx"), data, 0o600)
		}, CodeRecordCount, "more than the 2 records"},
		{"shp cut short", truncate("thua.shp", 20), CodeRecordCount, "cut short"},
		{"missing dbf", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "thua.dbf")) }, CodeShapefileParts, "no .dbf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			shp := shapefileParts(t, 3)
			c.damage(t, shp)
			o := openFile(t, zipDir(t, shp, filepath.Join(t.TempDir(), "x.zip"), ""), Options{})
			if e := wantError(t, o.openErr, ErrInvalid, c.code); !strings.Contains(e.Msg, c.msg) {
				t.Errorf("message %q, want it to say %q", e.Msg, c.msg)
			}
		})
	}
}
