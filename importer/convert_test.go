package importer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/geo/geojson"
)

// props decodes one feature's properties.
func props(t testing.TB, js string) *geojson.Feature {
	t.Helper()
	d := geojson.NewDecoder(strings.NewReader(`{"type":"Feature","properties":`+js+`}`), geojson.DecoderOptions{})
	var f geojson.Feature
	if err := d.Next(&f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestConvertValue(t *testing.T) {
	tests := []struct {
		col  Column
		in   string
		want string // %T:%v of the value, or the problem
	}{
		{Column{Name: "sheet_no", DB: DBInt4}, `12`, "int32:12"},
		{Column{Name: "sheet_no", DB: DBInt4}, `"12"`, "int32:12"},
		{Column{Name: "sheet_no", DB: DBInt4}, `12.0`, "int32:12"},
		{Column{Name: "sheet_no", DB: DBInt4}, `12.5`, "sheet_no: 12.5 is not an integer"},
		{Column{Name: "sheet_no", DB: DBInt4}, `"12a"`, `sheet_no: "12a" is not an integer`},
		{Column{Name: "sheet_no", DB: DBInt4}, `3000000000`, "sheet_no: 3000000000 is out of range (at most 2147483647)"},
		{Column{Name: "storeys", DB: DBInt2}, `40000`, "storeys: 40000 is out of range (at most 32767)"},
		{Column{Name: "n", Type: "integer"}, `true`, "n: a boolean, want an integer"},
		{Column{Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1}, `1200.5`, "float64:1200.5"},
		{Column{Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1}, `"1200.5"`, "float64:1200.5"},
		{Column{Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1}, `1e14`, "legal_area_m2: 1e14 is too large (at most 13 digits before the decimal point)"},
		{Column{Name: "d", DB: DBDate}, `"15/03/2024"`, "time.Time:2024-03-15"},
		{Column{Name: "d", DB: DBDate}, `"hôm qua"`, `d: "hôm qua" is not a date (want YYYY-MM-DD or DD/MM/YYYY)`},
		{Column{Name: "b", Type: "boolean"}, `"1"`, "bool:true"},
		{Column{Name: "s", DB: DBText}, `"  Tổ 1  "`, "string:Tổ 1"},
		{Column{Name: "s", DB: DBText}, `25216`, "string:25216"},
		{Column{Name: "s", DB: DBText}, `{"a":1}`, "s: an object, want text"},
		{Column{Name: "s", DB: DBText}, `"a\u0000b"`, `s: contains a NUL character (\u0000), which the database cannot store`},
		{Column{Name: "j", Type: "json"}, `{"a":"\u0110"}`, `[]uint8:{"a":"\u0110"}`},
	}
	for _, tt := range tests {
		t.Run(tt.col.Name+" "+tt.in, func(t *testing.T) {
			f := props(t, `{"x":`+tt.in+`}`)
			v, prob := convertValue(&tt.col, &f.Properties[0])
			got := ""
			switch x := v.(type) {
			case nil:
				got = prob.reason
			case time.Time:
				got = "time.Time:" + x.Format(time.DateOnly)
			case []byte:
				got = "[]uint8:" + string(x)
			default:
				got = fmt.Sprintf("%T:%v", v, v)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLandUseValue(t *testing.T) {
	s := &Schema{Table: "parcels", Columns: []Column{{Name: "legal_area_m2", DB: DBNumeric}, {Name: "land_use", DB: DBJSON, LandUse: true}},
		LandUse: map[string]LandUseCode{"ONT": {}, "CLN": {}, "HNK": {}, "BHK": {Legacy: true, ReplacedBy: "HNK"}, "NHK": {Legacy: true, ReplacedBy: "HNK"}}}
	tgt := newConverter(newMapper(s, nil), nil, DefaultMaxValueBytes)
	tests := []struct {
		in, legal string
		want      string // land_use JSON, or the problem
		fill      bool
		warnings  string
	}{
		{`"ONT"`, "300", `[{"code":"ONT","area":300}]`, false, ""},
		{`"ONT"`, "", `[{"code":"ONT"}]`, true, ""},
		{`"ont + cln"`, "", `[{"code":"ONT"},{"code":"CLN"}]`, false, "land_use_areas"},
		{`"ONT,CLN"`, "500", `[{"code":"ONT"},{"code":"CLN"}]`, false, "land_use_areas"},
		{`"ONT:300+CLN:1210.55"`, "", `[{"code":"ONT","area":300},{"code":"CLN","area":1210.6}]`, false, ""},
		{`[{"KyHieu":"ONT","DienTich":100},{"KyHieu":"CLN","DienTich":"400"}]`, "", `[{"code":"ONT","area":100},{"code":"CLN","area":400}]`, false, ""},
		{`[{"code":"BHK","area":100},{"code":"NHK","area":50}]`, "", `[{"code":"HNK","area":150}]`, false, "legacy_land_use legacy_land_use"},
		{`["ONT","CLN"]`, "", `[{"code":"ONT"},{"code":"CLN"}]`, false, "land_use_areas"},
		{`"XYZ"`, "", `unknown land-use code "XYZ"`, false, ""},
		{`"ONT:abc"`, "", `land_use: "ONT:abc": area "abc" is not a number`, false, ""},
		{`[{"code":"ONT","area":-1}]`, "", `land_use: negative area -1 for ONT`, false, ""},
		{`[{"code":"ONT","area":1e300},{"code":"ONT","area":1e300}]`, "", `land_use: area 1e+300 m² for ONT is larger than the country`, false, ""},
		{`[{"code":"ONT","area":"NaN"}]`, "", `land_use: area "NaN" is not a number`, false, ""},
		{`12`, "", `land_use: a number, want codes such as "ONT+CLN"`, false, ""},
		{`null`, "", `missing required attribute land_use (KyHieuMucDichSuDung)`, false, ""},
		{`""`, "", `land_use: no land-use code`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := props(t, `{"x":`+tt.in+`}`)
			vals := []any{nil}
			if tt.legal != "" {
				var a float64
				fmt.Sscan(tt.legal, &a)
				vals[0] = a
			}
			var warned []string
			v, fill, prob := tgt.landUseValue(&f.Properties[0], vals, func(code, field, reason string) { warned = append(warned, code) })
			got := string(v)
			if prob != nil {
				got = prob.reason
			}
			if got != tt.want || fill != tt.fill || strings.Join(warned, " ") != tt.warnings {
				t.Errorf("got %s fill=%v warnings=%v, want %s fill=%v warnings=%q", got, fill, warned, tt.want, tt.fill, tt.warnings)
			}
		})
	}
}

func TestMapper_Source(t *testing.T) {
	s := &Schema{Table: "parcels"}
	for _, c := range []string{"commune_code", "sheet_no", "parcel_no", "legal_area_m2", "land_use", "owner_name"} {
		s.Columns = append(s.Columns, Column{Name: c})
	}
	tgt := newMapper(s, map[string]string{"MaThua": "parcel_no"})
	for in, want := range map[string]string{
		"MaXa": "commune_code", "xaId": "commune_code", "SoHieuToBanDo": "sheet_no", "so_hieu_to_ban_do": "sheet_no",
		"Số hiệu tờ bản đồ": "sheet_no", "soThuTuThua": "parcel_no", "MaThua": "parcel_no", "DienTich": "legal_area_m2",
		"dienTichPhapLy": "legal_area_m2", "KyHieuMucDichSuDung": "land_use", "TenChu": "owner_name", "commune_code": "commune_code",
		"Ghi chú": "",
	} {
		got := ""
		if s := tgt.source([]byte(in)); s.col != nil {
			got = s.col.Name
		}
		if got != want {
			t.Errorf("source(%q) = %q, want %q", in, got, want)
		}
	}
	// Several names for one column: --map, then the column's own name, then the aliases in
	// order (dienTichPhapLy before DienTich).
	if a, b := tgt.source([]byte("dienTichPhapLy")).prio, tgt.source([]byte("DienTich")).prio; a >= b {
		t.Errorf("priority of dienTichPhapLy %d, DienTich %d: want the legal area first", a, b)
	}
	if got := strings.Join(tgt.ignored, ","); got != "Ghi chú" {
		t.Errorf("ignored = %q", got)
	}
}
