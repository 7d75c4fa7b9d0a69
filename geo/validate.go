package geo

import (
	"fmt"

	"github.com/twpayne/go-geom"
)

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
