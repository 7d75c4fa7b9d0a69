package api

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/geo"
)

func TestParseSearch_Kinds(t *testing.T) {
	tests := []struct {
		q      string
		kind   string
		folded string
		code   string
		key    [3]int // commune as int, sheet, parcel
	}{
		{q: "dong xoai", kind: "name", folded: "dong xoai"},
		{q: "Đồng Xoài", kind: "name", folded: "dong xoai"},
		{q: "  THÀNH PHỐ   Đồng Xoài ", kind: "name", folded: "thanh pho dong xoai"},
		{q: "\u0110o\u0302\u0300ng Xoa\u0300i", kind: "name", folded: "dong xoai"}, // decomposed (NFD): o + ◌̂ + ◌̀, a + ◌̀
		{q: "Phường 1", kind: "name", folded: "phuong 1"},
		{q: "689", kind: "code", code: "689"},
		{q: "70", kind: "code", code: "70"},
		{q: "25195", kind: "code", code: "25195"},
		{q: "25195 12 345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "25195/12/345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "25195-12-345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "25195.12.345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "25195, 12, 345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "xã 25195 tờ 12 thửa 345", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "thửa đất số 345, tờ bản đồ số 12, xã 25195", kind: "parcel", key: [3]int{25195, 12, 345}},
		{q: "25195 12", kind: "sheet", key: [3]int{25195, 12, 0}},
		{q: "25195 tờ 12", kind: "sheet", key: [3]int{25195, 12, 0}},
		{q: "106.89, 11.535", kind: "coordinates"},
		{q: "1275708.641 569613.688", kind: "coordinates"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			p, err := parseSearch(tt.q, geo.ProvinceZone)
			if err != nil {
				t.Fatalf("parseSearch(%q): %v", tt.q, err)
			}
			if p.Kind != tt.kind {
				t.Fatalf("kind = %q, want %q", p.Kind, tt.kind)
			}
			if tt.folded != "" && p.Folded != tt.folded {
				t.Errorf("folded = %q, want %q", p.Folded, tt.folded)
			}
			if tt.code != "" && p.Code != tt.code {
				t.Errorf("code = %q, want %q", p.Code, tt.code)
			}
			if tt.kind == "parcel" || tt.kind == "sheet" {
				got := [3]int{atoiOr0(p.Commune), p.Sheet, p.Parcel}
				if got != tt.key {
					t.Errorf("key = %v, want %v", got, tt.key)
				}
			}
		})
	}
}

func atoiOr0(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// The DOMAIN.md check value: WGS 84 (106.89 E, 11.535 N) is E 569613.688, N 1275708.641 in EPSG:9212.
func TestParseSearch_Coordinates(t *testing.T) {
	const lon, lat = 106.89, 11.535
	tests := []struct {
		q       string
		srid    int
		swapped bool
	}{
		{"106.89, 11.535", 4326, false},
		{"106.89 11.535", 4326, false},
		{"106,89 11,535", 4326, false},
		{"106.89,11.535", 4326, false},
		{"11.535, 106.89", 4326, true},
		{"lat 11.535 lon 106.89", 4326, true},
		{"569613.688 1275708.641", 9212, false},
		{"1275708.641 569613.688", 9212, true},
		{"X = 1275708.641, Y = 569613.688", 9212, true},
		{"X: 1.275.708,641; Y: 569.613,688", 9212, true},
		{"1275708.641 569613.688 9212", 9212, true},
		{"1275708.641, 569613.688, EPSG:9212", 9212, true},
		{"VN-2000 TM-3 106-15: 1275708.641 569613.688", 9212, true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			p, err := parseSearch(tt.q, geo.ProvinceZone)
			if err != nil {
				t.Fatalf("parseSearch(%q): %v", tt.q, err)
			}
			if p.Kind != "coordinates" || p.SRID != tt.srid || p.Swapped != tt.swapped {
				t.Fatalf("got kind %q srid %d swapped %v, want coordinates %d %v", p.Kind, p.SRID, p.Swapped, tt.srid, tt.swapped)
			}
			// 1e-6 degrees is about 10 cm.
			if math.Abs(p.Lon-lon) > 1e-6 || math.Abs(p.Lat-lat) > 1e-6 {
				t.Errorf("point = (%.8f, %.8f), want (%v, %v)", p.Lon, p.Lat, lon, lat)
			}
		})
	}
}

