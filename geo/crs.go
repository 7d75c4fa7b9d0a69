package geo

import (
	"fmt"
	"strconv"
	"strings"
)

// CRS describes one coordinate reference system the service understands.
type CRS struct {
	// SRID is the EPSG code, which is also the PostGIS spatial_ref_sys id.
	// CRS84 has SRID 4326: it is the same datum, only the axis order differs.
	SRID int
	// Name is the EPSG name ("VN-2000 / TM-3 106-15").
	Name string
	// Projected is true for easting/northing CRSs in metres.
	Projected bool
	// CentralMeridian of a transverse Mercator projection in degrees, 0 where
	// it does not apply (geographic CRSs and Pseudo-Mercator).
	CentralMeridian float64
	// Proj4 is the PROJ string, as in the EPSG dataset. For the VN-2000 CRSs
	// it is what store inserts into spatial_ref_sys for the zones PostGIS
	// does not ship (9205-9218).
	Proj4 string
	// URI is the OGC identifier used by OGC API - Features Part 2
	// (http://www.opengis.net/def/crs/EPSG/0/9212).
	URI string
	// AxisNorthEast is true when the EPSG definition lists the north axis
	// first: latitude, longitude for 4326 and 4756 (`projinfo EPSG:4326`
	// shows "geodetic latitude (Lat)", north, as ORDER[1]). The VN-2000
	// zones, UTM and Pseudo-Mercator are easting, northing. CRS84 is false
	// by definition. TestRegistry_AxisOrderMatchesPROJ checks every row
	// against PROJ's EPSG database.
	AxisNorthEast bool
}

// String returns the short form, "EPSG:9212" or "OGC:CRS84".
func (c CRS) String() string {
	if c.URI == CRS84URI {
		return "OGC:CRS84"
	}
	return "EPSG:" + strconv.Itoa(c.SRID)
}

// Well-known SRIDs.
const (
	SRIDWGS84          = 4326 // WGS 84 geographic; storage CRS of every layer
	SRIDPseudoMercator = 3857 // WGS 84 / Pseudo-Mercator; web tiles
	SRIDVN2000         = 4756 // VN-2000 geographic

	// ProvinceZone is the TM-3 zone of Bình Phước, EPSG:9212
	// "VN-2000 / TM-3 106-15" (central meridian 106°15′). Official parcel
	// areas in the province are planar areas in this zone.
	ProvinceZone = 9212
)

// OGC identifiers.
const (
	// CRS84URI identifies WGS 84 with longitude/latitude axis order, the
	// default CRS of OGC API - Features and of GeoJSON.
	CRS84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	// EPSGURIPrefix is followed by the EPSG code in OGC CRS URIs.
	EPSGURIPrefix = "http://www.opengis.net/def/crs/EPSG/0/"
)

const wgs84Proj4 = "+proj=longlat +datum=WGS84 +no_defs"

// CRS84 is WGS 84 in longitude/latitude order. It shares SRID 4326 with
// EPSG:4326; AxisOrderLatLon tells them apart by URI.
var CRS84 = CRS{
	SRID:  SRIDWGS84,
	Name:  "WGS 84 (CRS84)",
	Proj4: wgs84Proj4,
	URI:   CRS84URI,
}

