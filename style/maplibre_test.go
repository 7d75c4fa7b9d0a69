package style

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testLayers are the layers of a full map: the built-in ones, map sheets and two imported layers.
func testLayers(t testing.TB) []*Layer {
	p := NewPalette(migrationCodes(t))
	return Stack([]*Layer{
		AdminUnits(), Default("roads", "Đường", "MultiLineString"), Parcels(p), Constructions(),
		Default("wells", "Giếng", "Point"), Sheets(),
	})
}

func testOptions() MapLibreOptions {
	return MapLibreOptions{
		Name:           "gisd",
		BaseURL:        "https://gis.example.vn/",
		TileQuery:      map[string]string{"admin_units": "date=2024-01-01"},
		GlyphsURL:      "https://gis.example.vn/fonts/{fontstack}/{range}.pbf",
		AdminLabelsURL: "https://gis.example.vn/api/v1/admin-units/labels",
		Basemap:        &Basemap{Tiles: []string{"https://tiles.example.vn/{z}/{x}/{y}.png"}},
		Center:         &[2]float64{106.9, 11.7},
		Zoom:           9,
	}
}

type mlDoc struct {
	Version int                       `json:"version"`
	Glyphs  string                    `json:"glyphs"`
	Sources map[string]map[string]any `json:"sources"`
	Layers  []map[string]any          `json:"layers"`
}

func generate(t testing.TB, layers []*Layer, opt MapLibreOptions) (mlDoc, []byte) {
	t.Helper()
	b, err := MapLibre(layers, opt)
	if err != nil {
		t.Fatal(err)
	}
	var d mlDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return d, b
}

var rgbaRe = regexp.MustCompile(`^rgba\((\d{1,3}),(\d{1,3}),(\d{1,3}),(0(\.\d+)?|1(\.0+)?)\)$`)

// parseCSS reads the colours MapLibre documents hold.
func parseCSS(s string) (color.NRGBA, error) {
	if m := rgbaRe.FindStringSubmatch(s); m != nil {
		var c [3]uint8
		for i := range c {
			v, _ := strconv.Atoi(m[i+1])
			if v > 255 {
				return color.NRGBA{}, fmt.Errorf("%q: channel over 255", s)
			}
			c[i] = uint8(v)
		}
		a, _ := strconv.ParseFloat(m[4], 64)
		return color.NRGBA{c[0], c[1], c[2], uint8(a*255 + 0.5)}, nil
	}
	return ParseColor(s)
}

