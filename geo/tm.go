package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// This file is a pure-Go replacement for the two PROJ pipelines the service
// needs without a database: WGS 84 <-> VN-2000 TM-3 (and UTM), and
// WGS 84 <-> Pseudo-Mercator. It agrees with PROJ 9 (cs2cs with the
// vn2000-crs.csv strings) to well under a millimetre; see tm_test.go.
//
// Pipeline, WGS 84 lon/lat -> VN-2000 zone:
//
//	geodetic (h=0) -> geocentric -> inverse Helmert -> geodetic VN-2000
//	-> transverse Mercator (Krüger series) -> easting/northing
//
// VN-2000 is realised on the WGS 84 ellipsoid, so the only datum difference
// is the 7-parameter shift; no ellipsoid change is involved.

// WGS 84 ellipsoid (also the VN-2000 ellipsoid).
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
)

// VN-2000 -> WGS 84 shift, exactly the +towgs84 of vn2000-crs.csv: position
// vector convention (EPSG method 1033/9606), i.e. the published
// coordinate-frame rotations of QĐ 05/2007/QĐ-BTNMT with their signs flipped.
// Using the unflipped signs moves points about 0.5 m.
// TestHelmert_MatchesProj4 checks these against every Proj4 string.
var vn2000ToWGS84 = newHelmert(
	-191.90441429, -39.30318279, -111.45032835, // translations, m
	0.00928836, -0.01975479, 0.00427372, // rotations, arc-seconds
	0.252906278, // scale, ppm
)

// ellipsoid holds the constants derived from a and f.
type ellipsoid struct {
	a     float64 // semi-major axis, m
	e2, e float64 // first eccentricity squared, and itself
	e2m   float64 // 1 - e2
	rectA float64 // rectifying radius A (Karney 2011, eq. 14)
	alpha [6]float64
	beta  [6]float64
}

var wgs84 = newEllipsoid(wgs84A, wgs84F)

// newEllipsoid precomputes the Krüger series to sixth order in the third
// flattening n (Karney 2011, "Transverse Mercator with an accuracy of a few
// nanometers", eqs. 14, 35 and 36). Sixth order gives about 5 nm within
// 3900 km of the central meridian, far beyond what cadastral work needs; it
// is the same series PROJ's default ("exact", Poder/Engsager) tmerc uses.
func newEllipsoid(a, f float64) ellipsoid {
	n := f / (2 - f)
	n2 := n * n
	n3 := n2 * n
	n4 := n3 * n
	n5 := n4 * n
	n6 := n5 * n
	e2 := f * (2 - f)
	return ellipsoid{
		a:  a,
		e2: e2, e: math.Sqrt(e2), e2m: 1 - e2,
		rectA: a / (1 + n) * (1 + n2/4 + n4/64 + n6/256),
		alpha: [6]float64{
			n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
			13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
			61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
			49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
			34729*n5/80640 - 3418889*n6/1995840,
			212378941 * n6 / 319334400,
		},
		beta: [6]float64{
			n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
			n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
			17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
			4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
			4583*n5/161280 - 108847*n6/3991680,
			20648693 * n6 / 638668800,
		},
	}
}

// taup returns tan of the conformal latitude for tau = tan(phi)
// (Karney 2011, eqs. 7-9), a form that stays accurate near the poles.
func (el *ellipsoid) taup(tau float64) float64 {
	tau1 := math.Hypot(1, tau)
	sig := math.Sinh(el.e * math.Atanh(el.e*tau/tau1))
	return math.Hypot(1, sig)*tau - sig*tau1
}

// tau inverts taup by Newton's method (Karney 2011, eqs. 19-21); it
// converges to machine precision in two or three steps.
func (el *ellipsoid) tau(taup float64) float64 {
	tau := taup / el.e2m
	stol := 1.5e-9 * math.Max(1, math.Abs(taup)) // sqrt(eps)/10
	for range 8 {
		taupa := el.taup(tau)
		dtau := (taup - taupa) * (1 + el.e2m*tau*tau) /
			(el.e2m * math.Hypot(1, tau) * math.Hypot(1, taupa))
		tau += dtau
		if !(math.Abs(dtau) >= stol) {
			break
		}
	}
	return tau
}

