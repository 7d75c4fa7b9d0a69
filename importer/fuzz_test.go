package importer

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dongnai-gis/gisd/geo/geojson"
)

// fuzzColumns are the column types a property value is converted for: every table column type
// the built-in layers have (numeric(14,1) and numeric(6,2) among them) and the catalog types of a
// generic layer.
var fuzzColumns = []Column{
	{Name: "storeys", DB: DBInt2}, {Name: "sheet_no", DB: DBInt4}, {Name: "n", DB: DBInt8},
	{Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1}, {Name: "height_m", DB: DBNumeric, Precision: 6, Scale: 2},
	{Name: "f4", DB: DBFloat4}, {Name: "f8", DB: DBFloat8}, {Name: "b", DB: DBBool}, {Name: "d", DB: DBDate},
	{Name: "ts", DB: DBTimestamptz}, {Name: "s", DB: DBText}, {Name: "j", DB: DBJSON},
	{Name: "gs", Type: "string"}, {Name: "gi", Type: "integer"}, {Name: "gn", Type: "number"},
	{Name: "gb", Type: "boolean"}, {Name: "gd", Type: "date"}, {Name: "gt", Type: "datetime"}, {Name: "gj", Type: "json"},
	{Name: "land_use", DB: DBJSON, LandUse: true},
}

// FuzzConvertValue converts arbitrary property values for every column type. A value is either
// refused with a problem naming the column, or converted to the Go type the column's writer
// expects, within the column's range, and encodes as valid JSON for a generic layer: whatever
// the file holds, the database never sees a value it would refuse (which would fail the whole
// import instead of rejecting one feature).
func FuzzConvertValue(f *testing.F) {
	for _, seed := range []struct {
		col   uint8
		value string
	}{
		{0, `40000`}, {1, `"12"`}, {1, `12.0`}, {1, `1e3`}, {2, `9223372036854775808`}, {3, `"1e14"`},
		{4, `9999.996`}, {4, `"-9999.994"`}, {5, `3.5e38`}, {6, `"NaN"`}, {7, `"1"`}, {8, `"15/03/2024"`},
		{8, `"0000-01-01"`}, {9, `"2024-03-15T08:00:00+07:00"`}, {10, `"a\u0000b"`}, {10, `{"a":1}`}, {11, `[1,"\u0000"]`},
		{12, `"Tổ 1"`}, {13, `-0`}, {17, `"2024-02-30T00:00:00Z"`}, {19, `"ONT:300+CLN:1e309"`},
		{19, `[{"KyHieu":"ONT","DienTich":"NaN"}]`}, {19, `[{"code":"ONT","area":1e300},{"code":"ONT","area":1e300}]`},
	} {
		f.Add(seed.col, seed.value)
	}
	schema := &Schema{Table: "parcels", Columns: []Column{{Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1}},
		LandUse: map[string]LandUseCode{"ONT": {}, "CLN": {}, "HNK": {}, "NHK": {Legacy: true, ReplacedBy: "HNK"}}}
	conv := newConverter(newMapper(schema, nil), nil, DefaultMaxValueBytes)
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		col := fuzzColumns[int(which)%len(fuzzColumns)]
		d := geojson.NewDecoder(strings.NewReader(`{"type":"Feature","properties":{"x":`+value+`}}`), geojson.DecoderOptions{})
		var feat geojson.Feature
		if d.Next(&feat) != nil || len(feat.Properties) != 1 {
			return // not a JSON value: the decoder's business (FuzzDecode)
		}
		p := &feat.Properties[0]
		if col.LandUse {
			lu, _, prob := conv.landUseValue(p, []any{nil}, func(string, string, string) {})
			if prob != nil {
				return
			}
			var items []struct {
				Code string   `json:"code"`
				Area *float64 `json:"area"`
			}
			if err := json.Unmarshal(lu, &items); err != nil || len(items) == 0 {
				t.Fatalf("land use %s became %q, not a JSON array of purposes: %v", value, lu, err)
			}
			for _, it := range items {
				if _, ok := schema.LandUse[it.Code]; !ok || (it.Area != nil && (*it.Area < 0 || math.IsInf(*it.Area, 0))) {
					t.Fatalf("land use %s became %s", value, lu)
				}
			}
			return
		}
		v, prob := convertValue(&col, p)
		if (v == nil) == (prob == nil) {
			t.Fatalf("convertValue(%s, %s) = %v, %v: want a value or a problem", col.Name, value, v, prob)
		}
		if prob != nil {
			if prob.code != "bad_value" || prob.field != col.Name || !strings.HasPrefix(prob.reason, col.Name+": ") {
				t.Fatalf("problem %+v does not name column %s", prob, col.Name)
			}
			return
		}
		checkConverted(t, col, value, v)
		if enc := jsonValue(nil, v); !json.Valid(enc) {
			t.Fatalf("%s: %s converted to %#v encodes as invalid JSON %q", col.Name, value, v, enc)
		}
	})
}

// checkConverted fails unless v is what the writer expects for col.
func checkConverted(t *testing.T, col Column, value string, v any) {
	t.Helper()
	bad := func() { t.Fatalf("%s: %s converted to %#v (%T)", col.Name, value, v, v) }
	switch typeOf(&col) {
	case "integer":
		switch col.DB {
		case DBInt2:
			if _, ok := v.(int16); !ok {
				bad()
			}
		case DBInt4:
			if _, ok := v.(int32); !ok {
				bad()
			}
		default:
			if _, ok := v.(int64); !ok {
				bad()
			}
		}
	case "number":
		x, ok := v.(float64)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			bad()
		}
		if col.DB == DBFloat4 && math.Abs(x) > math.MaxFloat32 {
			bad()
		}
		if col.DB == DBNumeric && col.Precision > 0 {
			scale := math.Pow10(col.Scale)
			if math.Abs(math.Round(x*scale)/scale) >= math.Pow10(col.Precision-col.Scale) {
				bad()
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad()
		}
	case "date", "datetime":
		if d, ok := v.(time.Time); !ok || d.Year() < 0 || d.Year() > 9999 {
			bad()
		}
	case "json":
		if b, ok := v.([]byte); !ok || !json.Valid(b) || strings.Contains(string(b), `\u0000`) {
			bad()
		}
	default:
		if s, ok := v.(string); !ok || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			bad()
		}
	}
}
