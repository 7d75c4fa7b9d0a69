package importer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/geo/geojson"
)

func TestNormalizeFieldName(t *testing.T) {
	for in, want := range map[string]string{
		"Tên đường":             "ten_duong",
		"SoThuTuThua":           "sothututhua",
		"  Diện tích (m²) ":     "dien_tich_m",
		"2020 area":             "f_2020_area",
		"a__b--c":               "a_b_c",
		"???":                   "",
		"ĐỒNG_XOÀI":             "dong_xoai",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := NormalizeFieldName(in); got != want {
			t.Errorf("NormalizeFieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldTypes(t *testing.T) {
	d := geojson.NewDecoder(strings.NewReader(`
		{"type":"Feature","properties":{"i":1,"n":1,"b":true,"d":"2024-03-15","s":"x","m":1,"z":null,"o":{"a":1}}}
		{"type":"Feature","properties":{"i":2,"n":2.5,"b":false,"d":"2025-07-01","s":"y","m":"x","z":null,"o":[1]}}`), geojson.DecoderOptions{})
	var ft FieldTypes
	var f geojson.Feature
	for d.Next(&f) == nil {
		for i := range f.Properties {
			ft.Add(&f.Properties[i])
		}
	}
	got := fmt.Sprint(ft.Fields())
	want := "[{i integer} {n number} {b boolean} {d date} {s string} {m string} {z string} {o json}]"
	if got != want {
		t.Errorf("Fields() = %s, want %s", got, want)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2024-03-15": "2024-03-15", "2024-03-15T10:00:00Z": "2024-03-15", "15/03/2024": "2024-03-15",
		"5/3/2024": "2024-03-05", "2024/03/15": "2024-03-15", "2024-13-01": "", "hôm qua": "", "2024-03-15x": "",
	} {
		d, ok := ParseDate(in)
		got := ""
		if ok {
			got = d.Format("2006-01-02")
		}
		if got != want {
			t.Errorf("ParseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommonType(t *testing.T) {
	tests := []struct {
		counts  map[string]int64
		want    string
		problem string
	}{
		{map[string]int64{"Polygon": 3}, "Polygon", ""},
		{map[string]int64{"Polygon": 3, "MultiPolygon": 1}, "MultiPolygon", ""},
		{map[string]int64{"Point": 3, "MultiPoint": 0}, "Point", ""},
		{map[string]int64{"Point": 3, "Polygon": 2}, "", "mixed geometry types (3 Point, 2 Polygon)"},
		{map[string]int64{}, "", "no geometries"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.counts), func(t *testing.T) {
			got, err := CommonType(tt.counts)
			if tt.problem != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.problem) {
					t.Errorf("err = %v, want ErrInvalid containing %q", err, tt.problem)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CommonType = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