// checkExpr checks that v, where an expression may stand, is a well-formed one: an array with
// a known operator and the arguments that operator takes; literals pass.
func checkExpr(t *testing.T, where string, v any) {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		return
	}
	if len(a) == 0 {
		t.Errorf("%s: empty expression", where)
		return
	}
	op, ok := a[0].(string)
	if !ok {
		t.Errorf("%s: expression %v does not start with an operator", where, a)
		return
	}
	args := a[1:]
	bad := func(why string) { t.Errorf("%s: %s: %s", where, op, why) }
	ascending := func(stops []any) {
		prev := -1e9
		for _, s := range stops {
			z, ok := s.(float64)
			if !ok || z <= prev {
				bad(fmt.Sprintf("stops %v not ascending numbers", stops))
				return
			}
			prev = z
		}
	}
	// stopPairs checks zoom (or input) stops, ascending, each with an output expression.
	stopPairs := func(pairs []any) {
		var stops []any
		for i := 0; i+1 < len(pairs); i += 2 {
			stops = append(stops, pairs[i])
			checkExpr(t, where, pairs[i+1])
		}
		ascending(stops)
	}
	switch op {
	case "get", "has", "var", "length":
		if len(args) != 1 {
			bad("wants one argument")
		}
		if s, ok := args[0].(string); (op == "get" || op == "has" || op == "var") && (!ok || s == "") {
			bad("wants a name")
		}
		checkExpr(t, where, args[0])
	case "zoom", "linear":
		if len(args) != 0 {
			bad("takes no argument")
		}
	case "to-string", "to-number", "max", "-":
		if len(args) < 1 {
			bad("wants arguments")
		}
		for _, x := range args {
			checkExpr(t, where, x)
		}
	case "==":
		if len(args) != 2 {
			bad("wants two arguments")
		}
		for _, x := range args {
			checkExpr(t, where, x)
		}
	case "match":
		if len(args) < 4 || len(args)%2 != 0 {
			bad(fmt.Sprintf("%d arguments: want input, label/output pairs and a fallback", len(args)))
			return
		}
		checkExpr(t, where, args[0])
		seen := map[any]bool{}
		for i := 1; i < len(args)-1; i += 2 {
			labels, ok := args[i].([]any)
			if !ok {
				labels = []any{args[i]}
			}
			for _, l := range labels {
				switch l.(type) {
				case string, float64:
				default:
					bad(fmt.Sprintf("label %v is not a literal", l))
				}
				if seen[l] {
					bad(fmt.Sprintf("label %v twice", l))
				}
				seen[l] = true
			}
			checkExpr(t, where, args[i+1])
		}
		checkExpr(t, where, args[len(args)-1])
	case "interpolate", "step":
		// interpolate: a type, an input, stop pairs; step: an input, a first output, stop pairs.
		if len(args) < 2 || len(args)%2 != 0 || (op == "interpolate" && len(args) < 4) {
			bad("wants two leading arguments and stop pairs")
			return
		}
		checkExpr(t, where, args[0])
		checkExpr(t, where, args[1])
		stopPairs(args[2:])
	case "case":
		if len(args) < 3 || len(args)%2 != 1 {
			bad("wants condition/output pairs and a fallback")
		}
		for _, x := range args {
			checkExpr(t, where, x)
		}
	case "let":
		if len(args) < 3 || len(args)%2 != 1 {
			bad("wants name/value pairs and a body")
			return
		}
		for i := 0; i < len(args)-1; i += 2 {
			if _, ok := args[i].(string); !ok {
				bad("binding name is not a string")
			}
			checkExpr(t, where, args[i+1])
		}
		checkExpr(t, where, args[len(args)-1])
	case "format":
		if len(args) == 0 || len(args)%2 != 0 {
			bad("wants input/options pairs")
			return
		}
		for i := 0; i < len(args); i += 2 {
			checkExpr(t, where, args[i])
			if _, ok := args[i+1].(map[string]any); !ok {
				bad("options are not an object")
			}
		}
	case "number-format":
		if len(args) != 2 {
			bad("wants an input and options")
			return
		}
		checkExpr(t, where, args[0])
		if _, ok := args[1].(map[string]any); !ok {
			bad("options are not an object")
		}
	default:
		t.Errorf("%s: unknown operator %q", where, op)
	}
}

