package geo

import (
	"encoding/csv"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRegistry_MatchesCSV keeps the Go table identical to
// shared/reference/vn2000-crs.csv (copied to testdata/).
func TestRegistry_MatchesCSV(t *testing.T) {
	f, err := os.Open("testdata/vn2000-crs.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows)-1, 21; got != want {
		t.Fatalf("csv rows = %d, want %d", got, want)
	}
	for _, row := range rows[1:] {
		srid, err := strconv.Atoi(row[0])
		if err != nil {
			t.Fatalf("bad srid %q", row[0])
		}
		t.Run(row[0], func(t *testing.T) {
			c, ok := LookupCRS(srid)
			if !ok {
				t.Fatalf("LookupCRS(%d) ok = false, want true", srid)
			}
			if c.SRID != srid {
				t.Errorf("SRID = %d, want %d", c.SRID, srid)
			}
			if c.Name != row[1] {
				t.Errorf("Name = %q, want %q", c.Name, row[1])
			}
			if row[2] != "" {
				cm, _ := strconv.ParseFloat(row[2], 64)
				if c.CentralMeridian != cm {
					t.Errorf("CentralMeridian = %g, want %g", c.CentralMeridian, cm)
				}
			}
			if c.Proj4 != row[3] {
				t.Errorf("Proj4 = %q, want %q", c.Proj4, row[3])
			}
			if want := !strings.Contains(row[3], "+proj=longlat"); c.Projected != want {
				t.Errorf("Projected = %v, want %v", c.Projected, want)
			}
			if want := "http://www.opengis.net/def/crs/EPSG/0/" + row[0]; c.URI != want {
				t.Errorf("URI = %q, want %q", c.URI, want)
			}
		})
	}
}

func TestLookupCRS(t *testing.T) {
	tests := []struct {
		srid      int
		ok        bool
		name      string
		projected bool
	}{
		{4326, true, "WGS 84", false},
		{3857, true, "WGS 84 / Pseudo-Mercator", true},
		{4756, true, "VN-2000", false},
		{3405, true, "VN-2000 / UTM zone 48N", true},
		{3406, true, "VN-2000 / UTM zone 49N", true},
		{5899, true, "VN-2000 / TM-3 107-45", true},
		{9212, true, "VN-2000 / TM-3 106-15", true},
		{9218, true, "VN-2000 / TM-3 108-30", true},
		{0, false, "", false},
		{-9212, false, "", false},
		{9204, false, "", false},
		{9219, false, "", false},
		{32648, false, "", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.srid), func(t *testing.T) {
			c, ok := LookupCRS(tt.srid)
			if ok != tt.ok {
				t.Fatalf("LookupCRS(%d) ok = %v, want %v", tt.srid, ok, tt.ok)
			}
			if c.Name != tt.name || c.Projected != tt.projected {
				t.Errorf("LookupCRS(%d) = %q projected=%v, want %q projected=%v",
					tt.srid, c.Name, c.Projected, tt.name, tt.projected)
			}
		})
	}
	c, _ := LookupCRS(4326)
	if c.URI != "http://www.opengis.net/def/crs/EPSG/0/4326" || c.Proj4 != "+proj=longlat +datum=WGS84 +no_defs" {
		t.Errorf("LookupCRS(4326) = %+v, want the EPSG:4326 URI and WGS84 proj string", c)
	}
}

