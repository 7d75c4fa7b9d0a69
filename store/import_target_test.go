package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/geo"
)

// props decodes one feature's properties.
func props(t *testing.T, js string) *geo.Feature {
	t.Helper()
	d := geo.NewDecoder(strings.NewReader(`{"type":"Feature","properties":`+js+`}`), geo.DecoderOptions{})
	var f geo.Feature
	if err := d.Next(&f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestConvertValue(t *testing.T) {
	numeric141 := int32(14<<16|1) + 4 // numeric(14, 1)
	tests := []struct {
		col  importColumn
		in   string
		want string // %T:%v of the value, or the problem
	}{
		{importColumn{name: "sheet_no", oid: oidInt4}, `12`, "int32:12"},
		{importColumn{name: "sheet_no", oid: oidInt4}, `"12"`, "int32:12"},
		{importColumn{name: "sheet_no", oid: oidInt4}, `12.0`, "int32:12"},
		{importColumn{name: "sheet_no", oid: oidInt4}, `12.5`, "sheet_no: 12.5 is not an integer"},
		{importColumn{name: "sheet_no", oid: oidInt4}, `"12a"`, `sheet_no: "12a" is not an integer`},
		{importColumn{name: "sheet_no", oid: oidInt4}, `3000000000`, "sheet_no: 3000000000 is out of range (at most 2147483647)"},
		{importColumn{name: "storeys", oid: oidInt2}, `40000`, "storeys: 40000 is out of range (at most 32767)"},
		{importColumn{name: "n", typ: "integer"}, `true`, "n: a boolean, want an integer"},
		{importColumn{name: "legal_area_m2", oid: oidNumeric, typmod: numeric141}, `1200.5`, "float64:1200.5"},
		{importColumn{name: "legal_area_m2", oid: oidNumeric, typmod: numeric141}, `"1200.5"`, "float64:1200.5"},
		{importColumn{name: "legal_area_m2", oid: oidNumeric, typmod: numeric141}, `1e14`, "legal_area_m2: 1e14 is too large (at most 13 digits before the decimal point)"},
		{importColumn{name: "d", oid: oidDate}, `"15/03/2024"`, "time.Time:2024-03-15"},
		{importColumn{name: "d", oid: oidDate}, `"hôm qua"`, `d: "hôm qua" is not a date (want YYYY-MM-DD or DD/MM/YYYY)`},
		{importColumn{name: "b", typ: "boolean"}, `"1"`, "bool:true"},
		{importColumn{name: "s", oid: oidText}, `"  Tổ 1  "`, "string:Tổ 1"},
		{importColumn{name: "s", oid: oidText}, `25216`, "string:25216"},
		{importColumn{name: "s", oid: oidText}, `{"a":1}`, "s: an object, want text"},
		{importColumn{name: "s", oid: oidText}, `"a\u0000b"`, `s: contains a NUL character (\u0000), which the database cannot store`},
		{importColumn{name: "j", typ: "json"}, `{"a":"\u0110"}`, `[]uint8:{"a":"\u0110"}`},
	}
	for _, tt := range tests {
		t.Run(tt.col.name+" "+tt.in, func(t *testing.T) {
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
	tgt := &importTarget{
		byName:  map[string]*importColumn{"legal_area_m2": {name: "legal_area_m2", index: 0}},
		landUse: map[string]landUseCode{"ONT": {}, "CLN": {}, "HNK": {}, "BHK": {legacy: true, replacedBy: "HNK"}, "NHK": {legacy: true, replacedBy: "HNK"}},
	}
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

func TestImportTarget_Source(t *testing.T) {
	tgt := &importTarget{byName: map[string]*importColumn{}, aliases: map[string]string{}, sources: map[string]*importSource{},
		explicit: map[string]string{"MaThua": "parcel_no", "\x00" + foldName("MaThua"): "parcel_no"}, table: "parcels"}
	for _, c := range []string{"commune_code", "sheet_no", "parcel_no", "legal_area_m2", "land_use", "owner_name"} {
		tgt.byName[c] = &importColumn{name: c}
	}
	for _, a := range fieldAliases["parcels"] {
		if _, ok := tgt.aliases[a[0]]; !ok {
			tgt.aliases[a[0]] = a[1]
		}
	}
	for in, want := range map[string]string{
		"MaXa": "commune_code", "xaId": "commune_code", "SoHieuToBanDo": "sheet_no", "so_hieu_to_ban_do": "sheet_no",
		"Số hiệu tờ bản đồ": "sheet_no", "soThuTuThua": "parcel_no", "MaThua": "parcel_no", "DienTich": "legal_area_m2",
		"dienTichPhapLy": "legal_area_m2", "KyHieuMucDichSuDung": "land_use", "TenChu": "owner_name", "commune_code": "commune_code",
		"Ghi chú": "",
	} {
		got := ""
		if s := tgt.source([]byte(in)); s.col != nil {
			got = s.col.name
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
