package geo

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestToVN2000TM3_CheckValue is the check value from DOMAIN.md.
func TestToVN2000TM3_CheckValue(t *testing.T) {
	e, n, err := ToVN2000TM3(106.89, 11.535, 9212)
	if err != nil {
		t.Fatalf("ToVN2000TM3 err = %v", err)
	}
	near(t, "easting", e, 569613.688, 0.01)
	near(t, "northing", n, 1275708.641, 0.01)

	lon, lat, err := FromVN2000TM3(e, n, 9212)
	if err != nil {
		t.Fatalf("FromVN2000TM3 err = %v", err)
	}
	e2, n2, err := ToVN2000TM3(lon, lat, 9212)
	if err != nil {
		t.Fatalf("ToVN2000TM3 (round trip) err = %v", err)
	}
	near(t, "round-trip easting", e2, e, 1e-6)
	near(t, "round-trip northing", n2, n, 1e-6)
	near(t, "round-trip lon", lon, 106.89, 1e-9)
	near(t, "round-trip lat", lat, 11.535, 1e-9)
}

// projVectors were computed with PROJ 9.1.1:
//
//	echo LON LAT | cs2cs -f %.6f +proj=longlat +datum=WGS84 +no_defs +to PROJ4
//
// with the Proj4 string of the SRID from vn2000-crs.csv (PostGIS's for 3857).
var projVectors = []struct {
	srid     int
	lon, lat float64
	x, y     float64
}{
	{9212, 106.89, 11.535, 569613.687509, 1275708.641277}, // Đồng Xoài, DOMAIN.md check value
	{9212, 106.41, 11.30, 517270.870659, 1249642.883774},  // province bbox SW
	{9212, 107.43, 12.30, 628161.093661, 1360529.303447},  // province bbox NE
	{9212, 106.60, 11.65, 537965.276744, 1288374.117072},  // Bình Long
	{9212, 106.99, 11.83, 580436.538070, 1308366.977525},  // Phước Long
	{9212, 107.2, 12.1, 603217.625963, 1338304.879682},    // Bù Gia Mập
	{9212, 106.25, 11.0, 499804.527593, 1216456.708469},   // on the central meridian
	{9212, 106.9, 11.9, 570611.462080, 1316085.747711},
	{5899, 106.82, 10.95, 398156.496773, 1211084.244130}, // Biên Hòa
	{5899, 107.24, 10.93, 444060.139743, 1208762.504230}, // Long Khánh
	{5899, 107.75, 11.2, 499805.009617, 1238578.573879},
	{5899, 107.45, 11.6, 467089.974237, 1282838.429265},
	{5899, 106.89, 11.535, 405997.409918, 1275772.490016}, // Đồng Xoài in the Đồng Nai zone
	{9211, 106.7, 10.78, 576355.976383, 1192211.421101},
	{5897, 105.85, 21.03, 588154.476627, 2326509.053938},
	{3405, 106.89, 11.535, 705928.139847, 1275927.149321}, // UTM 48N
	{3405, 105.85, 21.03, 588128.027639, 2325811.031420},
	{3406, 108.2, 16.05, 200203.018616, 1776607.253999}, // UTM 49N, 2.8° west of its meridian
	{3857, 106.89, 11.535, 11898940.370893, 1292833.429420},
	{3857, -179.5, -80, -19981848.597393, -15538711.096309},
	{4756, 106.89, 11.535, 106.888209589928, 11.536019106531}, // cs2cs -f %.12f
	{4326, 106.89, 11.535, 106.89, 11.535},
}

func TestFromWGS84_MatchesPROJ(t *testing.T) {
	for _, v := range projVectors {
		t.Run(fmt.Sprintf("%d/%g,%g", v.srid, v.lon, v.lat), func(t *testing.T) {
			x, y, err := FromWGS84(v.lon, v.lat, v.srid)
			if err != nil {
				t.Fatalf("FromWGS84 err = %v", err)
			}
			// PROJ prints to the micrometre; we agree to about that.
			tol := 2e-6
			if v.srid == 4756 || v.srid == 4326 {
				tol = 2e-12
			}
			near(t, "x", x, v.x, tol)
			near(t, "y", y, v.y, tol)
		})
	}
}