// tmParams are the parameters of one transverse Mercator projection.
type tmParams struct {
	lon0, k0, fe, fn float64
}

// maxTMDeltaLon bounds the longitude distance from the central meridian the
// forward projection accepts. The Krüger series is exact to nanometres
// within about 35° of the meridian; past 60° it is meaningless for our use
// and the singularity at 90° is near.
const maxTMDeltaLon = 60

// tmForward projects geodetic lon/lat (degrees, on el) to x/y in metres.
func (el *ellipsoid) tmForward(p tmParams, lon, lat float64) (x, y float64, err error) {
	dlon := math.Remainder(lon-p.lon0, 360)
	if math.Abs(dlon) > maxTMDeltaLon {
		return 0, 0, &geoError{ErrOutOfRange, fmt.Sprintf(
			"lon %g is %.1f° from the central meridian %g (limit %d°)", lon, math.Abs(dlon), p.lon0, maxTMDeltaLon)}
	}
	phi := lat * math.Pi / 180
	lam := dlon * math.Pi / 180
	tp := el.taup(math.Tan(phi))
	// Gauss-Schreiber conformal sphere coordinates (Karney eq. 10).
	xip := math.Atan2(tp, math.Cos(lam))
	etap := math.Asinh(math.Sin(lam) / math.Hypot(tp, math.Cos(lam)))
	xi, eta := xip, etap
	for j := range 6 {
		k := 2 * float64(j+1)
		xi += el.alpha[j] * math.Sin(k*xip) * math.Cosh(k*etap)
		eta += el.alpha[j] * math.Cos(k*xip) * math.Sinh(k*etap)
	}
	return p.fe + p.k0*el.rectA*eta, p.fn + p.k0*el.rectA*xi, nil
}

// maxTMOffset bounds |x-fe| and |y-fn|: 10,000 km is beyond the pole and
// beyond anything the forward projection produces within maxTMDeltaLon.
const maxTMOffset = 1e7

// tmInverse unprojects x/y in metres to geodetic lon/lat in degrees.
func (el *ellipsoid) tmInverse(p tmParams, x, y float64) (lon, lat float64, err error) {
	if math.Abs(x-p.fe) > maxTMOffset || math.Abs(y-p.fn) > maxTMOffset {
		return 0, 0, &geoError{ErrOutOfRange, fmt.Sprintf(
			"x/y (%g, %g) is more than %g m from the false origin", x, y, float64(maxTMOffset))}
	}
	xi := (y - p.fn) / (p.k0 * el.rectA)
	eta := (x - p.fe) / (p.k0 * el.rectA)
	xip, etap := xi, eta
	for j := range 6 {
		k := 2 * float64(j+1)
		xip -= el.beta[j] * math.Sin(k*xi) * math.Cosh(k*eta)
		etap -= el.beta[j] * math.Cos(k*xi) * math.Sinh(k*eta)
	}
	// Back from the conformal sphere (Karney eqs. 11-12, 18).
	sinhEtap := math.Sinh(etap)
	cosXip := math.Cos(xip)
	tp := math.Sin(xip) / math.Hypot(sinhEtap, cosXip)
	lam := math.Atan2(sinhEtap, cosXip)
	phi := math.Atan(el.tau(tp))
	lon = p.lon0 + lam*180/math.Pi
	lat = phi * 180 / math.Pi
	if !isFinite(lon) || !isFinite(lat) {
		return 0, 0, &geoError{ErrOutOfRange, fmt.Sprintf("x/y (%g, %g) cannot be unprojected", x, y)}
	}
	return math.Remainder(lon, 360), lat, nil
}