// TestDeprecatedZonesUnknown: 6956-6959 swap false easting and northing and
// must never be offered, whatever form they are asked in.
func TestDeprecatedZonesUnknown(t *testing.T) {
	for srid := 6956; srid <= 6959; srid++ {
		t.Run(strconv.Itoa(srid), func(t *testing.T) {
			if _, ok := LookupCRS(srid); ok {
				t.Errorf("LookupCRS(%d) ok = true, want false", srid)
			}
			for _, s := range []string{
				"EPSG:" + strconv.Itoa(srid),
				"http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(srid),
			} {
				_, err := ParseCRS(s)
				wantErr(t, err, ErrUnknownCRS, "use EPSG:"+strconv.Itoa(srid-6956+5896))
			}
			for _, c := range SupportedCRS() {
				if c.SRID == srid {
					t.Errorf("SupportedCRS() contains %d", srid)
				}
			}
			if _, _, err := FromWGS84(106.9, 11.5, srid); err == nil {
				t.Errorf("FromWGS84(..., %d) err = nil, want ErrUnknownCRS", srid)
			}
		})
	}
}

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in    string
		srid  int
		crs84 bool
	}{
		{"http://www.opengis.net/def/crs/EPSG/0/9212", 9212, false},
		{"https://www.opengis.net/def/crs/EPSG/0/9212", 9212, false},
		{"http://www.opengis.net/def/crs/EPSG/0/4326", 4326, false},
		{"http://www.opengis.net/def/crs/EPSG/0/3857", 3857, false},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, true},
		{"EPSG:9212", 9212, false},
		{"epsg:5899", 5899, false},
		{"  EPSG:4756 ", 4756, false},
		{"urn:ogc:def:crs:EPSG::9212", 9212, false},
		{"urn:ogc:def:crs:EPSG:9.8.15:4326", 4326, false},
		{"URN:OGC:DEF:CRS:EPSG::3405", 3405, false},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", 4326, true},
		{"urn:ogc:def:crs:OGC::CRS84", 4326, true},
		{"CRS84", 4326, true},
		{"crs84", 4326, true},
		{"OGC:CRS84", 4326, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCRS(tt.in)
			if err != nil {
				t.Fatalf("ParseCRS(%q) err = %v, want nil", tt.in, err)
			}
			if c.SRID != tt.srid {
				t.Errorf("SRID = %d, want %d", c.SRID, tt.srid)
			}
			if got := c.URI == CRS84URI; got != tt.crs84 {
				t.Errorf("URI = %q, want CRS84 %v", c.URI, tt.crs84)
			}
			if !tt.crs84 {
				want, _ := LookupCRS(tt.srid)
				if c != want {
					t.Errorf("ParseCRS(%q) = %+v, want %+v", tt.in, c, want)
				}
			}
		})
	}
}

func TestParseCRS_Errors(t *testing.T) {
	tests := []struct {
		in, contains string
	}{
		{"", `crs "": unknown CRS identifier`},
		{"9212", `crs "9212": unknown CRS identifier`},
		{"EPSG:", `crs "EPSG:": unknown CRS identifier`},
		{"EPSG:-9212", `crs "EPSG:-9212"`},
		{"EPSG:+9212", `crs "EPSG:+9212"`},
		{"EPSG:92 12", `crs "EPSG:92 12"`},
		{"EPSG:99999999999999999999", `unknown CRS identifier`},
		{"EPSG:2000", `crs "EPSG:2000": EPSG:2000 is not supported`},
		{"EPSG:32648", `EPSG:32648 is not supported`},
		{"http://www.opengis.net/def/crs/EPSG/0/", `unknown CRS identifier`},
		{"http://www.opengis.net/def/crs/EPSG/0/9212/extra", `unknown CRS identifier`},
		{"http://www.opengis.net/def/crs/EPSG/x/9212", `unknown CRS identifier`},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS83", `unknown CRS identifier`},
		{"urn:ogc:def:crs:EPSG:9212", `unknown CRS identifier`},
		{"urn:ogc:def:crs:EPSG:v1:9212", `unknown CRS identifier`},
		{"VN-2000", `crs "VN-2000"`},
		{"EPSG:6956", `EPSG:6956 is deprecated`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCRS(tt.in)
			wantErr(t, err, ErrUnknownCRS, tt.contains)
			if c != (CRS{}) {
				t.Errorf("ParseCRS(%q) = %+v, want zero CRS on error", tt.in, c)
			}
		})
	}
}

func TestSupportedCRS_Order(t *testing.T) {
	got := SupportedCRS()
	if len(got) < 3 || got[0] != CRS84 || got[1].SRID != 4326 || got[2].SRID != 3857 {
		t.Fatalf("SupportedCRS()[:3] = %v, want CRS84, EPSG:4326, EPSG:3857", got[:min(3, len(got))])
	}
	var ids []int
	for _, c := range got[1:] {
		ids = append(ids, c.SRID)
	}
	want := []int{4326, 3857, 3405, 3406, 4756, 5896, 5897, 5898, 5899,
		9205, 9206, 9207, 9208, 9209, 9210, 9211, 9212, 9213, 9214, 9215, 9216, 9217, 9218}
	if !slices.Equal(ids, want) {
		t.Errorf("SupportedCRS() SRIDs = %v, want %v", ids, want)
	}
	for _, c := range got {
		if c.URI == "" || c.Proj4 == "" || c.Name == "" {
			t.Errorf("SupportedCRS() has incomplete entry %+v", c)
		}
		if back, err := ParseCRS(c.URI); err != nil || back != c {
			t.Errorf("ParseCRS(%q) = %+v, %v; want %+v", c.URI, back, err, c)
		}
	}
	// Callers get a copy: changing it must not change the registry.
	got[1].Name = "changed"
	if again := SupportedCRS(); again[1].Name != "WGS 84" {
		t.Errorf("SupportedCRS()[1].Name = %q after mutating a previous result, want %q", again[1].Name, "WGS 84")
	}
}