// TestToWGS84_MatchesPROJ checks the inverse direction against PROJ:
//
//	echo E N | cs2cs -f %.10f PROJ4 +to +proj=longlat +datum=WGS84 +no_defs
//
// PROJ assumes VN-2000 height 0 here while we keep WGS 84 height 0 so
// that the two directions are exact inverses; that moves points by about
// 0.1 mm (1e-9°), which is what the tolerance allows.
func TestToWGS84_MatchesPROJ(t *testing.T) {
	tests := []struct {
		srid     int
		x, y     float64
		lon, lat float64
	}{
		{9212, 569613.688, 1275708.641, 106.8900000053, 11.5349999970},
		{9212, 500000, 1300000, 106.2517935847, 11.7553209662},
		{9212, 450000, 1250000, 105.7937662963, 11.3029205844},
		{9212, 600000, 1350000, 107.1708076684, 12.2058165397},
		{5899, 400000, 1200000, 106.8371705651, 10.8498471698},
		{5899, 500000, 1250000, 107.7517862353, 11.3032627443},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%g,%g", tt.srid, tt.x, tt.y), func(t *testing.T) {
			lon, lat, err := FromVN2000TM3(tt.x, tt.y, tt.srid)
			if err != nil {
				t.Fatalf("FromVN2000TM3 err = %v", err)
			}
			near(t, "lon", lon, tt.lon, 2e-9)
			near(t, "lat", lat, tt.lat, 2e-9)
		})
	}
	// The projected vectors, backwards: the inverse is exact, so the
	// tolerance is PROJ's printing precision.
	for _, v := range projVectors {
		t.Run(fmt.Sprintf("inverse %d/%g,%g", v.srid, v.lon, v.lat), func(t *testing.T) {
			lon, lat, err := ToWGS84(v.x, v.y, v.srid)
			if err != nil {
				t.Fatalf("ToWGS84 err = %v", err)
			}
			near(t, "lon", lon, v.lon, 1e-10)
			near(t, "lat", lat, v.lat, 1e-10)
		})
	}
}

// TestTM_Series checks the transverse Mercator alone (no datum shift)
// against PROJ's exact tmerc, including points far from the meridian where
// a low-order series would show:
//
//	cs2cs +proj=longlat +ellps=WGS84 +to +proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84
func TestTM_Series(t *testing.T) {
	p := tmParams{lon0: 106.25, k0: 0.9999, fe: 500000}
	tests := []struct {
		lon, lat, x, y float64
	}{
		{106.89, 11.535, 569809.238555, 1275596.349480},
		{116.25, 50, 1216240.210584, 5588397.531515},
		{136.25, 70, 1604710.564512, 8047836.216590}, // 30° from the meridian
		{106.25, -45, 500000.000000, -4984445.883540},
		{100, 0.5, -197043.817478, 55614.394016},
		{106.25, 89.9, 500000.000000, 9989797.251838},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%g,%g", tt.lon, tt.lat), func(t *testing.T) {
			x, y, err := wgs84.tmForward(p, tt.lon, tt.lat)
			if err != nil {
				t.Fatalf("tmForward err = %v", err)
			}
			near(t, "x", x, tt.x, 2e-6)
			near(t, "y", y, tt.y, 2e-6)
			lon, lat, err := wgs84.tmInverse(p, x, y)
			if err != nil {
				t.Fatalf("tmInverse err = %v", err)
			}
			near(t, "lon", lon, tt.lon, 1e-11)
			near(t, "lat", lat, tt.lat, 1e-11)
		})
	}
}

