package geojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/twpayne/go-geom"

	"github.com/dongnai-gis/gisd/geo"
)

// decoded is what a test compares: one line per feature, or the error.
type decoded struct {
	features []string
	err      error
	crs      int
	format   string
}

func describeFeature(f *Feature) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d type=%q id=%q", f.Index, f.Type, f.ID)
	for _, p := range f.Properties {
		fmt.Fprintf(&b, " %s:%s=%s", p.Key, p.Kind, p.Raw)
		if p.HasNUL {
			b.WriteString("(NUL)")
		}
	}
	if f.Geometry != nil {
		fmt.Fprintf(&b, " %s%v", geo.TypeName(f.Geometry), f.Geometry.FlatCoords())
		switch g := f.Geometry.(type) {
		case *geom.Polygon:
			fmt.Fprintf(&b, "ends%v", g.Ends())
		case *geom.MultiPolygon:
			fmt.Fprintf(&b, "endss%v", g.Endss())
		case *geom.MultiLineString:
			fmt.Fprintf(&b, "ends%v", g.Ends())
		}
	}
	if f.GeometryProblem != "" {
		fmt.Fprintf(&b, " problem=%q", f.GeometryProblem)
	}
	if f.HasZ {
		b.WriteString(" Z")
	}
	return b.String()
}

