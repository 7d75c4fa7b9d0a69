package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// ErrCRSMismatch: the coordinates cannot be in the CRS they were given or declared with, or no
// CRS was given for coordinates that are plainly projected.
var ErrCRSMismatch = errors.New("CRS does not match the coordinates")

// ImportRegion is where imported data must lie (WGS 84): Bình Phước and the Đồng Nai it merged
// into in 2025, padded by about 25 km. A feature entirely outside it is "far outside the
// province" — almost always a wrong CRS or swapped axes, not a real place.
var ImportRegion = orb.Bound{
	Min: orb.Point{106.0, 10.2},
	Max: orb.Point{107.9, 12.55},
}

// GeometryTypes are the geometry types a layer can hold (the catalog's geometry_type); Geometry
// means any of the others.
var GeometryTypes = []string{"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Geometry"}

// CheckGeometry prepares a decoded geometry for a layer holding layerType geometries:
//
//   - a missing or empty geometry is a problem;
//   - a single geometry is promoted to the layer's multi type (Polygon to MultiPolygon), and a
//     multi geometry with one part is reduced for a single-type layer; any other type mismatch
//     is a problem naming both types;
//   - each ring needs 4 positions and each line 2 ("ring 1 of polygon 1 has 2 positions...");
//   - a ring whose last position differs from its first is closed and reported in repaired,
//     or, with strict, is a problem.
//
// Validity beyond that (self-intersection and the like) needs GEOS and is left to PostGIS.
// A non-empty problem means the feature must be rejected; out is then nil.
func CheckGeometry(g geom.T, layerType string, strict bool) (out geom.T, repaired, problem string) {
	if g == nil {
		return nil, "", "no geometry"
	}
	if g.Empty() {
		return nil, "", "empty geometry"
	}
	g, problem = fitType(g, layerType)
	if problem != "" {
		return nil, "", problem
	}
	switch t := g.(type) {
	case *geom.LineString:
		if t.NumCoords() < 2 {
			return nil, "", fmt.Sprintf("the line has %d position; a line needs at least 2", t.NumCoords())
		}
	case *geom.MultiLineString:
		for i := range t.NumLineStrings() {
			if n := t.LineString(i).NumCoords(); n < 2 {
				return nil, "", fmt.Sprintf("line %d has %d position; a line needs at least 2", i+1, n)
			}
		}
	case *geom.Polygon:
		ends, flat, rep, prob := closeRings(t.FlatCoords(), t.Ends(), 0, 0, strict)
		if prob != "" {
			return nil, "", prob
		}
		if rep != "" {
			g, repaired = geom.NewPolygonFlat(geom.XY, flat, ends), rep
		}
	case *geom.MultiPolygon:
		flat, endss := t.FlatCoords(), t.Endss()
		var reps []string
		begin := 0
		for i := range endss {
			if len(endss[i]) == 0 {
				return nil, "", fmt.Sprintf("polygon %d has no rings", i+1)
			}
			ends, nflat, rep, prob := closeRings(flat, endss[i], begin, i+1, strict)
			if prob != "" {
				return nil, "", prob
			}
			if rep != "" {
				// Closing a ring inserts a position; shift every later end.
				shift := len(nflat) - len(flat)
				endss = append([][]int(nil), endss...)
				endss[i] = ends
				for j := i + 1; j < len(endss); j++ {
					moved := make([]int, len(endss[j]))
					for k, e := range endss[j] {
						moved[k] = e + shift
					}
					endss[j] = moved
				}
				flat = nflat
				reps = append(reps, rep)
			}
			begin = endss[i][len(endss[i])-1]
		}
		if len(reps) > 0 {
			g, repaired = geom.NewMultiPolygonFlat(geom.XY, flat, endss), joinRepairs(reps)
		}
	}
	return g, repaired, ""
}

func joinRepairs(r []string) string {
	if len(r) == 1 {
		return r[0]
	}
	return fmt.Sprintf("%s (and %d more rings)", r[0], len(r)-1)
}