// TestRoundTrip_AllZones walks a grid over the province (and around it)
// through every TM-3 zone and both UTM zones.
func TestRoundTrip_AllZones(t *testing.T) {
	srids := []int{3405, 3406}
	for _, z := range VN2000Zones() {
		srids = append(srids, z.SRID)
	}
	for _, srid := range srids {
		t.Run(strconv.Itoa(srid), func(t *testing.T) {
			var worstM, worstDeg float64
			for lon := 105.0; lon <= 109.0; lon += 0.37 {
				for lat := 8.5; lat <= 23.5; lat += 0.53 {
					x, y, err := FromWGS84(lon, lat, srid)
					if err != nil {
						t.Fatalf("FromWGS84(%g, %g) err = %v", lon, lat, err)
					}
					lon2, lat2, err := ToWGS84(x, y, srid)
					if err != nil {
						t.Fatalf("ToWGS84(%g, %g) err = %v", x, y, err)
					}
					x2, y2, err := FromWGS84(lon2, lat2, srid)
					if err != nil {
						t.Fatalf("FromWGS84(%g, %g) err = %v", lon2, lat2, err)
					}
					worstDeg = max(worstDeg, math.Abs(lon2-lon), math.Abs(lat2-lat))
					worstM = max(worstM, math.Abs(x2-x), math.Abs(y2-y))
				}
			}
			if worstDeg > 1e-9 {
				t.Errorf("worst lon/lat round-trip error = %g°, want < 1e-9", worstDeg)
			}
			if worstM > 1e-6 {
				t.Errorf("worst x/y round-trip error = %g m, want < 1e-6", worstM)
			}
		})
	}
}

// TestHelmert_RoundTrip: the datum shift alone, both ways, to 1e-9°.
func TestHelmert_RoundTrip(t *testing.T) {
	for lon := 102.0; lon <= 110.0; lon += 0.5 {
		for lat := 8.0; lat <= 24.0; lat += 1.0 {
			vlon, vlat := wgs84ToVN2000(lon, lat)
			// The shift is a couple of hundred metres, not nothing.
			if d := math.Hypot(vlon-lon, vlat-lat); d < 1e-4 || d > 1e-2 {
				t.Errorf("shift at %g,%g = %g°, want 1e-4..1e-2", lon, lat, d)
			}
			lon2, lat2 := vn2000ToWGS84Geodetic(vlon, vlat)
			if math.Abs(lon2-lon) > 1e-9 || math.Abs(lat2-lat) > 1e-9 {
				t.Errorf("round trip %g,%g -> %.12f,%.12f, want within 1e-9°", lon, lat, lon2, lat2)
			}
			c := wgs84.geocentric(lon, lat, 12.5)
			back := vn2000ToWGS84.forward(vn2000ToWGS84.reverse(c))
			for i := range c {
				near(t, "geocentric", back[i], c[i], 1e-8)
			}
		}
	}
}

func TestGeocentric_RoundTrip(t *testing.T) {
	for _, p := range [][3]float64{
		{106.89, 11.535, 0}, {106.89, 11.535, 2000}, {-70, -89.99, -50}, {0, 0, 0}, {179.9, 60, 8848},
	} {
		lon, lat, h := wgs84.geodetic(wgs84.geocentric(p[0], p[1], p[2]))
		near(t, "lon", lon, p[0], 1e-11)
		near(t, "lat", lat, p[1], 1e-11)
		near(t, "h", h, p[2], 1e-6)
	}
}

// TestHelmert_MatchesProj4 keeps the shift in step with every Proj4 string.
func TestHelmert_MatchesProj4(t *testing.T) {
	re := regexp.MustCompile(`\+towgs84=([^ ]+)`)
	n := 0
	for _, c := range SupportedCRS() {
		m := re.FindStringSubmatch(c.Proj4)
		if m == nil {
			continue
		}
		n++
		parts := strings.Split(m[1], ",")
		if len(parts) != 7 {
			t.Fatalf("%s +towgs84 has %d values, want 7", c, len(parts))
		}
		for i, s := range parts {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != vn2000ToWGS84.params[i] {
				t.Errorf("%s +towgs84[%d] = %s, want %g", c, i, s, vn2000ToWGS84.params[i])
			}
		}
	}
	if n != 21 {
		t.Errorf("%d CRSs with +towgs84, want 21", n)
	}
}

