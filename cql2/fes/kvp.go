package fes

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/gml"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// MaxIDs bounds the identifiers of one RESOURCEID or FEATUREID parameter.
const MaxIDs = 10_000

// ParseResourceIDs reads the WFS 2.0 RESOURCEID (or WFS 1.1.0 FEATUREID) parameter:
// comma-separated ids such as "parcels.1,parcels.2". Select with IDFilter.
func ParseResourceIDs(kvp string) ([]ResourceID, error) {
	var ids []ResourceID
	for _, s := range strings.Split(kvp, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if len(ids) == MaxIDs {
			return nil, ogcxml.Invalid("RESOURCEID", "more than %d resource ids", MaxIDs)
		}
		ids = append(ids, ParseResourceID(s))
	}
	if len(ids) == 0 {
		return nil, ogcxml.Errorf(ogcxml.MissingParameterValue, "RESOURCEID", "RESOURCEID names no feature")
	}
	return ids, nil
}

// BBox is a BBOX parameter read with its axis order resolved.
type BBox struct {
	// Bound is x (longitude, easting) first.
	Bound orb.Bound
	// SRS is the CRS named in the parameter, or opt.GML.Default; zero when neither was given
	// (the bound is then in the filter CRS that cql2.Options.CRS names).
	SRS gml.SRS
}

// Filter is the predicate the BBOX parameter stands for: the layer's geometry intersects the
// box.
func (b BBox) Filter(opt Options) cql2.Expr {
	opt = opt.withDefaults("BBOX")
	return cql2.Spatial{Op: cql2.SIntersects, Left: cql2.Property{Name: opt.GeometryProperty},
		Right: cql2.BBox{Bound: b.Bound, SRID: b.SRS.SRID}}
}

// ParseBBox reads the BBOX parameter "minx,miny,maxx,maxy[,crs]" (6 numbers with heights are
// accepted, heights ignored). The numbers are in the axis order of the CRS name given — so
// "11.4,106.8,11.6,107.0,urn:ogc:def:crs:EPSG::4326" is latitude first, and
// "106.8,11.4,107.0,11.6,EPSG:4326" is not (opt.GML.SRS decides, see gml.Resolver) — or, with
// no CRS in the parameter, of opt.GML.Default.
func ParseBBox(kvp string, opt Options) (BBox, error) {
	opt = opt.withDefaults("BBOX")
	fail := func(format string, args ...any) (BBox, error) {
		return BBox{}, ogcxml.Invalid(opt.Locator, format, args...)
	}
	parts := strings.Split(kvp, ",")
	srs := opt.GML.Default
	if n := len(parts); n == 5 || n == 7 {
		s, err := opt.GML.SRS(parts[n-1])
		if err != nil {
			return BBox{}, locate(err, opt.Locator)
		}
		srs, parts = s, parts[:n-1]
	}
	if len(parts) != 4 && len(parts) != 6 {
		return fail("BBOX needs 4 numbers and an optional CRS (minx,miny,maxx,maxy,crs), got %s", quote(kvp))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fail("BBOX value %s is not a finite number", quote(p))
		}
		v[i] = f
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	if srs.NorthEast {
		b = orb.Bound{Min: orb.Point{v[1], v[0]}, Max: orb.Point{v[3], v[2]}}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return fail("BBOX minimum is greater than its maximum (in %s the order is %s)", srsLabel(srs), axisLabel(srs))
	}
	if c, ok := geo.LookupCRS(srs.SRID); ok && !c.Projected {
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			return fail("BBOX is outside longitude -180..180, latitude -90..90 (in %s the order is %s)", srsLabel(srs), axisLabel(srs))
		}
	}
	return BBox{Bound: b, SRS: srs}, nil
}

func srsLabel(s gml.SRS) string {
	if s.IsZero() {
		return "the default CRS"
	}
	return s.Name()
}

func axisLabel(s gml.SRS) string {
	if s.NorthEast {
		return "latitude (northing) first"
	}
	return "longitude (easting) first"
}

// SplitFilters splits a FILTER parameter into its filters: one, or WFS's parenthesised list
// "(<Filter>…</Filter>)(<Filter>…</Filter>)" with one filter per type name. The split follows
// the XML, so a literal holding ")(" does not cut a filter in two.
func SplitFilters(kvp string, lim ogcxml.Limits) ([]string, error) {
	fail := func(format string, args ...any) ([]string, error) {
		return nil, ogcxml.Errorf(ogcxml.OperationParsingFailed, "FILTER", format, args...)
	}
	s := strings.TrimSpace(kvp)
	if s == "" {
		return nil, ogcxml.Errorf(ogcxml.MissingParameterValue, "FILTER", "FILTER is empty")
	}
	max := lim.MaxBytes
	if max <= 0 {
		max = ogcxml.DefaultMaxBytes
	}
	if int64(len(s)) > max {
		return fail("FILTER is longer than %d bytes", max)
	}
	if s[0] != '(' {
		return []string{s}, nil
	}
	var out []string
	for s != "" {
		if s[0] != '(' {
			return fail("the FILTER list must be (<Filter>…</Filter>)(<Filter>…</Filter>)")
		}
		inner := strings.TrimLeft(s[1:], " \t\r\n")
		n, err := documentLength(inner)
		if err != nil {
			return nil, err
		}
		doc := inner[:n]
		rest := strings.TrimLeft(inner[n:], " \t\r\n")
		if rest == "" || rest[0] != ')' {
			return fail("a filter in the FILTER list is not closed by \")\"")
		}
		out = append(out, doc)
		s = strings.TrimLeft(rest[1:], " \t\r\n")
	}
	return out, nil
}

// documentLength returns the length of the XML document (up to the end of its root element)
// at the start of s. Only the structure is read here; each filter is parsed, with every
// guard, afterwards.
func documentLength(s string) (int, error) {
	fail := func(msg string) (int, error) {
		return 0, ogcxml.Errorf(ogcxml.OperationParsingFailed, "FILTER", "%s", msg)
	}
	d := xml.NewDecoder(strings.NewReader(s))
	depth := 0
	for {
		t, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fail("a filter in the FILTER list ends early")
			}
			return 0, locate(ogcxml.FromXML(err), "FILTER")
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
			if depth > ogcxml.DefaultMaxDepth {
				return fail("a filter in the FILTER list is nested too deeply")
			}
		case xml.EndElement:
			depth--
			if depth < 0 {
				return fail("a filter in the FILTER list has an unmatched end tag")
			}
			if depth == 0 {
				return int(d.InputOffset()), nil
			}
		case xml.Directive:
			return fail("DOCTYPE and entity declarations are not allowed")
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t.(xml.CharData))) != "" {
				return fail("the FILTER list must be (<Filter>…</Filter>)(<Filter>…</Filter>)")
			}
		}
	}
}