func TestMapLibre_Structure(t *testing.T) {
	layers := testLayers(t)
	d, _ := generate(t, layers, testOptions())
	if d.Version != 8 {
		t.Errorf("version %d", d.Version)
	}
	if !strings.Contains(d.Glyphs, "{fontstack}") || !strings.Contains(d.Glyphs, "{range}") {
		t.Errorf("glyphs %q", d.Glyphs)
	}
	for _, l := range layers {
		src := d.Sources[l.ID]
		want := "https://gis.example.vn/tiles/" + l.ID + ".json"
		if l.ID == "admin_units" {
			want += "?date=2024-01-01"
		}
		if src["type"] != "vector" || src["url"] != want {
			t.Errorf("source %s = %v, want a vector source at %s", l.ID, src, want)
		}
	}
	if s := d.Sources[AdminLabelPoints]; s["type"] != "geojson" || s["data"] != "https://gis.example.vn/api/v1/admin-units/labels" {
		t.Errorf("admin label source %v", s)
	}
	ids := map[string]bool{}
	used := map[string]bool{}
	lastPaint, firstSymbol := -1, len(d.Layers)
	for i, l := range d.Layers {
		id, _ := l["id"].(string)
		typ, _ := l["type"].(string)
		if id == "" || ids[id] {
			t.Errorf("layer %d: id %q empty or repeated", i, id)
		}
		ids[id] = true
		if typ == "symbol" {
			firstSymbol = min(firstSymbol, i)
		} else if typ != "background" {
			lastPaint = i
		}
		if typ != "background" {
			src, _ := l["source"].(string)
			if _, ok := d.Sources[src]; !ok {
				t.Errorf("layer %s: source %q is not in the document", id, src)
			}
			used[src] = true
			if d.Sources[src]["type"] == "vector" && l["source-layer"] != src {
				t.Errorf("layer %s: source-layer %v, want %s", id, l["source-layer"], src)
			}
		}
		for _, key := range []string{"minzoom", "maxzoom"} {
			if z, ok := l[key]; ok {
				if f, ok := z.(float64); !ok || f < 0 || f > MaxZoom {
					t.Errorf("layer %s: %s %v", id, key, z)
				}
			}
		}
		checkExpr(t, id+" filter", l["filter"])
		for _, group := range []string{"paint", "layout"} {
			props, _ := l[group].(map[string]any)
			for k, v := range props {
				if k == "line-dasharray" || k == "text-font" {
					// Literal arrays, not expressions.
					for _, x := range v.([]any) {
						if f, ok := x.(float64); (k == "line-dasharray" && (!ok || f <= 0)) || (k == "text-font" && !isString(x)) {
							t.Errorf("layer %s: %s %v", id, k, v)
						}
					}
					continue
				}
				checkExpr(t, id+" "+k, v)
				if strings.HasSuffix(k, "-color") {
					for _, c := range colorsIn(v) {
						if _, err := parseCSS(c); err != nil {
							t.Errorf("layer %s: %s: %v", id, k, err)
						}
					}
				}
			}
		}
	}
	for src := range d.Sources {
		if !used[src] {
			t.Errorf("source %s is never drawn", src)
		}
	}
	if lastPaint > firstSymbol {
		t.Errorf("a paint layer (%d) above the labels (from %d)", lastPaint, firstSymbol)
	}
	// The web map's layer ids stay, so its code that toggles layers keeps working.
	for _, id := range []string{"parcels-fill", "parcels-line", "constructions-fill", "constructions-line", "admin-commune",
		"admin-district", "admin-province", "layer:roads:line", "layer:wells:point", "parcels-label", "admin-commune-label"} {
		if !ids[id] {
			t.Errorf("no layer %s", id)
		}
	}
	// Labels: the most important are placed first, i.e. stand last.
	var prios []int
	for _, l := range d.Layers[firstSymbol:] {
		for _, ly := range layers {
			for _, lb := range ly.Labels {
				if lb.ID == l["id"] {
					prios = append(prios, lb.Priority)
				}
			}
		}
	}
	if !slices.IsSorted(prios) || len(prios) != len(d.Layers)-firstSymbol {
		t.Errorf("label priorities bottom to top %v", prios)
	}
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// colorsIn lists the colour strings of a colour property: a constant or the outputs of match.
func colorsIn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		if len(x) > 0 && x[0] == "match" {
			var out []string
			for i := 3; i < len(x); i += 2 {
				out = append(out, colorsIn(x[i])...)
			}
			return append(out, colorsIn(x[len(x)-1])...)
		}
	}
	return nil
}

// evalMatch evaluates a ["match", ["get", attr], labels, output, ..., fallback] for a value.
func evalMatch(t *testing.T, e any, value string) string {
	t.Helper()
	a := e.([]any)
	for i := 2; i < len(a)-1; i += 2 {
		labels, ok := a[i].([]any)
		if !ok {
			labels = []any{a[i]}
		}
		if slices.Contains(labels, any(value)) {
			return a[i+1].(string)
		}
	}
	return a[len(a)-1].(string)
}

func TestMapLibre_FillIsThePalette(t *testing.T) {
	codes := migrationCodes(t)
	p := NewPalette(append(codes, LandUse{Code: "XNN", Group: GroupAgricultural}))
	d, _ := generate(t, []*Layer{Parcels(p)}, testOptions())
	var fill any
	for _, l := range d.Layers {
		if l["id"] == "parcels-fill" {
			fill = l["paint"].(map[string]any)["fill-color"]
			if l["paint"].(map[string]any)["fill-opacity"] != 0.75 {
				t.Errorf("fill-opacity %v", l["paint"])
			}
		}
	}
	if get := fill.([]any)[1].([]any); get[0] != "get" || get[1] != "main_use" {
		t.Fatalf("the fill is not by main_use: %v", get)
	}
	for _, code := range append([]string{"XNN", "QQQ", ""}, func() (s []string) {
		for _, c := range codes {
			s = append(s, c.Code)
		}
		return
	}()...) {
		got, err := parseCSS(evalMatch(t, fill, code))
		if err != nil || got != p.Color(code) {
			t.Errorf("fill of %q = %v (%v), want %s", code, got, err, Hex(p.Color(code)))
		}
	}
}