// TestTMParams_MatchProj4 keeps the projection parameters in step with the
// Proj4 strings (lon_0, k, x_0, y_0; UTM zone -> meridian).
func TestTMParams_MatchProj4(t *testing.T) {
	num := func(proj, key string) float64 {
		m := regexp.MustCompile(`\+` + key + `=([-0-9.]+)`).FindStringSubmatch(proj)
		if m == nil {
			t.Fatalf("%q has no +%s", proj, key)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	for _, c := range SupportedCRS() {
		if !c.Projected || c.SRID == 3857 {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			kind, p, err := projection(c.SRID)
			if err != nil || kind != kindVNTM {
				t.Fatalf("projection(%d) = %v, %v; want transverse Mercator", c.SRID, kind, err)
			}
			want := tmParams{k0: 0.9996, fe: 500000}
			if strings.Contains(c.Proj4, "+proj=utm") {
				want.lon0 = -183 + 6*num(c.Proj4, "zone")
			} else {
				want = tmParams{lon0: num(c.Proj4, "lon_0"), k0: num(c.Proj4, "k"), fe: num(c.Proj4, "x_0"), fn: num(c.Proj4, "y_0")}
			}
			if p != want {
				t.Errorf("projection(%d) = %+v, want %+v", c.SRID, p, want)
			}
		})
	}
}

// TestRotationSigns guards against "fixing" the rotations to the published
// coordinate-frame signs: that moves points by about half a metre.
func TestRotationSigns(t *testing.T) {
	pv := vn2000ToWGS84.params
	cf := newHelmert(pv[0], pv[1], pv[2], -pv[3], -pv[4], -pv[5], pv[6])
	c := wgs84.geocentric(106.89, 11.535, 0)
	a, b := vn2000ToWGS84.reverse(c), cf.reverse(c)
	d := math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
	if d < 0.3 || d > 1.0 {
		t.Errorf("coordinate-frame vs position-vector difference = %.3f m, want about 0.5", d)
	}
}

func TestToVN2000TM3_Errors(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		srid     int
		sentinel error
		contains string
	}{
		{"wgs84 not a zone", 106.9, 11.5, 4326, ErrUnknownCRS, "EPSG:4326 is not a VN-2000 TM-3 zone"},
		{"utm not a zone", 106.9, 11.5, 3405, ErrUnknownCRS, "EPSG:3405 is not a VN-2000 TM-3 zone"},
		{"deprecated", 106.9, 11.5, 6959, ErrUnknownCRS, "EPSG:6959"},
		{"nan", math.NaN(), 11.5, 9212, ErrOutOfRange, "not finite"},
		{"inf", 106.9, math.Inf(1), 9212, ErrOutOfRange, "not finite"},
		{"lon range", 200, 11.5, 9212, ErrOutOfRange, "lon 200 outside -180..180"},
		{"lat range", 106.9, -91, 9212, ErrOutOfRange, "lat -91 outside -90..90"},
		{"far from meridian", -70, 11.5, 9212, ErrOutOfRange, "EPSG:9212: lon -70 is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ToVN2000TM3(tt.lon, tt.lat, tt.srid)
			wantErr(t, err, tt.sentinel, tt.contains)
		})
	}
}

func TestFromVN2000TM3_Errors(t *testing.T) {
	tests := []struct {
		name     string
		x, y     float64
		srid     int
		sentinel error
		contains string
	}{
		{"not a zone", 569613, 1275708, 3857, ErrUnknownCRS, "EPSG:3857 is not a VN-2000 TM-3 zone"},
		{"unknown", 569613, 1275708, 1, ErrUnknownCRS, "EPSG:1 is not a VN-2000 TM-3 zone"},
		{"nan", math.NaN(), 1275708, 9212, ErrOutOfRange, "not finite"},
		{"huge", 1e12, 1275708, 9212, ErrOutOfRange, "EPSG:9212: x/y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := FromVN2000TM3(tt.x, tt.y, tt.srid)
			wantErr(t, err, tt.sentinel, tt.contains)
		})
	}
}