// epsgTable is the registry, ascending by SRID. The VN-2000 rows are copied
// verbatim from shared/reference/vn2000-crs.csv (a copy lives in
// testdata/, and TestRegistry_MatchesCSV keeps the two in step).
//
// EPSG:6956-6959 are deliberately absent: PostGIS still ships them, but they
// are deprecated and have false easting and false northing swapped
// (+x_0=0 +y_0=500000), which puts every point 500 km off. They are replaced
// by 5896-5899.
var epsgTable = []CRS{
	{SRID: 3405, Name: "VN-2000 / UTM zone 48N", Projected: true, CentralMeridian: 105,
		Proj4: "+proj=utm +zone=48 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 3406, Name: "VN-2000 / UTM zone 49N", Projected: true, CentralMeridian: 111,
		Proj4: "+proj=utm +zone=49 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 3857, Name: "WGS 84 / Pseudo-Mercator", Projected: true,
		Proj4: "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"},
	{SRID: 4326, Name: "WGS 84", Proj4: wgs84Proj4, AxisNorthEast: true},
	{SRID: 4756, Name: "VN-2000", Projected: false, CentralMeridian: 0, AxisNorthEast: true,
		Proj4: "+proj=longlat +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +no_defs"},
	{SRID: 5896, Name: "VN-2000 / TM-3 zone 481", Projected: true, CentralMeridian: 102,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=102 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 5897, Name: "VN-2000 / TM-3 zone 482", Projected: true, CentralMeridian: 105,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 5898, Name: "VN-2000 / TM-3 zone 491", Projected: true, CentralMeridian: 108,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=108 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 5899, Name: "VN-2000 / TM-3 107-45", Projected: true, CentralMeridian: 107.75,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=107.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9205, Name: "VN-2000 / TM-3 103-00", Projected: true, CentralMeridian: 103,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=103 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9206, Name: "VN-2000 / TM-3 104-00", Projected: true, CentralMeridian: 104,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=104 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9207, Name: "VN-2000 / TM-3 104-30", Projected: true, CentralMeridian: 104.5,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=104.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9208, Name: "VN-2000 / TM-3 104-45", Projected: true, CentralMeridian: 104.75,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=104.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9209, Name: "VN-2000 / TM-3 105-30", Projected: true, CentralMeridian: 105.5,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9210, Name: "VN-2000 / TM-3 105-45", Projected: true, CentralMeridian: 105.75,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9211, Name: "VN-2000 / TM-3 106-00", Projected: true, CentralMeridian: 106,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=106 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9212, Name: "VN-2000 / TM-3 106-15", Projected: true, CentralMeridian: 106.25,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9213, Name: "VN-2000 / TM-3 106-30", Projected: true, CentralMeridian: 106.5,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=106.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9214, Name: "VN-2000 / TM-3 107-00", Projected: true, CentralMeridian: 107,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9215, Name: "VN-2000 / TM-3 107-15", Projected: true, CentralMeridian: 107.25,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=107.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9216, Name: "VN-2000 / TM-3 107-30", Projected: true, CentralMeridian: 107.5,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=107.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9217, Name: "VN-2000 / TM-3 108-15", Projected: true, CentralMeridian: 108.25,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=108.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
	{SRID: 9218, Name: "VN-2000 / TM-3 108-30", Projected: true, CentralMeridian: 108.5,
		Proj4: "+proj=tmerc +lat_0=0 +lon_0=108.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs"},
}

// registry indexes epsgTable. It is built once at package initialisation and
// only read afterwards, so concurrent lookups need no lock.
var registry = func() map[int]CRS {
	m := make(map[int]CRS, len(epsgTable))
	for i := range epsgTable {
		epsgTable[i].URI = EPSGURIPrefix + strconv.Itoa(epsgTable[i].SRID)
		m[epsgTable[i].SRID] = epsgTable[i]
	}
	return m
}()

// LookupCRS returns the registered CRS with the given EPSG code. For 4326 it
// returns EPSG:4326 (lat/lon axis order), not CRS84.
func LookupCRS(srid int) (CRS, bool) {
	c, ok := registry[srid]
	return c, ok
}

// SupportedCRS returns every CRS the service offers, in the order an OGC API
// collection lists them: CRS84 first (the default), then 4326 and 3857, then
// the rest by ascending SRID. The slice is a fresh copy.
func SupportedCRS() []CRS {
	out := make([]CRS, 0, len(epsgTable)+1)
	out = append(out, CRS84, registry[SRIDWGS84], registry[SRIDPseudoMercator])
	for _, c := range epsgTable {
		if c.SRID != SRIDWGS84 && c.SRID != SRIDPseudoMercator {
			out = append(out, c)
		}
	}
	return out
}

// VN2000Zones returns the VN-2000 TM-3 zones (5896-5899 and 9205-9218)
// ascending by SRID.
func VN2000Zones() []CRS {
	var out []CRS
	for _, c := range epsgTable {
		if isTM3(c.SRID) {
			out = append(out, c)
		}
	}
	return out
}

// isTM3 reports whether srid is a VN-2000 TM-3 zone.
func isTM3(srid int) bool {
	return (srid >= 5896 && srid <= 5899) || (srid >= 9205 && srid <= 9218)
}

// AxisOrderLatLon reports whether coordinates in c are written latitude
// (or northing) first, as the EPSG definition orders its axes
// (c.AxisNorthEast).
//
// EPSG defines both geographic CRSs here, 4326 and 4756, with axis order
// latitude, longitude, and OGC API - Features Part 2 requires responses in a
// requested EPSG:4326 (and bbox values with bbox-crs=EPSG:4326) to follow
// that order. CRS84 exists precisely to be longitude, latitude. Projected
// CRSs here (the VN-2000 zones, UTM and Pseudo-Mercator) are easting,
// northing, i.e. x first, so the answer is false for them. Storage and
// GeoJSON are always x/lon first; the caller swaps when this returns true.
func AxisOrderLatLon(c CRS) bool {
	return c.AxisNorthEast && c.URI != CRS84URI
}

// ParseCRS parses a CRS identifier as it appears in an OGC API request or a
// command-line flag. It accepts, case-insensitively and ignoring surrounding
// space:
//
//	http://www.opengis.net/def/crs/EPSG/0/9212   (https too)
//	http://www.opengis.net/def/crs/OGC/1.3/CRS84
//	EPSG:9212
//	urn:ogc:def:crs:EPSG::9212                   (a version between the colons is allowed)
//	urn:ogc:def:crs:OGC:1.3:CRS84
//	CRS84, OGC:CRS84
//
// The error wraps ErrUnknownCRS and names the input.
func ParseCRS(s string) (CRS, error) {
	in := strings.TrimSpace(s)
	if isCRS84(in) {
		return CRS84, nil
	}
	code, ok := epsgCode(in)
	if !ok {
		return CRS{}, &geoError{ErrUnknownCRS, fmt.Sprintf(
			"crs %q: unknown CRS identifier (want e.g. EPSG:9212 or %s9212)", s, EPSGURIPrefix)}
	}
	if code >= 6956 && code <= 6959 {
		return CRS{}, &geoError{ErrUnknownCRS, fmt.Sprintf(
			"crs %q: EPSG:%d is deprecated (false easting and northing swapped); use EPSG:%d",
			s, code, code-6956+5896)}
	}
	c, ok := registry[code]
	if !ok {
		return CRS{}, &geoError{ErrUnknownCRS, fmt.Sprintf("crs %q: EPSG:%d is not supported", s, code)}
	}
	return c, nil
}

func isCRS84(s string) bool {
	for _, form := range []string{
		"CRS84",
		"OGC:CRS84",
		CRS84URI,
		"https://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"urn:ogc:def:crs:OGC:1.3:CRS84",
		"urn:ogc:def:crs:OGC::CRS84",
	} {
		if strings.EqualFold(s, form) {
			return true
		}
	}
	return false
}

// epsgCode extracts the code from the EPSG forms ParseCRS accepts.
func epsgCode(s string) (int, bool) {
	lower := strings.ToLower(s)
	var rest string
	switch {
	case strings.HasPrefix(lower, "epsg:"):
		rest = s[len("epsg:"):]
	case strings.HasPrefix(lower, "urn:ogc:def:crs:epsg:"):
		// urn:ogc:def:crs:EPSG:{version}:{code}; version is usually empty.
		v, code, ok := strings.Cut(s[len("urn:ogc:def:crs:epsg:"):], ":")
		if !ok || !isVersion(v) {
			return 0, false
		}
		rest = code
	case strings.HasPrefix(lower, "http://www.opengis.net/def/crs/epsg/"),
		strings.HasPrefix(lower, "https://www.opengis.net/def/crs/epsg/"):
		// .../EPSG/{version}/{code}; OGC publishes version 0.
		_, tail, _ := strings.Cut(lower, "/def/crs/epsg/")
		v, code, ok := strings.Cut(tail, "/")
		if !ok || !isVersion(v) {
			return 0, false
		}
		rest = code
	default:
		return 0, false
	}
	// Digits only, no sign, and short enough that Atoi cannot overflow.
	if rest == "" || len(rest) > 9 || strings.TrimLeft(rest, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// isVersion accepts an empty version or one made of digits and dots.
func isVersion(v string) bool {
	return strings.TrimLeft(v, "0123456789.") == ""
}