func TestVN2000Zones(t *testing.T) {
	lon0 := regexp.MustCompile(`\+lon_0=([0-9.]+) `)
	var ids []int
	for _, z := range VN2000Zones() {
		ids = append(ids, z.SRID)
		if !z.Projected {
			t.Errorf("%d Projected = false, want true", z.SRID)
		}
		m := lon0.FindStringSubmatch(z.Proj4)
		if m == nil {
			t.Errorf("%d Proj4 %q has no +lon_0", z.SRID, z.Proj4)
			continue
		}
		if cm, _ := strconv.ParseFloat(m[1], 64); cm != z.CentralMeridian {
			t.Errorf("%d CentralMeridian = %g, want +lon_0 %g", z.SRID, z.CentralMeridian, cm)
		}
		if !strings.Contains(z.Proj4, "+proj=tmerc +lat_0=0 ") || !strings.Contains(z.Proj4, " +k=0.9999 +x_0=500000 +y_0=0 ") {
			t.Errorf("%d Proj4 %q is not a TM-3 definition", z.SRID, z.Proj4)
		}
	}
	want := []int{5896, 5897, 5898, 5899, 9205, 9206, 9207, 9208, 9209, 9210, 9211, 9212, 9213, 9214, 9215, 9216, 9217, 9218}
	if !slices.Equal(ids, want) {
		t.Errorf("VN2000Zones() = %v, want %v", ids, want)
	}
}

func TestProvinceZone(t *testing.T) {
	if ProvinceZone != 9212 {
		t.Fatalf("ProvinceZone = %d, want 9212", ProvinceZone)
	}
	c, ok := LookupCRS(ProvinceZone)
	if !ok || c.Name != "VN-2000 / TM-3 106-15" || c.CentralMeridian != 106.25 {
		t.Errorf("LookupCRS(ProvinceZone) = %+v, %v; want VN-2000 / TM-3 106-15 at 106.25", c, ok)
	}
}

func TestAxisOrderLatLon(t *testing.T) {
	lookup := func(srid int) CRS {
		c, ok := LookupCRS(srid)
		if !ok {
			t.Fatalf("LookupCRS(%d) not found", srid)
		}
		return c
	}
	tests := []struct {
		name string
		crs  CRS
		want bool
	}{
		{"CRS84", CRS84, false},
		{"EPSG:4326", lookup(4326), true},
		{"EPSG:4756", lookup(4756), true},
		{"EPSG:3857", lookup(3857), false},
		{"EPSG:9212", lookup(9212), false},
		{"EPSG:5899", lookup(5899), false},
		{"EPSG:3405", lookup(3405), false},
		{"zero", CRS{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AxisOrderLatLon(tt.crs); got != tt.want {
				t.Errorf("AxisOrderLatLon(%s) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestCRS_String(t *testing.T) {
	c, _ := LookupCRS(9212)
	for _, tt := range []struct {
		crs  CRS
		want string
	}{{c, "EPSG:9212"}, {CRS84, "OGC:CRS84"}} {
		if got := tt.crs.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func FuzzParseCRS(f *testing.F) {
	for _, s := range []string{"EPSG:9212", "CRS84", "urn:ogc:def:crs:EPSG::4326",
		"http://www.opengis.net/def/crs/EPSG/0/3857", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:6956", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCRS(s)
		if err != nil {
			wantErr(t, err, ErrUnknownCRS, "")
			return
		}
		if c.URI == CRS84URI {
			return
		}
		if want, ok := LookupCRS(c.SRID); !ok || want != c {
			t.Errorf("ParseCRS(%q) = %+v, not the registry entry", s, c)
		}
	})
}
