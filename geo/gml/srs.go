package gml

import (
	"strconv"
	"strings"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// Form is how a CRS name is spelled. It decides the axis order of the coordinates written
// under the name, and how the name is written back.
type Form uint8

// The forms of CRS names clients send.
const (
	FormEPSG     Form = iota + 1 // EPSG:4326
	FormURN                      // urn:ogc:def:crs:EPSG::4326 (a version may stand between the colons)
	FormURNX                     // urn:x-ogc:def:crs:EPSG:4326 (WFS 1.1.0 era)
	FormURI                      // http://www.opengis.net/def/crs/EPSG/0/4326
	FormXMLURL                   // http://www.opengis.net/gml/srs/epsg.xml#4326 (GML 2, WFS 1.0.0)
	FormCRS84                    // CRS:84 (also read: CRS84, OGC:CRS84)
	FormCRS84URN                 // urn:ogc:def:crs:OGC:1.3:CRS84
	FormCRS84URI                 // http://www.opengis.net/def/crs/OGC/1.3/CRS84
)

// IsCRS84 reports whether f names CRS84 (WGS 84 longitude, latitude) rather than an EPSG code.
func (f Form) IsCRS84() bool { return f >= FormCRS84 }

// SRS is a CRS as a request named it.
type SRS struct {
	// SRID is the EPSG code (4326 for the CRS84 forms).
	SRID int
	// Form is the spelling of the name.
	Form Form
	// NorthEast is true when coordinates under this name are written north first (latitude,
	// longitude or northing, easting): they are swapped when read and when written.
	NorthEast bool
}

// IsZero reports whether s names nothing.
func (s SRS) IsZero() bool { return s.SRID == 0 }

// Name writes s in its form: urn:ogc:def:crs:EPSG::4326 for FormURN, CRS:84 for FormCRS84.
// It is "" for the zero SRS.
func (s SRS) Name() string {
	code := strconv.Itoa(s.SRID)
	switch s.Form {
	case FormEPSG:
		return "EPSG:" + code
	case FormURN:
		return "urn:ogc:def:crs:EPSG::" + code
	case FormURNX:
		return "urn:x-ogc:def:crs:EPSG:" + code
	case FormURI:
		return geo.EPSGURIPrefix + code
	case FormXMLURL:
		return "http://www.opengis.net/gml/srs/epsg.xml#" + code
	case FormCRS84:
		return "CRS:84"
	case FormCRS84URN:
		return "urn:ogc:def:crs:OGC:1.3:CRS84"
	case FormCRS84URI:
		return geo.CRS84URI
	}
	return ""
}

// String is Name.
func (s SRS) String() string { return s.Name() }

// ParseSRSName reads the EPSG code and the form of a CRS name, case-insensitively and ignoring
// surrounding space. It does not check that the code is offered, and leaves NorthEast false:
// that is a Resolver's job. The error is an *ogcxml.Error (InvalidParameterValue) wrapping
// geo.ErrUnknownCRS.
func ParseSRSName(name string) (SRS, error) {
	s := strings.TrimSpace(name)
	lower := strings.ToLower(s)
	switch lower {
	case "crs:84", "crs84", "ogc:crs84":
		return SRS{SRID: geo.SRIDWGS84, Form: FormCRS84}, nil
	case "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "urn:ogc:def:crs:ogc:2:84":
		return SRS{SRID: geo.SRIDWGS84, Form: FormCRS84URN}, nil
	case strings.ToLower(geo.CRS84URI), "https://www.opengis.net/def/crs/ogc/1.3/crs84":
		return SRS{SRID: geo.SRIDWGS84, Form: FormCRS84URI}, nil
	}
	var form Form
	var code string
	cut := func(prefix string) (string, bool) {
		if strings.HasPrefix(lower, prefix) {
			return s[len(prefix):], true
		}
		return "", false
	}
	if rest, ok := cut("epsg:"); ok {
		form, code = FormEPSG, rest
	} else if rest, ok := cut("urn:ogc:def:crs:epsg:"); ok {
		form, code = FormURN, afterVersion(rest, ":", true)
	} else if rest, ok := cut("urn:x-ogc:def:crs:epsg:"); ok {
		form, code = FormURNX, afterVersion(rest, ":", false)
	} else if rest, ok := cut("http://www.opengis.net/def/crs/epsg/"); ok {
		form, code = FormURI, afterVersion(rest, "/", true)
	} else if rest, ok := cut("https://www.opengis.net/def/crs/epsg/"); ok {
		form, code = FormURI, afterVersion(rest, "/", true)
	} else if rest, ok := cut("http://www.opengis.net/gml/srs/epsg.xml#"); ok {
		form, code = FormXMLURL, rest
	}
	srid, ok := epsgDigits(code)
	if form == 0 || !ok {
		return SRS{}, &ogcxml.Error{Code: ogcxml.InvalidParameterValue, Msg: "unknown CRS name " + quote(name) +
			" (use e.g. urn:ogc:def:crs:EPSG::4326, EPSG:9212 or CRS:84)", Err: geo.ErrUnknownCRS}
	}
	return SRS{SRID: srid, Form: form}, nil
}

// afterVersion returns what follows "{version}{sep}" in rest. With required false the version
// may be absent altogether (urn:x-ogc:def:crs:EPSG:4326); it is otherwise empty or digits and
// dots. A malformed version yields "", which is not a code.
func afterVersion(rest, sep string, required bool) string {
	v, code, ok := strings.Cut(rest, sep)
	if !ok {
		if required {
			return ""
		}
		return rest
	}
	if strings.TrimLeft(v, "0123456789.") != "" {
		return ""
	}
	return code
}

// epsgDigits reads an EPSG code: 1 to 9 digits, no sign.
func epsgDigits(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

func quote(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return strconv.Quote(s)
}

// Resolver turns CRS names into SRSs with their axis order. The zero value uses geo's registry
// and the WFS convention for EPSG:nnnn (x first).
type Resolver struct {
	// AxisNorthEast reports whether the EPSG definition of srid lists the north axis first,
	// and ok false for a CRS the service does not offer. nil means geo.LookupCRS and its
	// AxisNorthEast.
	AxisNorthEast func(srid int) (northEast, ok bool)
	// ShortFormFollowsEPSG makes EPSG:nnnn follow the EPSG axis order like the URN and URI
	// forms. WMS 1.3.0 needs it (CRS=EPSG:4326 is latitude first). WFS clients write
	// EPSG:nnnn x first in every WFS version (GeoServer's rule, which GDAL, QGIS and OWSLib
	// follow), so WFS leaves it false.
	ShortFormFollowsEPSG bool
}

// Resolve parses name and sets its axis order: EPSG order for FormURN, FormURNX and FormURI
// (and FormEPSG when ShortFormFollowsEPSG), x first for FormXMLURL, the CRS84 forms and
// FormEPSG otherwise. A code that AxisNorthEast does not know is refused with an *ogcxml.Error
// (InvalidParameterValue, wrapping geo.ErrUnknownCRS).
func (r Resolver) Resolve(name string) (SRS, error) {
	s, err := ParseSRSName(name)
	if err != nil {
		return SRS{}, err
	}
	return r.With(s)
}

// With returns s with the axis order its SRID and form give, or an error if the SRID is not
// offered. The WFS uses it to write output in a CRS the request named by code alone.
func (r Resolver) With(s SRS) (SRS, error) {
	lookup := r.AxisNorthEast
	if lookup == nil {
		lookup = registryAxisNorthEast
	}
	ne, ok := lookup(s.SRID)
	if !ok {
		return SRS{}, &ogcxml.Error{Code: ogcxml.InvalidParameterValue,
			Msg: "CRS " + quote(s.Name()) + " (EPSG:" + strconv.Itoa(s.SRID) + ") is not supported", Err: geo.ErrUnknownCRS}
	}
	switch s.Form {
	case FormURN, FormURNX, FormURI:
		s.NorthEast = ne
	case FormEPSG:
		s.NorthEast = ne && r.ShortFormFollowsEPSG
	default:
		s.NorthEast = false
	}
	return s, nil
}

func registryAxisNorthEast(srid int) (bool, bool) {
	c, ok := geo.LookupCRS(srid)
	return c.AxisNorthEast, ok
}