func decodeAll(t testing.TB, r io.Reader) decoded {
	t.Helper()
	d := NewDecoder(r, DecoderOptions{})
	var out decoded
	var f Feature
	for {
		err := d.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.err = err
			break
		}
		out.features = append(out.features, describeFeature(&f))
	}
	if c, ok := d.CRS(); ok {
		out.crs = c.SRID
	}
	out.format = d.Format()
	return out
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   []string
		crs    int
		format string
	}{
		{
			name: "collection",
			in: `{"type":"FeatureCollection","features":[
				{"type":"Feature","id":7,"properties":{"MaXa":"25216","SoThuTuThua":12,"x":null,"ok":true,"n":1.5e2,"o":{"a":[1,"b"]}},
				 "geometry":{"type":"Point","coordinates":[106.9,11.5]}},
				{"type":"Feature","properties":null,"geometry":null}]}`,
			want: []string{
				`0 type="Feature" id="7" MaXa:string=25216 SoThuTuThua:number=12 x:null= ok:boolean=true n:number=1.5e2 o:object={"a":[1,"b"]} Point[106.9 11.5]`,
				`1 type="Feature" id=""`,
			},
			format: "FeatureCollection",
		},
		{
			name: "members in any order, crs after features, type last",
			in: `{"features":[{"geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"},"type":"Feature","properties":{}}],
				"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9212"}},"type":"FeatureCollection"}`,
			want:   []string{`0 type="Feature" id="" Polygon[0 0 1 0 1 1 0 0]ends[8]`},
			crs:    9212,
			format: "FeatureCollection",
		},
		{
			name: "crs before features, old EPSG form, foreign members skipped",
			in: `{"type":"FeatureCollection","name":"x","crs":{"type":"EPSG","properties":{"code":4326}},"bbox":[1,2,3,4],
				"features":[{"type":"Feature","foo":{"deep":[[[1]]]},"geometry":{"type":"MultiPolygon","bbox":[0,0,1,1],
				"coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,5.1],[5.2,5.2],[5.1,5.1]]]]}}]}`,
			want: []string{`0 type="Feature" id="" MultiPolygon[0 0 1 0 1 1 0 0 5 5 6 5 6 6 5 5 5.1 5.1 5.2 5.1 5.2 5.2 5.1 5.1]endss[[8] [16 24]]`},
			crs:  4326, format: "FeatureCollection",
		},
		{
			name:   "UTF-8 byte order mark",
			in:     "\xEF\xBB\xBF" + `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"Tên":"Đồng Xoài"},"geometry":{"type":"Point","coordinates":[1,2,3]}}]}`,
			want:   []string{`0 type="Feature" id="" Tên:string=Đồng Xoài Point[1 2] Z`},
			format: "FeatureCollection",
		},
		{
			name: "RFC 8142 text sequence",
			in: "\x1e" + `{"type":"Feature","properties":{"a":1},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}` + "\n" +
				"\x1e" + `{"type":"Feature","properties":{"a":2},"geometry":null}` + "\n",
			want: []string{
				`0 type="Feature" id="" a:number=1 LineString[0 0 1 1]`,
				`1 type="Feature" id="" a:number=2`,
			},
			format: "sequence",
		},
		{
			name: "newline-delimited features",
			in: `{"type":"Feature","id":"a","properties":{},"geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]}}` + "\n" +
				`{"type":"Feature","id":"b","geometry":{"type":"MultiPoint","coordinates":[[0,0],[1,1]]}}`,
			want: []string{
				`0 type="Feature" id="a" MultiLineString[0 0 1 1 2 2 3 3 4 4]ends[4 10]`,
				`1 type="Feature" id="b" MultiPoint[0 0 1 1]`,
			},
			format: "sequence",
		},
		{
			name:   "a single feature, geometry before type",
			in:     `{"geometry":{"type":"Point","coordinates":[1,2]},"type":"Feature"}`,
			want:   []string{`0 type="Feature" id="" Point[1 2]`},
			format: "sequence",
		},
		{
			name: "escapes, surrogates and NUL",
			in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"s":"a\"b\\c\/d\n\u0110\ud83d\ude00\ud800x","n":"x\u0000y",` +
				`"o":["\u0000"]},"geometry":null}]}`,
			want:   []string{"0 type=\"Feature\" id=\"\" s:string=a\"b\\c/d\nĐ😀\uFFFDx n:string=x\x00y(NUL) o:array=[\"\\u0000\"](NUL)"},
			format: "FeatureCollection",
		},
		{
			name: "feature-level geometry problems",
			in: `{"type":"FeatureCollection","features":[
				{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[0,0],[1,1]]}},
				{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}},
				{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}},
				{"type":"Feature","geometry":{"type":"Circle","coordinates":[1,2]}},
				{"type":"Feature","geometry":{"coordinates":[1,2]}},
				{"type":"Feature","geometry":{"type":"Point"}},
				{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}},
				{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[1,2],[[1,2]]]}},
				{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]],[]]}},
				{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}]}`,
			want: []string{
				`0 type="Feature" id="" problem="the coordinates of a Polygon must be nested 3 deep, found 2"`,
				`1 type="Feature" id="" Polygon[]ends[]`,
				`2 type="Feature" id="" problem="a GeometryCollection is not supported: split it into one feature per geometry"`,
				`3 type="Feature" id="" problem="unknown geometry type \"Circle\""`,
				`4 type="Feature" id="" problem="the geometry has no type"`,
				`5 type="Feature" id="" problem="the geometry has no coordinates"`,
				`6 type="Feature" id="" problem="a position needs at least 2 numbers (x, y)"`,
				`7 type="Feature" id="" problem="the coordinates mix arrays of different depths"`,
				`8 type="Feature" id="" problem="the Polygon has an empty part"`,
				`9 type="Polygon" id=""`,
			},
			format: "FeatureCollection",
		},
		{
			name:   "empty collection",
			in:     `{"type":"FeatureCollection","features":[]}`,
			format: "FeatureCollection",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.in)},
				{"one byte at a time", iotest.OneByteReader(strings.NewReader(tt.in))},
			} {
				got := decodeAll(t, r.r)
				if got.err != nil {
					t.Fatalf("%s: err = %v, want nil", r.name, got.err)
				}
				if strings.Join(got.features, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("%s: features =\n%s\nwant\n%s", r.name, strings.Join(got.features, "\n"), strings.Join(tt.want, "\n"))
				}
				if got.crs != tt.crs {
					t.Errorf("%s: crs = %d, want %d", r.name, got.crs, tt.crs)
				}
				if got.format != tt.format {
					t.Errorf("%s: format = %q, want %q", r.name, got.format, tt.format)
				}
			}
		})
	}
}

// deep returns n opening brackets: the 100,000-level nesting attack.
func deep(n int) string { return strings.Repeat("[", n) }

func TestDecoder_Errors(t *testing.T) {
	fc := func(features string) string {
		return `{"type":"FeatureCollection","features":[` + features + `]}`
	}
	pt := `{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[106.9,11.5]}}`
	tests := []struct {
		name    string
		in      string
		feature int    // index of the feature the error names, -1 for none
		want    string // substring of the message
		crs     bool   // also wraps ErrUnknownCRS
	}{
		{"empty file", "", -1, "empty input", false},
		{"only white space", " \n\t ", -1, "empty input", false},
		{"only a BOM", "\xEF\xBB\xBF", -1, "empty input", false},
		{"truncated in a number", fc(pt)[:60], 0, "truncated", false},
		{"truncated in a string", `{"type":"FeatureCollection","features":[{"type":"Feat`, 0, "truncated", false},
		{"truncated after a feature", fc(pt)[:len(fc(pt))-2], -1, "truncated", false},
		{"truncated before the closing brace", fc(pt)[:len(fc(pt))-1], -1, "truncated", false},
		{"truncated in a literal", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":nu`, 0, "truncated", false},
		{"a JSON array", `[` + pt + `]`, -1, "the file is a JSON array", false},
		{"a bare geometry", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, -1, "bare Polygon geometry", false},
		{"an object without type", `{"name":"x"}`, -1, `has no "type"`, false},
		{"another type", `{"type":"Topology","objects":{}}`, -1, `type "Topology"`, false},
		{"a collection without features", `{"type":"FeatureCollection"}`, -1, `no "features" array`, false},
		{"not JSON", `hello`, -1, `unexpected 'h'`, false},
		{"a number", `42`, -1, `unexpected '4'`, false},
		{"deep nesting in coordinates", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":` + deep(100000)), 0, "nested deeper than 4 levels", false},
		{"deep nesting in properties", fc(`{"type":"Feature","properties":{"a":` + deep(100000)), 0, "nested deeper than 64 levels", false},
		{"deep nesting in a foreign member", fc(`{"type":"Feature","x":` + strings.Repeat(`{"a":`, 100000)), 0, "nested deeper than 64 levels", false},
		{"deep nesting at the top", deep(100000), -1, "JSON array", false},
		{"NaN coordinate", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,1]}}`), 0, "NaN is not valid JSON", false},
		{"NaN property", fc(`{"type":"Feature","properties":{"a":NaN}}`), 0, "NaN is not valid JSON", false},
		{"Infinity", fc(`{"type":"Feature","properties":{"a":Infinity}}`), 0, "Infinity is not valid JSON", false},
		{"-Infinity", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[-Infinity,1]}}`), 0, "-Infinity is not valid JSON", false},
		{"1e400 coordinate", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[1e400,1]}}`), 0, "1e400 is out of range", false},
		{"-1e400 property", fc(`{"type":"Feature","properties":{"a":-1e400}}`), 0, "-1e400 is out of range", false},
		{"leading zero", fc(`{"type":"Feature","properties":{"a":012}}`), 0, `invalid number "012"`, false},
		{"non-UTF-8 in a string", fc("{\"type\":\"Feature\",\"properties\":{\"a\":\"B\xecnh Ph\xfd\xf4c\"}}"), 0, "invalid UTF-8", false},
		{"non-UTF-8 in a key", fc("{\"type\":\"Feature\",\"properties\":{\"T\xean\":\"x\"}}"), 0, "invalid UTF-8", false},
		{"non-UTF-8 outside strings", fc("\xff"), 0, "unexpected byte 0xFF", false},
		{"UTF-16", "\xFF\xFE{\x00", -1, "UTF-16", false},
		{"control character in a string", fc("{\"type\":\"Feature\",\"properties\":{\"a\":\"x\ny\"}}"), 0, "control character", false},
		{"bad escape", fc(`{"type":"Feature","properties":{"a":"\x"}}`), 0, `invalid escape`, false},
		{"single quotes", `{'type':'FeatureCollection'}`, -1, "double quotes", false},
		{"trailing comma", fc(pt + `,`), -1, "trailing commas", false},
		{"data after the collection", fc(pt) + `{}`, -1, "after the FeatureCollection", false},
		{"a non-object feature", fc(`42`), 0, "features[0] is not an object", false},
		{"properties not an object", fc(`{"type":"Feature","properties":[1]}`), 0, `"properties" must be an object`, false},
		{"garbage in a sequence", "\x1e" + pt + "\n]", 1, "unexpected ']'", false},
		{"unknown crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3148"}},"features":[]}`, -1, "EPSG:3148 is not supported", true},
		{"deprecated crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::6959"}},"features":[]}`, -1, "deprecated", true},
		{"linked crs", `{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}},"features":[]}`, -1, `crs of type "link"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, strings.NewReader(tt.in))
			var ge *Error
			if !errors.As(got.err, &ge) {
				t.Fatalf("err = %v, want a *Error", got.err)
			}
			wantErr(t, got.err, ErrInvalid, tt.want)
			if tt.crs && !errors.Is(got.err, geo.ErrUnknownCRS) {
				t.Errorf("err = %v, want errors.Is(err, ErrUnknownCRS)", got.err)
			}
			if ge.Feature != tt.feature {
				t.Errorf("feature = %d, want %d (%v)", ge.Feature, tt.feature, got.err)
			}
			// The same input fed one byte at a time fails the same way.
			one := decodeAll(t, iotest.OneByteReader(strings.NewReader(tt.in)))
			if one.err == nil || one.err.Error() != got.err.Error() {
				t.Errorf("one byte at a time: err = %v, want %v", one.err, got.err)
			}
		})
	}
}

