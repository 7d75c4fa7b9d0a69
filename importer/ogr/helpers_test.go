package ogr

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireGDAL skips a test that needs GDAL's tools when they are not installed (CI installs
// gdal-bin, so there the tests run).
func requireGDAL(t testing.TB) {
	t.Helper()
	for _, p := range []string{"ogr2ogr", "ogrinfo"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (Debian: gdal-bin): the readers run GDAL's tools", p)
		}
	}
}

// gdal runs ogr2ogr (or another GDAL program) to make a fixture.
func gdal(t testing.TB, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "CPL_DEBUG=OFF")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// parcel is one test feature: a square in VN-2000 / TM-3 106-15 near Đồng Xoài.
type parcel struct {
	Name  string
	No    int
	Area  float64
	Owner string
}

var testParcels = []parcel{
	{"a", 1, 100.5, "Nguyễn Văn Ưng"},
	{"b", 2, 200, "Ấp Thuận Phú"},
	{"c", 3, 300.25, "Đất trồng lúa nước"},
}

// parcelsGeoJSON writes the parcels as a GeoJSON file in EPSG:9212 with a legacy crs member.
func parcelsGeoJSON(t testing.TB, dir string, ps []parcel) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9212"}},"features":[`)
	for i, p := range ps {
		if i > 0 {
			b.WriteString(",")
		}
		x, y := 569000.0+float64(i)*20, 1275000.0
		props, _ := json.Marshal(map[string]any{"ten": p.Name, "so": p.No, "dientich": p.Area, "chu": p.Owner})
		fmt.Fprintf(&b, `{"type":"Feature","properties":%s,"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
			props, x, y, x+10, y, x+10, y+10, x, y+10, x, y)
	}
	b.WriteString("]}")
	path := filepath.Join(dir, "parcels.geojson")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeFile writes data to a file named name in a fresh directory.
func writeFile(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// zipFiles zips files (archive name -> path on disk).
func zipFiles(t testing.TB, dst string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		data, err := os.ReadFile(files[n])
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// shapefileDir converts a GeoJSON file to a Shapefile named layer in its own directory and
// returns the directory; extra are ogr2ogr options.
func shapefileDir(t testing.TB, src, layer string, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), layer)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	gdal(t, "ogr2ogr", append([]string{"-f", "ESRI Shapefile", "-nln", layer, dir, src}, extra...)...)
	return dir
}

// zipDir zips every file of dir at the archive's top (or under prefix).
func zipDir(t testing.TB, dir, dst, prefix string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		files[prefix+e.Name()] = filepath.Join(dir, e.Name())
	}
	return zipFiles(t, dst, files)
}

// opened is a Source read to its end.
type opened struct {
	src      *Source
	doc      featureCollection
	raw      []byte
	tempDir  string
	readErr  error
	openErr  error
	duration time.Duration
}

type featureCollection struct {
	Type string `json:"type"`
	CRS  *struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	} `json:"crs"`
	Features []struct {
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

// openFile opens path with opt (TempDir set to a fresh directory), reads the whole stream,
// applies the text transform to the properties as the pipeline will, and closes.
func openFile(t testing.TB, path string, opt Options) opened {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var o opened
	o.tempDir = t.TempDir()
	opt.TempDir = o.tempDir
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	o.src, o.openErr = Open(ctx, f, filepath.Base(path), opt)
	o.duration = time.Since(start)
	if o.openErr != nil {
		assertEmpty(t, o.tempDir)
		return o
	}
	o.raw, o.readErr = io.ReadAll(o.src)
	if err := o.src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	assertEmpty(t, o.tempDir)
	if o.readErr != nil {
		return o
	}
	if err := json.Unmarshal(o.raw, &o.doc); err != nil {
		t.Fatalf("the stream is not JSON: %v\n%.500s", err, o.raw)
	}
	if tr := o.src.TextTransform(); tr != nil {
		for _, f := range o.doc.Features {
			for k, v := range f.Properties {
				if s, ok := v.(string); ok {
					f.Properties[k] = tr(s)
				}
			}
		}
	}
	return o
}

// mustOpen is openFile that fails the test on any error.
func mustOpen(t testing.TB, path string, opt Options) opened {
	t.Helper()
	o := openFile(t, path, opt)
	if o.openErr != nil {
		t.Fatalf("Open: %v (%s)", o.openErr, detail(o.openErr))
	}
	if o.readErr != nil {
		t.Fatalf("Read: %v (%s)", o.readErr, detail(o.readErr))
	}
	return o
}

// wantError checks that err is an *Error of the sentinel and code.
func wantError(t testing.TB, err error, kind error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, kind) || e.Code != code {
		t.Fatalf("got %v (%s), want %v with code %s", err, detail(err), kind, code)
	}
	// The client's message never shows the work directory or GDAL's commands.
	if strings.Contains(e.Msg, "gisd-ogr-") || strings.Contains(e.Msg, "ogr2ogr") || strings.Contains(e.Msg, "/vsistdout") {
		t.Errorf("message shows internals: %q", e.Msg)
	}
	return e
}

func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return ""
}

// assertEmpty checks that nothing is left in dir.
func assertEmpty(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left behind in the temp dir: %v", names)
	}
}

// owners returns the chu property of each feature.
func (o opened) owners() []string {
	var out []string
	for _, f := range o.doc.Features {
		s, _ := f.Properties["chu"].(string)
		out = append(out, s)
	}
	return out
}

func parcelOwners(ps []parcel) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Owner)
	}
	return out
}
