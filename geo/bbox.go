package geo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ProvinceBound is the lon/lat extent of Bình Phước (WGS 84), rounded
// outwards to 0.01°. It is the default "near" bound for GuessVN2000Zone and
// the sanity range for imported data.
var ProvinceBound = orb.Bound{
	Min: orb.Point{106.41, 11.30},
	Max: orb.Point{107.43, 12.30},
}

// ParseBBox parses an OGC API bbox parameter: "minx,miny,maxx,maxy" or, with
// heights, "minx,miny,minz,maxx,maxy,maxz" (the z values are checked to be
// numbers and then ignored: the service is 2D). Spaces around numbers are
// allowed. Every value must be finite, minx <= maxx and miny <= maxy.
//
// OGC API - Features allows minx > maxx for a box that crosses the
// antimeridian. ParseBBox rejects it with a message saying so: Vietnam is
// nowhere near 180°, so such a box is far more likely a swapped pair than a
// Pacific query, and accepting it would need a split query everywhere.
//
// ParseBBox does not know the CRS; use ValidateLonLatBound for lon/lat.
// Errors wrap ErrInvalidBBox.
func ParseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if strings.TrimSpace(s) == "" {
		parts = nil
	}
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, bboxErr("want 4 or 6 numbers, got %d", len(parts))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return orb.Bound{}, bboxErr("number %d is empty", i+1)
		}
		f, err := strconv.ParseFloat(p, 64)
		if errors.Is(err, strconv.ErrRange) {
			return orb.Bound{}, bboxErr("number %d %q is out of range", i+1, p)
		}
		if err != nil {
			return orb.Bound{}, bboxErr("number %d %q is not a number", i+1, p)
		}
		if !isFinite(f) {
			return orb.Bound{}, bboxErr("number %d %q is not finite", i+1, p)
		}
		v[i] = f
	}
	minx, miny, maxx, maxy := v[0], v[1], v[2], v[3]
	if len(v) == 6 {
		minx, miny, maxx, maxy = v[0], v[1], v[3], v[4]
	}
	if minx > maxx {
		return orb.Bound{}, bboxErr("minx %g > maxx %g (boxes crossing the antimeridian are not supported)", minx, maxx)
	}
	if miny > maxy {
		return orb.Bound{}, bboxErr("miny %g > maxy %g", miny, maxy)
	}
	return orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}, nil
}

// ValidateLonLatBound checks that b is an ordered lon/lat box within
// -180..180 and -90..90. Errors wrap ErrInvalidBBox.
func ValidateLonLatBound(b orb.Bound) error {
	for _, c := range []struct {
		name     string
		v, limit float64
	}{
		{"minx", b.Min[0], 180}, {"miny", b.Min[1], 90},
		{"maxx", b.Max[0], 180}, {"maxy", b.Max[1], 90},
	} {
		if !isFinite(c.v) {
			return bboxErr("%s %g is not finite", c.name, c.v)
		}
		if c.v < -c.limit || c.v > c.limit {
			return bboxErr("%s %g outside -%g..%g", c.name, c.v, c.limit, c.limit)
		}
	}
	if b.Min[0] > b.Max[0] {
		return bboxErr("minx %g > maxx %g (boxes crossing the antimeridian are not supported)", b.Min[0], b.Max[0])
	}
	if b.Min[1] > b.Max[1] {
		return bboxErr("miny %g > maxy %g", b.Min[1], b.Max[1])
	}
	return nil
}

func bboxErr(format string, args ...any) error {
	return &geoError{ErrInvalidBBox, fmt.Sprintf(format, args...)}
}