// The attributes the document reads are those the tiles carry: the catalog's public attributes.
func TestMapLibre_AttributesExistInTheTiles(t *testing.T) {
	cat := catalogAttributes(t)
	public := map[string]map[string]bool{}
	for id, attrs := range cat {
		public[id] = map[string]bool{}
		for _, a := range attrs {
			if a.Visibility == "public" {
				public[id][a.Name] = true
			}
		}
	}
	// The label points of administrative units (/api/v1/admin-units/labels) carry these.
	public[AdminLabelPoints] = map[string]bool{"code": true, "level": true, "kind": true, "name": true}
	for _, opt := range []MapLibreOptions{testOptions(), {BaseURL: "http://x", GlyphsURL: "http://x/{fontstack}/{range}.pbf"}} {
		d, _ := generate(t, []*Layer{Parcels(NewPalette(nil)), Constructions(), AdminUnits()}, opt)
		for _, l := range d.Layers {
			src, _ := l["source"].(string)
			if src == "" || src == "basemap" {
				continue
			}
			for _, name := range attributesIn(l) {
				if !public[src][name] {
					// A sort key that is missing only orders labels less well.
					if name == "area_m2" && src == AdminLabelPoints {
						continue
					}
					t.Errorf("layer %s reads %q, which %s does not carry", l["id"], name, src)
				}
			}
		}
	}
	// And the renderer's view of the same styles.
	for _, l := range []*Layer{Parcels(NewPalette(nil)), Constructions(), AdminUnits()} {
		for _, a := range l.Attributes() {
			if !public[l.ID][a] {
				t.Errorf("style %s reads %q, not a public attribute", l.ID, a)
			}
		}
	}
}

var tokenRe = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// attributesIn lists the attributes a MapLibre layer reads with get, has and {tokens}.
func attributesIn(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if k == "text-field" {
					if s, ok := y.(string); ok {
						for _, m := range tokenRe.FindAllStringSubmatch(s, -1) {
							out = append(out, m[1])
						}
					}
				}
				if k != "glyphs" {
					walk(y)
				}
			}
		case []any:
			if len(x) == 2 && (x[0] == "get" || x[0] == "has") {
				out = append(out, x[1].(string))
			}
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(map[string]any{"filter": v.(map[string]any)["filter"], "paint": v.(map[string]any)["paint"], "layout": v.(map[string]any)["layout"]})
	return out
}

func TestMapLibre_Options(t *testing.T) {
	layers := testLayers(t)
	// Without glyphs there is no text: MapLibre refuses symbol layers with text and no glyphs.
	d, _ := generate(t, layers, MapLibreOptions{BaseURL: "http://x"})
	for _, l := range d.Layers {
		if l["type"] == "symbol" {
			t.Errorf("symbol layer %s without glyphs", l["id"])
		}
	}
	if d.Glyphs != "" || d.Sources["basemap"] != nil || d.Sources[AdminLabelPoints] != nil {
		t.Errorf("unasked parts: glyphs %q, sources %v", d.Glyphs, d.Sources)
	}
	// Without the label points, names label the admin_units tiles.
	d, _ = generate(t, layers, MapLibreOptions{BaseURL: "http://x", GlyphsURL: "http://x/{fontstack}/{range}.pbf"})
	for _, l := range d.Layers {
		if l["id"] == "admin-commune-label" && (l["source"] != "admin_units" || l["source-layer"] != "admin_units") {
			t.Errorf("commune names from %v", l["source"])
		}
	}
	// Token text: no expression in any text-field.
	opt := testOptions()
	opt.TokenText = true
	d, _ = generate(t, layers, opt)
	for _, l := range d.Layers {
		if l["type"] != "symbol" {
			continue
		}
		if s, ok := l["layout"].(map[string]any)["text-field"].(string); !ok || !strings.Contains(s, "{") {
			t.Errorf("%s: text-field %v", l["id"], l["layout"].(map[string]any)["text-field"])
		}
	}
	for _, bad := range []struct {
		layers []*Layer
		opt    MapLibreOptions
	}{
		{layers, MapLibreOptions{}},
		{[]*Layer{Parcels(nil), Parcels(nil)}, MapLibreOptions{BaseURL: "http://x"}},
		{[]*Layer{{ID: "x", Rules: []Rule{{ID: "x"}}}}, MapLibreOptions{BaseURL: "http://x"}},
		{[]*Layer{{ID: "x", Rules: []Rule{{ID: "a", Fill: &Fill{}}, {ID: "a", Fill: &Fill{}}}}}, MapLibreOptions{BaseURL: "http://x"}},
		{layers, MapLibreOptions{BaseURL: "http://x", Basemap: &Basemap{}}},
	} {
		if _, err := MapLibre(bad.layers, bad.opt); err == nil {
			t.Errorf("MapLibre(%d layers, %+v) succeeded", len(bad.layers), bad.opt)
		}
	}
}