// closeRings checks the rings of one polygon — ends are absolute indices into flat and the first
// ring starts at begin — and closes open ones, returning new ends and flat coordinates (the
// positions before begin and after the last ring copied unchanged) when it did. poly is the
// polygon's number within a MultiPolygon (0 for a Polygon), for messages.
func closeRings(flat []float64, ends []int, begin, poly int, strict bool) (nends []int, nflat []float64, repaired, problem string) {
	where := func(r int) string {
		if poly == 0 {
			return fmt.Sprintf("ring %d", r+1)
		}
		return fmt.Sprintf("ring %d of polygon %d", r+1, poly)
	}
	var open []int
	start := begin
	for r, end := range ends {
		n := (end - start) / 2
		closed := n > 0 && flat[start] == flat[end-2] && flat[start+1] == flat[end-1]
		switch {
		case n < 3 || (closed && n < 4):
			return nil, nil, "", fmt.Sprintf("%s has %d positions; a ring needs at least 4 (a closed triangle)", where(r), n)
		case !closed && strict:
			return nil, nil, "", fmt.Sprintf("%s is not closed (its last position differs from its first)", where(r))
		case !closed:
			open = append(open, r)
		}
		start = end
	}
	if len(open) == 0 {
		return ends, flat, "", ""
	}
	// Rebuild with the first position repeated at the end of each open ring.
	nflat = make([]float64, 0, len(flat)+2*len(open))
	nflat = append(nflat, flat[:begin]...)
	nends = make([]int, len(ends))
	start = begin
	oi := 0
	for r, end := range ends {
		nflat = append(nflat, flat[start:end]...)
		if oi < len(open) && open[oi] == r {
			nflat = append(nflat, flat[start], flat[start+1])
			oi++
		}
		nends[r] = len(nflat)
		start = end
	}
	nflat = append(nflat, flat[ends[len(ends)-1]:]...)
	return nends, nflat, fmt.Sprintf("closed %s (its last position differed from its first)", where(open[0])), ""
}

// fitType converts g to the layer's type where that loses nothing.
func fitType(g geom.T, layerType string) (geom.T, string) {
	got := TypeName(g)
	if layerType == "" || layerType == "Geometry" || got == layerType {
		if _, ok := g.(*geom.GeometryCollection); ok {
			return nil, "a GeometryCollection is not supported"
		}
		return g, ""
	}
	switch t := g.(type) {
	case *geom.Point:
		if layerType == "MultiPoint" {
			return geom.NewMultiPointFlat(geom.XY, t.FlatCoords()), ""
		}
	case *geom.LineString:
		if layerType == "MultiLineString" {
			return geom.NewMultiLineStringFlat(geom.XY, t.FlatCoords(), []int{len(t.FlatCoords())}), ""
		}
	case *geom.Polygon:
		if layerType == "MultiPolygon" {
			return geom.NewMultiPolygonFlat(geom.XY, t.FlatCoords(), [][]int{t.Ends()}), ""
		}
	case *geom.MultiPoint:
		if layerType == "Point" && t.NumPoints() == 1 {
			return t.Point(0), ""
		}
	case *geom.MultiLineString:
		if layerType == "LineString" && t.NumLineStrings() == 1 {
			return t.LineString(0), ""
		}
	case *geom.MultiPolygon:
		if layerType == "Polygon" && t.NumPolygons() == 1 {
			return t.Polygon(0), ""
		}
	}
	return nil, fmt.Sprintf("a %s where the layer holds %s geometries", describe(g), layerType)
}

func describe(g geom.T) string {
	switch t := g.(type) {
	case *geom.MultiPolygon:
		if t.NumPolygons() > 1 {
			return fmt.Sprintf("MultiPolygon of %d polygons", t.NumPolygons())
		}
	case *geom.MultiLineString:
		if t.NumLineStrings() > 1 {
			return fmt.Sprintf("MultiLineString of %d lines", t.NumLineStrings())
		}
	case *geom.MultiPoint:
		if t.NumPoints() > 1 {
			return fmt.Sprintf("MultiPoint of %d points", t.NumPoints())
		}
	}
	return TypeName(g)
}

// TypeName is the GeoJSON type name of g.
func TypeName(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return "Point"
	case *geom.LineString:
		return "LineString"
	case *geom.Polygon:
		return "Polygon"
	case *geom.MultiPoint:
		return "MultiPoint"
	case *geom.MultiLineString:
		return "MultiLineString"
	case *geom.MultiPolygon:
		return "MultiPolygon"
	case *geom.GeometryCollection:
		return "GeometryCollection"
	}
	return fmt.Sprintf("%T", g)
}