// geocentric converts geodetic lon/lat (degrees) and height (m) to
// earth-centred X, Y, Z in metres.
func (el *ellipsoid) geocentric(lon, lat, h float64) [3]float64 {
	phi := lat * math.Pi / 180
	lam := lon * math.Pi / 180
	sinPhi, cosPhi := math.Sincos(phi)
	n := el.a / math.Sqrt(1-el.e2*sinPhi*sinPhi)
	return [3]float64{
		(n + h) * cosPhi * math.Cos(lam),
		(n + h) * cosPhi * math.Sin(lam),
		(n*el.e2m + h) * sinPhi,
	}
}

// geodetic inverts geocentric. The fixed-point iteration on latitude
// converges by a factor of about e²·h/N per step, i.e. to machine precision
// in two or three steps for points near the surface; the height formula
// h = p cosφ + Z sinφ - a·sqrt(1-e² sin²φ) is stable at every latitude.
func (el *ellipsoid) geodetic(c [3]float64) (lon, lat, h float64) {
	p := math.Hypot(c[0], c[1])
	lam := math.Atan2(c[1], c[0])
	phi := math.Atan2(c[2], p*el.e2m)
	for range 10 {
		sinPhi, cosPhi := math.Sincos(phi)
		w := math.Sqrt(1 - el.e2*sinPhi*sinPhi)
		n := el.a / w
		h = p*cosPhi + c[2]*sinPhi - el.a*w
		next := math.Atan2(c[2], p*(1-el.e2*n/(n+h)))
		done := math.Abs(next-phi) < 1e-15
		phi = next
		if done {
			break
		}
	}
	sinPhi, cosPhi := math.Sincos(phi)
	h = p*cosPhi + c[2]*sinPhi - el.a*math.Sqrt(1-el.e2*sinPhi*sinPhi)
	return lam * 180 / math.Pi, phi * 180 / math.Pi, h
}

// helmert is a 7-parameter similarity transformation between geocentric
// frames, position vector convention (what PROJ's +towgs84 means):
//
//	X' = T + (1+ds)·R·X,  R = [[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]]
//
// R is the small-angle matrix, as in PROJ. The reverse direction uses the
// exact inverse of (1+ds)·R rather than negated parameters, so a forward
// and reverse round trip is exact to rounding (PROJ's transpose-based
// reverse differs from it by under 1e-7 m).
type helmert struct {
	t   [3]float64
	m   [3][3]float64 // (1+ds)·R
	inv [3][3]float64 // m⁻¹
	// params keeps the inputs as given, for tests and documentation.
	params [7]float64
}

func newHelmert(tx, ty, tz, rxSec, rySec, rzSec, dsPPM float64) helmert {
	const secToRad = math.Pi / (180 * 3600)
	rx, ry, rz := rxSec*secToRad, rySec*secToRad, rzSec*secToRad
	s := 1 + dsPPM*1e-6
	m := [3][3]float64{
		{s, -s * rz, s * ry},
		{s * rz, s, -s * rx},
		{-s * ry, s * rx, s},
	}
	return helmert{
		t:      [3]float64{tx, ty, tz},
		m:      m,
		inv:    invert3(m),
		params: [7]float64{tx, ty, tz, rxSec, rySec, rzSec, dsPPM},
	}
}

// invert3 inverts a 3x3 matrix by cofactors; m is close to the identity,
// so it is far from singular.
func invert3(m [3][3]float64) [3][3]float64 {
	c00 := m[1][1]*m[2][2] - m[1][2]*m[2][1]
	c01 := m[1][2]*m[2][0] - m[1][0]*m[2][2]
	c02 := m[1][0]*m[2][1] - m[1][1]*m[2][0]
	det := m[0][0]*c00 + m[0][1]*c01 + m[0][2]*c02
	return [3][3]float64{
		{c00 / det, (m[0][2]*m[2][1] - m[0][1]*m[2][2]) / det, (m[0][1]*m[1][2] - m[0][2]*m[1][1]) / det},
		{c01 / det, (m[0][0]*m[2][2] - m[0][2]*m[2][0]) / det, (m[0][2]*m[1][0] - m[0][0]*m[1][2]) / det},
		{c02 / det, (m[0][1]*m[2][0] - m[0][0]*m[2][1]) / det, (m[0][0]*m[1][1] - m[0][1]*m[1][0]) / det},
	}
}