func TestMapLibre_Deterministic(t *testing.T) {
	layers := testLayers(t)
	_, a := generate(t, layers, testOptions())
	_, b := generate(t, layers, testOptions())
	if !bytes.Equal(a, b) {
		t.Error("two documents of the same style differ")
	}
}

// requireTool finds a program a test needs; without it the test is skipped, unless the suite runs
// with GISD_REQUIRE_DB=1 (make test, CI), which installs it.
func requireFile(t *testing.T, path, why string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("GISD_REQUIRE_DB") == "1" {
			t.Fatalf("%s is missing: %s", path, why)
		}
		t.Skipf("%s is missing: %s", path, why)
	}
}

// MapLibre's own style validator (the style-spec package the web map bundles) accepts both
// forms of the document.
func TestMapLibre_ValidatesWithTheStyleSpec(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "web", "node_modules", "@maplibre", "maplibre-gl-style-spec", "dist", "index.mjs")
	requireFile(t, spec, "make web (npm ci in web/) installs MapLibre's style spec")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	for _, token := range []bool{false, true} {
		opt := testOptions()
		opt.TokenText = token
		_, doc := generate(t, testLayers(t), opt)
		f := filepath.Join(t.TempDir(), "style.json")
		if err := os.WriteFile(f, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		script := `import {validateStyleMin} from ` + strconv.Quote(spec) + `;
import {readFileSync} from 'node:fs';
const errs = validateStyleMin(JSON.parse(readFileSync(process.argv[1], 'utf8')));
for (const e of errs) console.log(e.message);
process.exit(errs.length ? 1 : 0);`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, node, "--input-type=module", "-e", script, f).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("token text %v: the style spec refuses the document: %v\n%s", token, err, out)
		}
	}
}

// QGIS 3.22 (Debian's python3-qgis), the desktop GIS of the provincial departments, converts
// the token form of the document with no warning: parcels coloured by land use, outlines,
// boundaries and labels.
func TestMapLibre_QGISConvertsTheStyle(t *testing.T) {
	const python = "/usr/bin/python3"
	requireFile(t, python, "Debian's python3 runs QGIS's converter")
	if exec.Command(python, "-c", "import qgis.core").Run() != nil {
		t.Skip("python3-qgis is not installed")
	}
	opt := testOptions()
	opt.TokenText = true
	opt.AdminLabelsURL = "" // QGIS reads vector tile sources only
	opt.Basemap = nil
	_, doc := generate(t, testLayers(t), opt)
	f := filepath.Join(t.TempDir(), "style.json")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "qgis_convert.py"), f)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("qgis_convert.py: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Warnings []string `json:"warnings"`
		Styles   []struct {
			Name, Layer, Filter string
			Data                map[string]string
		} `json:"styles"`
		Labels []struct {
			Name, Layer, Field, Filter string
			MinZoom, MaxZoom           int
		} `json:"labels"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	for _, w := range got.Warnings {
		t.Errorf("QGIS warns: %s", w)
	}
	styles := map[string]int{}
	for i, s := range got.Styles {
		styles[s.Name] = i
	}
	fill, ok := styles["parcels-fill"]
	if !ok {
		t.Fatalf("no parcels-fill among %v", got.Styles)
	}
	// The fill colour is data-defined by main_use, every code in the CASE.
	var expr string
	for _, e := range got.Styles[fill].Data {
		if strings.Contains(e, "main_use") {
			expr = e
		}
	}
	for _, code := range []string{"'ONT'", "'CLN'", "'LUC'", "'RSX'", "'NTD'", "#ffc8f0", "#cccccc"} {
		if !strings.Contains(expr, code) {
			t.Errorf("parcels-fill colour %q lacks %s", expr, code)
		}
	}
	if s := got.Styles[styles["admin-commune"]]; !strings.Contains(s.Filter, "commune") {
		t.Errorf("admin-commune filter %q", s.Filter)
	}
	labels := map[string]bool{}
	for _, l := range got.Labels {
		labels[l.Name] = true
		if l.Name == "parcels-label" {
			for _, f := range []string{"parcel_no", "official_area_m2", "land_use"} {
				if !strings.Contains(l.Field, f) {
					t.Errorf("parcel label %q lacks %s", l.Field, f)
				}
			}
			if l.MinZoom != CadastralFrom {
				t.Errorf("parcel labels from zoom %d", l.MinZoom)
			}
		}
	}
	for _, id := range []string{"parcels-label", "admin-commune-label", "sheets-label"} {
		if !labels[id] {
			t.Errorf("QGIS has no label %s (labels %v)", id, got.Labels)
		}
	}
}