func TestDecoder_ReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"type":"FeatureCollection","features":[`), iotest.ErrReader(boom))
	got := decodeAll(t, r)
	var re *ReadError
	if !errors.As(got.err, &re) || !errors.Is(got.err, boom) {
		t.Fatalf("err = %v, want a *ReadError wrapping boom", got.err)
	}
	if errors.Is(got.err, ErrInvalid) {
		t.Errorf("err = %v: a read error must not be ErrInvalid", got.err)
	}
	if re.Offset != 40 {
		t.Errorf("offset = %d, want 40", re.Offset)
	}
}

func TestDecoder_LateCRS(t *testing.T) {
	d := NewDecoder(strings.NewReader(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}],
		"crs":{"type":"name","properties":{"name":"EPSG:9212"}}}`), DecoderOptions{})
	var f Feature
	for d.Next(&f) == nil {
	}
	if c, ok := d.CRS(); !ok || c.SRID != 9212 || !d.LateCRS() {
		t.Errorf("CRS() = %v, %v; LateCRS() = %v; want 9212, true, true", c.SRID, ok, d.LateCRS())
	}
}

func TestDecoder_Limits(t *testing.T) {
	long := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":"` + strings.Repeat("x", 5000) + `"}}]}`
	d := NewDecoder(strings.NewReader(long), DecoderOptions{MaxValueBytes: 1000})
	var f Feature
	err := d.Next(&f)
	wantErr(t, err, ErrInvalid, "longer than 1000 bytes")

	many := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[` +
		strings.Repeat("[1,2],", 100) + `[1,2]]}}]}`
	d = NewDecoder(strings.NewReader(many), DecoderOptions{MaxPositions: 50})
	wantErr(t, d.Next(&f), ErrInvalid, "more than 50 positions")
}

// TestDecoder_Big checks that a value much larger than the read buffer survives refills.
func TestDecoder_Big(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"s":"`)
	big := strings.Repeat("Đồng Nai ", 100000) // 1.3 MB, far beyond the 256 KiB buffer
	b.WriteString(big)
	b.WriteString(`","o":`)
	obj := `{"k":[` + strings.Repeat(`"\u0041x",`, 50000) + `1]}`
	b.WriteString(obj)
	b.WriteString(`},"geometry":{"type":"LineString","coordinates":[`)
	for i := range 100000 {
		fmt.Fprintf(&b, "[%d.5,%d.25],", i, i)
	}
	b.WriteString(`[0,0]]}}]}`)
	d := NewDecoder(strings.NewReader(b.String()), DecoderOptions{})
	var f Feature
	if err := d.Next(&f); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.Property("s"); string(s.Raw) != big {
		t.Errorf("s has %d bytes, want %d", len(s.Raw), len(big))
	}
	if o, _ := f.Property("o"); string(o.Raw) != obj {
		t.Errorf("o has %d bytes, want %d", len(o.Raw), len(obj))
	}
	if n := f.Geometry.(*geom.LineString).NumCoords(); n != 100001 {
		t.Errorf("NumCoords = %d, want 100001", n)
	}
	if err := d.Next(&f); err != io.EOF {
		t.Errorf("second Next = %v, want io.EOF", err)
	}
}