func mulVec(m [3][3]float64, v [3]float64) [3]float64 {
	return [3]float64{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

// forward maps source-frame geocentric coordinates to the target frame.
func (hm *helmert) forward(x [3]float64) [3]float64 {
	y := mulVec(hm.m, x)
	return [3]float64{y[0] + hm.t[0], y[1] + hm.t[1], y[2] + hm.t[2]}
}

// reverse maps target-frame geocentric coordinates back to the source frame.
func (hm *helmert) reverse(y [3]float64) [3]float64 {
	return mulVec(hm.inv, [3]float64{y[0] - hm.t[0], y[1] - hm.t[1], y[2] - hm.t[2]})
}

// wgs84ToVN2000 shifts a point on the WGS 84 ellipsoid (h = 0) to VN-2000
// geodetic lon/lat, dropping the VN-2000 ellipsoidal height (a few metres
// in Vietnam), as PROJ does for 2D coordinates.
func wgs84ToVN2000(lon, lat float64) (vlon, vlat float64) {
	c := vn2000ToWGS84.reverse(wgs84.geocentric(lon, lat, 0))
	vlon, vlat, _ = wgs84.geodetic(c)
	return vlon, vlat
}

// vn2000ToWGS84Geodetic is the exact inverse of wgs84ToVN2000: it finds the
// point with WGS 84 height 0 whose VN-2000 lon/lat are the given ones, by
// adjusting the VN-2000 height until the WGS 84 height vanishes.
//
// PROJ (and so PostGIS) instead assumes VN-2000 height 0 in this direction.
// The two differ only because the ellipsoid normals of the shifted frames
// are about 3e-5 rad apart, i.e. by |h|·3e-5 ≈ 0.1 mm here; in exchange
// ToVN2000TM3 and FromVN2000TM3 are true inverses, so re-projecting data
// back and forth never drifts.
func vn2000ToWGS84Geodetic(vlon, vlat float64) (lon, lat float64) {
	hv := 0.0
	for range 5 {
		var h float64
		lon, lat, h = wgs84.geodetic(vn2000ToWGS84.forward(wgs84.geocentric(vlon, vlat, hv)))
		if math.Abs(h) < 1e-9 {
			break
		}
		// The normals are nearly parallel, so height maps to height almost
		// one to one; each step gains about nine digits.
		hv -= h
	}
	return lon, lat
}

// projKind says how FromWGS84 and ToWGS84 reach a CRS.
type projKind int

const (
	kindWGS84 projKind = iota // identity (4326; CRS84)
	kindVNGeo                 // VN-2000 geographic (4756)
	kindVNTM                  // VN-2000 transverse Mercator (TM-3, UTM)
	kindMerc                  // Pseudo-Mercator (3857), spherical on WGS 84 a
)

// projection returns how to reach srid and, for transverse Mercator, its
// parameters (taken from the registry so there is one source of truth).
func projection(srid int) (projKind, tmParams, error) {
	c, ok := registry[srid]
	if !ok {
		return 0, tmParams{}, &geoError{ErrUnknownCRS, fmt.Sprintf("EPSG:%d is not supported", srid)}
	}
	switch {
	case srid == SRIDWGS84:
		return kindWGS84, tmParams{}, nil
	case srid == SRIDVN2000:
		return kindVNGeo, tmParams{}, nil
	case srid == SRIDPseudoMercator:
		return kindMerc, tmParams{}, nil
	case isTM3(srid):
		return kindVNTM, tmParams{lon0: c.CentralMeridian, k0: 0.9999, fe: 500000}, nil
	case srid == 3405 || srid == 3406:
		return kindVNTM, tmParams{lon0: c.CentralMeridian, k0: 0.9996, fe: 500000}, nil
	}
	return 0, tmParams{}, &geoError{ErrUnknownCRS, fmt.Sprintf("EPSG:%d has no transformation", srid)}
}

func checkLonLat(lon, lat float64) error {
	switch {
	case !isFinite(lon) || !isFinite(lat):
		return &geoError{ErrOutOfRange, fmt.Sprintf("lon/lat (%g, %g) is not finite", lon, lat)}
	case lon < -180 || lon > 180:
		return &geoError{ErrOutOfRange, fmt.Sprintf("lon %g outside -180..180", lon)}
	case lat < -90 || lat > 90:
		return &geoError{ErrOutOfRange, fmt.Sprintf("lat %g outside -90..90", lat)}
	}
	return nil
}

func checkXY(x, y float64) error {
	if !isFinite(x) || !isFinite(y) {
		return &geoError{ErrOutOfRange, fmt.Sprintf("x/y (%g, %g) is not finite", x, y)}
	}
	return nil
}

// FromWGS84 converts WGS 84 longitude/latitude (degrees) to coordinates in
// the registered CRS srid: easting/northing in metres for projected CRSs,
// longitude/latitude (x = lon, whatever AxisOrderLatLon says) for 4326 and
// 4756. Errors wrap ErrUnknownCRS or ErrOutOfRange.
func FromWGS84(lon, lat float64, srid int) (x, y float64, err error) {
	kind, p, err := projection(srid)
	if err != nil {
		return 0, 0, err
	}
	if err := checkLonLat(lon, lat); err != nil {
		return 0, 0, err
	}
	switch kind {
	case kindVNGeo:
		x, y = wgs84ToVN2000(lon, lat)
		return x, y, nil
	case kindVNTM:
		// Checked here as well as in tmForward so the message names the
		// caller's longitude, not the datum-shifted one.
		if d := math.Abs(math.Remainder(lon-p.lon0, 360)); d > maxTMDeltaLon {
			return 0, 0, &geoError{ErrOutOfRange, fmt.Sprintf(
				"EPSG:%d: lon %g is %.1f° from the central meridian %g (limit %d°)", srid, lon, d, p.lon0, maxTMDeltaLon)}
		}
		vlon, vlat := wgs84ToVN2000(lon, lat)
		x, y, err = wgs84.tmForward(p, vlon, vlat)
		if err != nil {
			return 0, 0, prefix(err, fmt.Sprintf("EPSG:%d", srid))
		}
		return x, y, nil
	case kindMerc:
		if math.Abs(lat) == 90 {
			return 0, 0, &geoError{ErrOutOfRange, "lat ±90 has no Pseudo-Mercator y"}
		}
		return wgs84A * lon * math.Pi / 180, MercatorY(lat), nil
	}
	return lon, lat, nil
}

// ToWGS84 is the inverse of FromWGS84.
func ToWGS84(x, y float64, srid int) (lon, lat float64, err error) {
	kind, p, err := projection(srid)
	if err != nil {
		return 0, 0, err
	}
	if err := checkXY(x, y); err != nil {
		return 0, 0, err
	}
	switch kind {
	case kindWGS84:
		if err := checkLonLat(x, y); err != nil {
			return 0, 0, err
		}
		return x, y, nil
	case kindVNGeo:
		if err := checkLonLat(x, y); err != nil {
			return 0, 0, err
		}
		lon, lat = vn2000ToWGS84Geodetic(x, y)
		return lon, lat, nil
	case kindVNTM:
		vlon, vlat, err := wgs84.tmInverse(p, x, y)
		if err != nil {
			return 0, 0, prefix(err, fmt.Sprintf("EPSG:%d", srid))
		}
		lon, lat = vn2000ToWGS84Geodetic(vlon, vlat)
		return lon, lat, nil
	case kindMerc:
		if math.Abs(x) > MercatorHalf*(1+1e-12) {
			return 0, 0, &geoError{ErrOutOfRange, fmt.Sprintf("x %g outside ±%.3f", x, MercatorHalf)}
		}
		return x / wgs84A * 180 / math.Pi, MercatorLat(y), nil
	}
	return 0, 0, &geoError{ErrUnknownCRS, fmt.Sprintf("EPSG:%d has no transformation", srid)}
}

// errNotTM3 is returned by the TM-3-only entry points for other SRIDs.
func errNotTM3(srid int) error {
	return &geoError{ErrUnknownCRS, fmt.Sprintf("EPSG:%d is not a VN-2000 TM-3 zone", srid)}
}

// ToVN2000TM3 converts WGS 84 longitude/latitude (degrees) to easting and
// northing (metres) in the VN-2000 TM-3 zone srid (5896-5899, 9205-9218),
// including the datum shift. It agrees with PROJ to better than 0.1 mm.
func ToVN2000TM3(lon, lat float64, srid int) (easting, northing float64, err error) {
	if !isTM3(srid) {
		return 0, 0, errNotTM3(srid)
	}
	return FromWGS84(lon, lat, srid)
}

// FromVN2000TM3 converts easting/northing in the VN-2000 TM-3 zone srid to
// WGS 84 longitude/latitude. It is the exact inverse of ToVN2000TM3 (see
// vn2000ToWGS84Geodetic for how that differs from PROJ: by about 0.1 mm).
func FromVN2000TM3(easting, northing float64, srid int) (lon, lat float64, err error) {
	if !isTM3(srid) {
		return 0, 0, errNotTM3(srid)
	}
	return ToWGS84(easting, northing, srid)
}

// LooksLikeLonLat reports whether every coordinate of b lies within
// -180..180 and -90..90, i.e. b could be longitude/latitude. Projected
// VN-2000 coordinates (eastings of hundreds of thousands of metres) never
// do; a bound that does is treated as degrees.
func LooksLikeLonLat(b orb.Bound) bool {
	return lonLat(b.Min[0], b.Min[1]) && lonLat(b.Max[0], b.Max[1])
}

// lonLat reports whether x, y could be longitude and latitude.
func lonLat(x, y float64) bool {
	return isFinite(x) && isFinite(y) && math.Abs(x) <= 180 && math.Abs(y) <= 90
}

// GuessVN2000Zone guesses the VN-2000 TM-3 zone of projected coordinates
// that came without a CRS (a shapefile without .prj, a CSV of eastings),
// given the lon/lat bound the data is expected to fall in (e.g.
// ProvinceBound padded a little). It reports false when x/y look like
// lon/lat (|x| <= 180 and |y| <= 90), are not finite, or no zone puts the
// point inside near.
//
// A single point cannot identify its zone: TM-3 zones are one projection
// shifted in longitude, so the same easting/northing unprojected in
// neighbouring zones lands 15' to 30' of longitude apart (27-55 km here), and
// a province 110 km wide is hit by several zones. (Nor does the distance
// from the central meridian help: it is the same in every zone, since it
// depends only on the easting.) The point only says which zones are
// possible; the region decides:
//
//   - if ProvinceZone is possible it wins: data surveyed in Bình Phước is
//     in 9212;
//   - otherwise the zone that puts the point nearest the centre of near
//     wins (data tends to lie in the middle of the area it was asked about),
//     ties going to the lower SRID.
//
// For a whole dataset, pass the centre of its extent.
func GuessVN2000Zone(x, y float64, near orb.Bound) (srid int, ok bool) {
	if !isFinite(x) || !isFinite(y) || lonLat(x, y) {
		return 0, false
	}
	centre := near.Center()
	best, bestDist := 0, math.Inf(1)
	for _, z := range VN2000Zones() {
		lon, lat, err := ToWGS84(x, y, z.SRID)
		if err != nil || !near.Contains(orb.Point{lon, lat}) {
			continue
		}
		if z.SRID == ProvinceZone {
			return ProvinceZone, true
		}
		// VN2000Zones is ascending, so strict < keeps the lower SRID on a tie.
		if d := math.Hypot(lon-centre[0], lat-centre[1]); d < bestDist {
			best, bestDist = z.SRID, d
		}
	}
	return best, best != 0
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