func TestToWGS84_Errors(t *testing.T) {
	tests := []struct {
		name     string
		x, y     float64
		srid     int
		sentinel error
	}{
		{"unknown", 1, 1, 2000, ErrUnknownCRS},
		{"4326 range", 200, 10, 4326, ErrOutOfRange},
		{"4756 range", 100, 95, 4756, ErrOutOfRange},
		{"3857 range", 2.1e7, 0, 3857, ErrOutOfRange},
		{"inf", math.Inf(-1), 0, 3857, ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ToWGS84(tt.x, tt.y, tt.srid)
			wantErr(t, err, tt.sentinel, "")
		})
	}
	if _, _, err := FromWGS84(0, 90, 3857); err == nil {
		t.Errorf("FromWGS84(0, 90, 3857) err = nil, want ErrOutOfRange")
	}
}

func TestLooksLikeLonLat(t *testing.T) {
	tests := []struct {
		name string
		b    orb.Bound
		want bool
	}{
		{"province", ProvinceBound, true},
		{"world", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, true},
		{"point", orb.Bound{Min: orb.Point{106.9, 11.5}, Max: orb.Point{106.9, 11.5}}, true},
		{"tm3", orb.Bound{Min: orb.Point{517270, 1249642}, Max: orb.Point{628161, 1360529}}, false},
		{"x too big", orb.Bound{Min: orb.Point{100, 10}, Max: orb.Point{181, 11}}, false},
		{"y too big", orb.Bound{Min: orb.Point{100, 10}, Max: orb.Point{101, 91}}, false},
		{"negative", orb.Bound{Min: orb.Point{-181, 10}, Max: orb.Point{101, 11}}, false},
		{"nan", orb.Bound{Min: orb.Point{math.NaN(), 10}, Max: orb.Point{101, 11}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeLonLat(tt.b); got != tt.want {
				t.Errorf("LooksLikeLonLat(%v) = %v, want %v", tt.b, got, tt.want)
			}
		})
	}
}

func TestGuessVN2000Zone(t *testing.T) {
	padded := ProvinceBound.Pad(0.1)
	tests := []struct {
		name   string
		x, y   float64
		near   orb.Bound
		want   int
		wantOK bool
	}{
		// Đồng Xoài in 9212: several zones put it in the province, 9212 wins.
		{"province zone", 569613.688, 1275708.641, padded, 9212, true},
		// Under 9213 the same numbers land near 107.14E; only 9213 does.
		{"only 9213", 569613.688, 1275708.641,
			orb.Bound{Min: orb.Point{107.09, 11.48}, Max: orb.Point{107.19, 11.58}}, 9213, true},
		// On the meridian of every zone: 9214, 9215, 9216 and 5899 qualify;
		// 9215 puts it nearest the centre (107.25E).
		{"nearest centre", 500000, 1250000,
			orb.Bound{Min: orb.Point{106.6, 11}, Max: orb.Point{107.9, 12}}, 9215, true},
		{"no zone", 500000, 2300000, padded, 0, false},
		{"looks like lon/lat", 106.9, 11.5, padded, 0, false},
		{"negative lon/lat", -106.9, -11.5, padded, 0, false},
		{"nan", math.NaN(), 1275708, padded, 0, false},
		{"empty near", 569613.688, 1275708.641, orb.Bound{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := GuessVN2000Zone(tt.x, tt.y, tt.near)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("GuessVN2000Zone(%g, %g, %v) = %d, %v; want %d, %v", tt.x, tt.y, tt.near, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	// Every point of the province projected in 9212 is guessed as 9212.
	for lon := 106.45; lon < 107.43; lon += 0.1 {
		for lat := 11.32; lat < 12.3; lat += 0.1 {
			x, y, err := ToVN2000TM3(lon, lat, ProvinceZone)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := GuessVN2000Zone(x, y, padded); got != ProvinceZone || !ok {
				t.Errorf("GuessVN2000Zone of %g,%g in 9212 = %d, %v; want 9212, true", lon, lat, got, ok)
			}
		}
	}
}
