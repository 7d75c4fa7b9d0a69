package style

import (
	"encoding/json"
	"image/color"
	"math"
	"testing"
)

func TestPalette_EveryCodeOfTheDatabaseHasItsOwnColour(t *testing.T) {
	codes := migrationCodes(t)
	p := NewPalette(codes)
	for _, lu := range codes {
		own, ok := CodeColor(lu.Code)
		if !ok {
			t.Errorf("%s (%s) has no colour of its own", lu.Code, lu.Name)
			continue
		}
		if got := p.Color(lu.Code); got != own {
			t.Errorf("Color(%s) = %s, want %s", lu.Code, Hex(got), Hex(own))
		}
		if _, ok := GroupColor(lu.Group); !ok {
			t.Errorf("%s: group %q has no colour", lu.Code, lu.Group)
		}
	}
	if len(codeColors) != len(codes) {
		t.Errorf("the palette has %d codes, the database %d: a colour for a code that does not exist", len(codeColors), len(codes))
	}
}

func TestPalette_SharedReferenceListMatchesTheDatabase(t *testing.T) {
	csv := sharedCSV(t)
	db := map[string]LandUse{}
	for _, lu := range migrationCodes(t) {
		db[lu.Code] = lu
	}
	if len(csv) != len(db) {
		t.Errorf("shared list has %d codes, migration %d", len(csv), len(db))
	}
	for _, c := range csv {
		d, ok := db[c.Code]
		if !ok || d.Group != c.Group || d.Name != c.Name || d.Legacy != c.Legacy {
			t.Errorf("shared %+v, migration %+v", c, d)
		}
		if _, ok := CodeColor(c.Code); !ok {
			t.Errorf("%s has no colour", c.Code)
		}
	}
}

func TestPalette_Fallbacks(t *testing.T) {
	p := NewPalette([]LandUse{
		{Code: "ONT", Group: GroupNonAgricultural},
		{Code: "XNN", Group: GroupAgricultural},    // a code added to the table later
		{Code: "XPN", Group: GroupNonAgricultural}, // idem
		{Code: "XXX", Group: "no_such_group"},
	})
	green, _ := GroupColor(GroupAgricultural)
	pink, _ := GroupColor(GroupNonAgricultural)
	ont, _ := CodeColor("ONT")
	for _, tc := range []struct {
		code string
		want color.NRGBA
	}{
		{"ONT", ont},
		{"XNN", green},
		{"XPN", pink},
		{"XXX", UnknownColor},
		{"", UnknownColor},
		{"QQQ", UnknownColor},
		{"CLN", codeColors["CLN"]}, // known colour, even when the list leaves it out
	} {
		if got := p.Color(tc.code); got != tc.want {
			t.Errorf("Color(%q) = %s, want %s", tc.code, Hex(got), Hex(tc.want))
		}
	}
	if lu, ok := p.Lookup("XNN"); !ok || lu.Group != GroupAgricultural {
		t.Errorf("Lookup(XNN) = %+v, %v", lu, ok)
	}
	if got := NewPalette(nil).Color("CLN"); got != codeColors["CLN"] {
		t.Errorf("a palette without a list: CLN = %s", Hex(got))
	}
}

func TestParseColor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want color.NRGBA
		ok   bool
	}{
		{"#fff", color.NRGBA{255, 255, 255, 255}, true},
		{"#7a6a58", color.NRGBA{0x7a, 0x6a, 0x58, 255}, true},
		{"#7A6A5880", color.NRGBA{0x7a, 0x6a, 0x58, 0x80}, true},
		{"7a6a58", color.NRGBA{}, false},
		{"#7a6a5", color.NRGBA{}, false},
		{"#gggggg", color.NRGBA{}, false},
		{"", color.NRGBA{}, false},
	} {
		got, err := ParseColor(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseColor(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			back, err := ParseColor(Hex(got))
			if err != nil || back != got {
				t.Errorf("Hex(%v) = %s does not read back", got, Hex(got))
			}
		}
	}
	if got := cssColor(color.NRGBA{255, 255, 255, 0xd9}); got != "rgba(255,255,255,0.851)" {
		t.Errorf("cssColor = %s", got)
	}
}

func TestZoomAndScale(t *testing.T) {
	const lat = 11.5 // Bình Phước
	for z := 0.0; z <= 22; z += 0.5 {
		if got := ZoomAt(Resolution(z, lat), lat); math.Abs(got-z) > 1e-9 {
			t.Errorf("ZoomAt(Resolution(%v)) = %v", z, got)
		}
	}
	// At the equator, zoom 0 shows the world on 512 pixels.
	if got := Resolution(0, 0); math.Abs(got-40075016.686/512) > 0.01 {
		t.Errorf("Resolution(0, 0) = %v", got)
	}
	// Parcel labels start at about the scale of a cadastral sheet, 1:2,000.
	den := ScaleDenominator(Resolution(CadastralFrom, lat))
	if den < 1900 || den > 2300 {
		t.Errorf("zoom %d at %v° is 1:%.0f, want about 1:2,000", CadastralFrom, lat, den)
	}
	if got := ZoomAtScale(den, lat); math.Abs(got-CadastralFrom) > 1e-9 {
		t.Errorf("ZoomAtScale(%v) = %v", den, got)
	}
	minDen, maxDen := ZoomRange{Min: 17}.ScaleDenominators(lat)
	if minDen != 0 || math.Abs(maxDen-den) > 1e-6 {
		t.Errorf("ScaleDenominators = %v, %v; want 0, %v", minDen, maxDen, den)
	}
	minDen, maxDen = ZoomRange{Max: 8}.ScaleDenominators(lat)
	if !math.IsInf(maxDen, 1) || minDen < 1e6 {
		t.Errorf("ScaleDenominators(<8) = %v, %v", minDen, maxDen)
	}
	r := ZoomRange{Min: 7.5, Max: 11}
	for _, tc := range []struct {
		z    float64
		want bool
	}{{7.4, false}, {7.5, true}, {10.99, true}, {11, false}} {
		if got := r.Contains(tc.z); got != tc.want {
			t.Errorf("Contains(%v) = %v", tc.z, got)
		}
	}
}