func TestProperty_IsInt(t *testing.T) {
	for raw, want := range map[string]bool{"12": true, "-3": true, "1.0": false, "1e3": false, "2E1": false} {
		p := Property{Kind: KindNumber, Raw: []byte(raw)}
		if got := p.IsInt(); got != want {
			t.Errorf("IsInt(%s) = %v, want %v", raw, got, want)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic or hang, must fail
// the same way however the input is split into reads, and whatever it accepts as a
// FeatureCollection must be valid JSON with that many features.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}`,
		"\x1e{\"type\":\"Feature\",\"geometry\":null}\n\x1e{\"type\":\"Feature\"}",
		"{\"type\":\"Feature\",\"id\":1}\n{\"type\":\"Feature\",\"id\":\"x\"}",
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9212"}},"features":[]}`,
		`{"type":"FeatureCollection","features":[{"properties":{"s":"\ud83d\ude00\u0000","o":{"a":[true,false,null]}}}]}`,
		"\xEF\xBB\xBF{\"features\":[],\"type\":\"FeatureCollection\"}",
		`[[[[[[[[[[`, `{"a":NaN}`, `1e400`, "", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := decodeAll(t, bytes.NewReader(in))
		one := decodeAll(t, iotest.OneByteReader(bytes.NewReader(in)))
		if fmt.Sprint(got.err) != fmt.Sprint(one.err) || strings.Join(got.features, "\n") != strings.Join(one.features, "\n") {
			t.Fatalf("whole and one-byte reads differ:\n%v %q\n%v %q", got.err, got.features, one.err, one.features)
		}
		if got.err != nil {
			var ge *Error
			if !errors.As(got.err, &ge) {
				t.Fatalf("err = %v, want a *Error", got.err)
			}
			return
		}
		if got.format != "FeatureCollection" {
			return
		}
		body := bytes.TrimPrefix(in, []byte{0xEF, 0xBB, 0xBF})
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		var v struct {
			Features []json.RawMessage `json:"features"`
		}
		if err := json.Unmarshal(body, &v); err == nil && len(v.Features) != len(got.features) {
			t.Fatalf("decoded %d features, encoding/json finds %d in %q", len(got.features), len(v.Features), in)
		}
	})
}

// wantErr checks that err wraps sentinel, reads "geojson: ..." once and contains contains.
func wantErr(t testing.TB, err, sentinel error, contains string) {
	t.Helper()
	if msg := fmt.Sprint(err); !errors.Is(err, sentinel) || !strings.HasPrefix(msg, "geojson: ") || strings.Count(msg, "geojson: ") != 1 || !strings.Contains(msg, contains) {
		t.Errorf("err = %v, want %v, prefixed once with \"geojson: \", containing %q", err, sentinel, contains)
	}
}
