package geo

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// Project returns a copy of g, in WGS 84 lon/lat, with every coordinate
// converted by FromWGS84 to the CRS srid; g itself is not modified. It is
// the pure-Go counterpart of ST_Transform(g, srid) for the registered CRSs,
// for tools and tests that run without a database.
//
// An orb.Bound is returned as the bound of its projected outline, densified
// so that the curvature of the projected edges is covered. The error (the
// first coordinate that failed) wraps ErrUnknownCRS or ErrOutOfRange.
func Project(g orb.Geometry, srid int) (orb.Geometry, error) {
	return transform(g, srid, FromWGS84)
}

// Unproject is the inverse of Project: coordinates in srid to WGS 84
// lon/lat, by ToWGS84.
func Unproject(g orb.Geometry, srid int) (orb.Geometry, error) {
	return transform(g, srid, ToWGS84)
}

func transform(g orb.Geometry, srid int, fn func(x, y float64, srid int) (float64, float64, error)) (orb.Geometry, error) {
	if _, _, err := projection(srid); err != nil {
		return nil, err
	}
	var first error
	proj := func(p orb.Point) orb.Point {
		x, y, err := fn(p[0], p[1], srid)
		if err != nil && first == nil {
			first = err
		}
		return orb.Point{x, y}
	}
	if b, ok := g.(orb.Bound); ok {
		out := project.LineString(densify(b), proj).Bound()
		if first != nil {
			return nil, first
		}
		return out, nil
	}
	out := project.Geometry(orb.Clone(g), proj)
	if first != nil {
		return nil, first
	}
	return out, nil
}

// densify returns the outline of b with 16 points per side.
func densify(b orb.Bound) orb.LineString {
	const n = 16
	corners := [5]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min}
	ls := make(orb.LineString, 0, 4*n+1)
	for i := range 4 {
		a, c := corners[i], corners[i+1]
		for j := range n {
			t := float64(j) / n
			ls = append(ls, orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])})
		}
	}
	return append(ls, b.Min)
}

// UnprojectFlat is Unproject for go-geom's flat coordinate layout: it converts, in place, the
// x and y of every stride-long tuple of flat from the CRS srid to WGS 84 lon/lat, leaving
// further ordinates (a z) as they are. The importer uses it to bring VN-2000 coordinates to the
// storage CRS while it decodes a file, so the database does not have to. On error flat is
// partly converted; the error names the first coordinate that failed.
func UnprojectFlat(flat []float64, stride int, srid int) error {
	if stride < 2 {
		return &geoError{ErrOutOfRange, fmt.Sprintf("stride %d: want at least 2", stride)}
	}
	if _, _, err := projection(srid); err != nil {
		return err
	}
	for i := 0; i+1 < len(flat); i += stride {
		lon, lat, err := ToWGS84(flat[i], flat[i+1], srid)
		if err != nil {
			return err
		}
		flat[i], flat[i+1] = lon, lat
	}
	return nil
}