func TestValue_At(t *testing.T) {
	v := ByZoom(13, 0.2, 16, 0.8, 19, 1.5)
	for _, tc := range []struct{ z, want float64 }{
		{0, 0.2}, {13, 0.2}, {14.5, 0.5}, {16, 0.8}, {17.5, 1.15}, {19, 1.5}, {22, 1.5},
	} {
		if got := v.At(tc.z); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("At(%v) = %v, want %v", tc.z, got, tc.want)
		}
	}
	if got := Const(3).At(20); got != 3 {
		t.Errorf("Const(3).At = %v", got)
	}
	if got := Const(3).expr(); got != 3.0 {
		t.Errorf("Const(3).expr() = %v", got)
	}
}

func TestFormatArea(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{245.3, "245,3"}, {245, "245,0"}, {1234.56, "1.234,6"}, {0, "0,0"}, {999.95, "1.000,0"},
		{1234567, "1.234.567,0"}, {-5, "-5,0"}, {math.NaN(), ""},
	} {
		if got := FormatArea(tc.in); got != tc.want {
			t.Errorf("FormatArea(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLabel_Text(t *testing.T) {
	admin := AdminUnits()
	prov := admin.Labels[0]
	if got := prov.TextOf(map[string]any{"name": "Bình Phước"}); got != "BÌNH PHƯỚC" {
		t.Errorf("province label = %q", got)
	}
	sheet := Sheets().Labels[0]
	for _, tc := range []struct {
		props map[string]any
		want  string
	}{
		{map[string]any{"sheet_no": int64(12)}, "Tờ 12"},
		{map[string]any{"sheet_no": 12.0}, "Tờ 12"},
		{map[string]any{"sheet_no": json.Number("7")}, "Tờ 7"},
		{map[string]any{}, ""},
	} {
		if got := sheet.TextOf(tc.props); got != tc.want {
			t.Errorf("sheet label of %v = %q, want %q", tc.props, got, tc.want)
		}
	}
	parcel := Parcels(NewPalette(nil)).Labels[0]
	n, a, c, ok := parcel.Fraction(map[string]any{"parcel_no": int64(125), "official_area_m2": 1250.26, "land_use": "ONT+CLN"})
	if !ok || n != "125" || a != "1.250,3" || c != "ONT+CLN" {
		t.Errorf("Fraction = %q %q %q %v", n, a, c, ok)
	}
	if _, _, _, ok := parcel.Fraction(map[string]any{"official_area_m2": 1.0}); ok {
		t.Error("a parcel without a number got a label")
	}
}

func TestFilter_Match(t *testing.T) {
	f := Filter{Attribute: "level", In: []string{"commune"}}
	if !f.Match(map[string]any{"level": "commune"}) || f.Match(map[string]any{"level": "district"}) || f.Match(nil) {
		t.Error("level filter")
	}
	n := Filter{Attribute: "storeys", In: []string{"2", "3"}}
	if !n.Match(map[string]any{"storeys": int64(3)}) || !n.Match(map[string]any{"storeys": 2.0}) || n.Match(map[string]any{"storeys": 4}) {
		t.Error("numeric filter")
	}
	if !(Filter{}).Match(nil) {
		t.Error("the zero filter must select everything")
	}
}

func TestForLayer(t *testing.T) {
	p := NewPalette(nil)
	for _, tc := range []struct {
		id, geom string
		rules    []string
	}{
		{"parcels", "MultiPolygon", []string{"parcels-fill", "parcels-line"}},
		{"constructions", "MultiPolygon", []string{"constructions-fill", "constructions-line"}},
		{"admin_units", "MultiPolygon", []string{"admin-commune", "admin-district", "admin-province"}},
		{"roads", "MultiLineString", []string{"layer:roads:line"}},
		{"wells", "Point", []string{"layer:wells:point"}},
		{"zones", "Polygon", []string{"layer:zones:fill", "layer:zones:line"}},
		{"mixed", "Geometry", []string{"layer:mixed:fill", "layer:mixed:line", "layer:mixed:point"}},
	} {
		l := ForLayer(tc.id, tc.id, tc.geom, p)
		var got []string
		for _, r := range l.Rules {
			got = append(got, r.ID)
		}
		if len(got) != len(tc.rules) {
			t.Errorf("%s: rules %v, want %v", tc.id, got, tc.rules)
			continue
		}
		for i := range got {
			if got[i] != tc.rules[i] {
				t.Errorf("%s: rules %v, want %v", tc.id, got, tc.rules)
			}
		}
	}
	if ImportedColor("roads") != ImportedColor("roads") || ImportedColor("roads") == (color.NRGBA{}) {
		t.Error("ImportedColor is not stable")
	}
	if got := Parcels(p).Attributes(); len(got) != 4 || got[0] != "land_use" || got[1] != "main_use" {
		t.Errorf("parcels attributes = %v", got)
	}
}