func TestParseSearch_OtherZone(t *testing.T) {
	// The same numbers read in 5899 (Đồng Nai, 107°45') land about 1.5° further east.
	p, err := parseSearch("569613.688 1275708.641", 5899)
	if err != nil {
		t.Fatal(err)
	}
	if p.SRID != 5899 || math.Abs(p.Lon-(lon9212(t)+1.5)) > 0.01 {
		t.Errorf("got srid %d lon %v, want 5899 and about %v", p.SRID, p.Lon, lon9212(t)+1.5)
	}
}

func lon9212(t *testing.T) float64 {
	lon, _, err := geo.FromVN2000TM3(569613.688, 1275708.641, 9212)
	if err != nil {
		t.Fatal(err)
	}
	return lon
}

func TestParseSearch_Errors(t *testing.T) {
	tests := []struct{ q, want string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"a", "too short"},
		{strings.Repeat("x", 121), "longer than"},
		{"25195 0 345", "sheet number"},
		{"106.89", "two numbers"},
		{"1 2 3 4", "two numbers"},
		{"0.5 0.5", "outside Vietnam"},
		{"2.35, 48.85", "outside Vietnam"},
		{"569613.688 11.5", "both in metres"},
		{"569613.688 1275708.641 4326", "not a VN-2000 TM-3 zone"},
		{"106.89 11.535 9212", "look like degrees"},
		{"TM-3 103-10 569613 1275708", "central meridian"},
		{"\xff\xfe", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			_, err := parseSearch(tt.q, geo.ProvinceZone)
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("parseSearch(%q) = %v, want a *ParamError", tt.q, err)
			}
			if pe.Name != "q" || !strings.Contains(pe.Reason, tt.want) {
				t.Errorf("error = %q on %q, want it to mention %q", pe.Reason, pe.Name, tt.want)
			}
		})
	}
}

func TestParseLocalNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"106.89", 106.89}, {"106,89", 106.89}, {"1.275.708,641", 1275708.641},
		{"1,275,708.641", 1275708.641}, {"1.275.708", 1275708}, {"1,275,708", 1275708}, {"-5", -5},
	}
	for _, tt := range tests {
		got, err := parseLocalNumber(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseLocalNumber(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "NaN", "Inf", "1..2"} {
		if _, err := parseLocalNumber(bad); err == nil {
			t.Errorf("parseLocalNumber(%q) succeeded, want an error", bad)
		}
	}
}

func TestLikeEscape(t *testing.T) {
	if got, want := likeEscape(`50%_a\b`), `50\%\_a\\b`; got != want {
		t.Errorf("likeEscape = %q, want %q", got, want)
	}
}

func TestURLOrigin(t *testing.T) {
	tests := map[string]string{
		"": "",
		"https://tile.example.vn/{z}/{x}/{y}.png":  "https://tile.example.vn",
		"http://10.0.0.5:8081/osm/{z}/{x}/{y}.png": "http://10.0.0.5:8081",
		"not a url": "",
	}
	for in, want := range tests {
		if got := urlOrigin(in); got != want {
			t.Errorf("urlOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseSearch checks that no input makes the parser panic, and that what it accepts is
// consistent: coordinates inside Vietnam, keys in range.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"dong xoai", "25195 12 345", "xã 25195 tờ 12 thửa 345", "106.89, 11.535",
		"1.275.708,641 569.613,688", "X = 1275708.641, Y = 569613.688 9212", "TM-3 106-15 1 2", "25195.12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p, err := parseSearch(q, geo.ProvinceZone)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("parseSearch(%q) returned %T %v, want *ParamError", q, err, err)
			}
			return
		}
		switch p.Kind {
		case "coordinates":
			if !inRange(p.Lon, vnMinLon, vnMaxLon) || !inRange(p.Lat, vnMinLat, vnMaxLat) {
				t.Fatalf("parseSearch(%q) accepted (%v, %v) outside Vietnam", q, p.Lon, p.Lat)
			}
		case "parcel", "sheet":
			if len(p.Commune) != 5 || p.Sheet < 1 || (p.Kind == "parcel" && p.Parcel < 1) {
				t.Fatalf("parseSearch(%q) = %+v", q, p)
			}
		case "name":
			if p.Folded == "" {
				t.Fatalf("parseSearch(%q): empty name", q)
			}
		case "code":
		default:
			t.Fatalf("parseSearch(%q): unknown kind %q", q, p.Kind)
		}
	})
}