// CommonType is the layer type for a new layer whose features have the given geometry types
// (with counts): the multi type when singles and multis of one kind mix. Different kinds
// (points and polygons) cannot share a layer: the error says how many of each were found.
func CommonType(counts map[string]int64) (string, error) {
	kinds := map[string]bool{}
	multi := map[string]bool{}
	for t, n := range counts {
		if n == 0 {
			continue
		}
		base := t
		if len(t) > 5 && t[:5] == "Multi" {
			base = t[5:]
			multi[base] = true
		}
		kinds[base] = true
	}
	switch len(kinds) {
	case 0:
		return "", fmt.Errorf("geo: no geometries to infer a layer type from: %w", ErrGeoJSON)
	case 1:
		for k := range kinds {
			if multi[k] {
				return "Multi" + k, nil
			}
			return k, nil
		}
	}
	var parts []string
	for _, t := range GeometryTypes {
		if counts[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
		}
	}
	return "", fmt.Errorf("geo: mixed geometry types (%s): a layer holds one kind of geometry; split the file by type: %w",
		joinComma(parts), ErrGeoJSON)
}

func joinComma(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

// Where a CRS came from, for messages.
const (
	srcFlagNoun     = "the srid given"
	srcDeclaredNoun = "the file's crs member"
)

// ResolveCRS decides the SRID of incoming coordinates from an explicit SRID (0 if none), the
// CRS the file declares (nil if none) and a sample coordinate (x, y) of the first feature, and
// checks that the sample lands inside region (ImportRegion) in that CRS:
//
//   - explicit wins, then declared, then WGS 84 (RFC 7946);
//   - with neither, projected-looking coordinates are an error naming the likely VN-2000 TM-3
//     zone ("--srid 9212" for Bình Phước) instead of a silent import into the sea;
//   - a CRS that puts the sample far from region is an error naming both (a file declaring
//     EPSG:4326 with values like 569613, 1275708; latitude and longitude swapped).
//
// Errors wrap ErrCRSMismatch (ErrUnknownCRS for an explicit SRID outside the registry).
func ResolveCRS(explicit int, declared *CRS, x, y float64, region orb.Bound) (int, error) {
	srid, src := SRIDWGS84, ""
	switch {
	case explicit != 0:
		if _, ok := LookupCRS(explicit); !ok {
			return 0, &geoError{ErrUnknownCRS, fmt.Sprintf("srid %d is not supported", explicit)}
		}
		srid, src = explicit, srcFlagNoun
	case declared != nil:
		srid, src = declared.SRID, srcDeclaredNoun
	}
	sample := fmt.Sprintf("(%s, %s)", fmtCoord(x), fmtCoord(y))
	lon, lat, err := ToWGS84(x, y, srid)
	if err == nil && region.Contains(orb.Point{lon, lat}) {
		return srid, nil
	}
	c, _ := LookupCRS(srid)
	lonlat := LooksLikeLonLat(orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x, y}})
	hint := ""
	swapped := region.Contains(orb.Point{y, x})
	if zone, ok := GuessVN2000Zone(x, y, region); ok && !lonlat && !swapped {
		z, _ := LookupCRS(zone)
		hint = fmt.Sprintf("; they look like %s: use --srid %d (srid=%d over HTTP)", z.Name, zone, zone)
	} else if swapped {
		hint = "; they look like latitude, longitude: GeoJSON puts longitude first"
	} else if lonlat && c.Projected {
		hint = "; they look like longitude/latitude (WGS 84): drop the srid or use --srid 4326"
	}
	if src == "" {
		if !lonlat && !swapped {
			if hint == "" {
				hint = "; give their CRS with --srid (e.g. --srid 9212 for VN-2000 / TM-3 106-15, Bình Phước)"
			}
			return 0, &geoError{ErrCRSMismatch, fmt.Sprintf(
				"the coordinates %s are not longitude/latitude and the file names no CRS%s", sample, hint)}
		}
		return 0, &geoError{ErrCRSMismatch, fmt.Sprintf(
			"the coordinates %s, read as WGS 84 longitude/latitude, are far outside the province%s", sample, hint)}
	}
	where := "far outside the province"
	if err != nil {
		where = "impossible there"
	} else {
		where = fmt.Sprintf("at %.4f, %.4f, far outside the province", lon, lat)
	}
	return 0, &geoError{ErrCRSMismatch, fmt.Sprintf("%s is %s (%s) but the first coordinates %s are %s%s",
		src, c.String(), c.Name, sample, where, hint)}
}

func fmtCoord(v float64) string {
	if math.Abs(v) >= 1000 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.6g", v)
}
