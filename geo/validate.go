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
//   - each line needs 2 positions, each ring 4 ("ring 1 of polygon 1 has 2 positions...");
//   - a ring whose last position differs from its first is a problem (RFC 7946 requires closed
//     rings). It is not closed for the sender: a parcel missing its last two vertices, closed,
//     is a different parcel that looks right.
//
// Rings are numbered from 1 within their polygon, polygons from 1 within the geometry (a
// Polygon is polygon 1). Validity beyond that (self-intersection and the like) is
// ProvablySimple's, or PostGIS's. A non-empty problem means the feature must be rejected; out
// is then nil.
func CheckGeometry(g geom.T, layerType string) (out geom.T, problem string) {
	if g == nil {
		return nil, "no geometry"
	}
	if g.Empty() {
		return nil, "empty geometry"
	}
	g, problem = fitType(g, layerType)
	if problem != "" {
		return nil, problem
	}
	switch t := g.(type) {
	case *geom.LineString:
		if t.NumCoords() < 2 {
			return nil, fmt.Sprintf("the line has %d position; a line needs at least 2", t.NumCoords())
		}
	case *geom.MultiLineString:
		for i := range t.NumLineStrings() {
			if n := t.LineString(i).NumCoords(); n < 2 {
				return nil, fmt.Sprintf("line %d has %d position; a line needs at least 2", i+1, n)
			}
		}
	case *geom.Polygon:
		if prob := checkRings(t.FlatCoords(), t.Ends(), 0, 1); prob != "" {
			return nil, prob
		}
	case *geom.MultiPolygon:
		flat, begin := t.FlatCoords(), 0
		for i, ends := range t.Endss() {
			if len(ends) == 0 {
				return nil, fmt.Sprintf("polygon %d has no rings", i+1)
			}
			if prob := checkRings(flat, ends, begin, i+1); prob != "" {
				return nil, prob
			}
			begin = ends[len(ends)-1]
		}
	}
	return g, ""
}

// checkRings checks the rings of polygon number poly: ends are absolute indices into flat (XY)
// and the first ring starts at begin.
func checkRings(flat []float64, ends []int, begin, poly int) string {
	start := begin
	for r, end := range ends {
		n := (end - start) / 2
		closed := n > 0 && flat[start] == flat[end-2] && flat[start+1] == flat[end-1]
		switch {
		case !closed && n >= 3:
			return fmt.Sprintf("ring %d of polygon %d is not closed: its last position (%g, %g) differs from its first (%g, %g), "+
				"and GeoJSON rings must be closed (RFC 7946)", r+1, poly, flat[end-2], flat[end-1], flat[start], flat[start+1])
		case n < 4:
			return fmt.Sprintf("ring %d of polygon %d has %d positions; a ring needs at least 4 (a closed triangle)", r+1, poly, n)
		}
		start = end
	}
	return ""
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
