package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ErrCRSMismatch: the coordinates cannot be in the CRS they were given or declared with, or no
// CRS was given for coordinates that are plainly projected.
var ErrCRSMismatch = errors.New("CRS does not match the coordinates")

// MismatchError is a CRS that does not fit the coordinates (it wraps ErrCRSMismatch). Suggest is
// the EPSG code they look like they are in, 0 without a guess; callers say how to give it
// (a flag, a parameter).
type MismatchError struct {
	Msg     string
	Suggest int
}

func (e *MismatchError) Error() string { return "geo: " + e.Msg }

// ClientMessage is the message without the package prefix, for the person who sent the data.
func (e *MismatchError) ClientMessage() string { return e.Msg }
func (e *MismatchError) Unwrap() error         { return ErrCRSMismatch }

// SuggestSRID reads err: whether it is a CRS that does not fit the coordinates, and the EPSG code
// to suggest instead (0 without a guess).
func SuggestSRID(err error) (srid int, mismatch bool) {
	var me *MismatchError
	if errors.As(err, &me) {
		return me.Suggest, true
	}
	return 0, errors.Is(err, ErrCRSMismatch)
}

// ImportRegion is where imported data must lie (WGS 84): Bình Phước and the Đồng Nai it merged
// into in 2025, padded by about 25 km. A feature entirely outside it is "far outside the
// province" — almost always a wrong CRS or swapped axes, not a real place.
var ImportRegion = orb.Bound{
	Min: orb.Point{106.0, 10.2},
	Max: orb.Point{107.9, 12.55},
}

// Where a CRS came from, for messages.
const (
	srcExplicitNoun = "the CRS given"
	srcDeclaredNoun = "the file's crs member"
)

// ResolveCRS decides the SRID of incoming coordinates from an explicit SRID (0 if none), the
// CRS the file declares (nil if none) and a sample coordinate (x, y) of the first feature, and
// checks that the sample lands inside region (ImportRegion) in that CRS:
//
//   - explicit wins, then declared, then WGS 84 (RFC 7946);
//   - with neither, projected-looking coordinates are an error naming the likely VN-2000 TM-3
//     zone (9212 for Bình Phước) instead of a silent import into the sea;
//   - a CRS that puts the sample far from region is an error naming both (a file declaring
//     EPSG:4326 with values like 569613, 1275708; latitude and longitude swapped).
//
// Errors are *MismatchError (ErrUnknownCRS for an explicit SRID outside the registry).
func ResolveCRS(explicit int, declared *CRS, x, y float64, region orb.Bound) (int, error) {
	srid, src := SRIDWGS84, ""
	switch {
	case explicit != 0:
		if _, ok := LookupCRS(explicit); !ok {
			return 0, &geoError{ErrUnknownCRS, fmt.Sprintf("EPSG:%d is not supported", explicit)}
		}
		srid, src = explicit, srcExplicitNoun
	case declared != nil:
		srid, src = declared.SRID, srcDeclaredNoun
	}
	sample := fmt.Sprintf("(%s, %s)", fmtCoord(x), fmtCoord(y))
	lon, lat, err := ToWGS84(x, y, srid)
	if err == nil && region.Contains(orb.Point{lon, lat}) {
		return srid, nil
	}
	c, _ := LookupCRS(srid)
	lonlat := lonLat(x, y)
	hint, suggest := "", 0
	swapped := region.Contains(orb.Point{y, x})
	if zone, ok := GuessVN2000Zone(x, y, region); ok && !lonlat && !swapped {
		z, _ := LookupCRS(zone)
		hint, suggest = fmt.Sprintf("; they look like %s (EPSG:%d)", z.Name, zone), zone
	} else if swapped {
		hint = "; they look like latitude, longitude: GeoJSON puts longitude first"
	} else if lonlat && c.Projected {
		hint, suggest = "; they look like longitude/latitude (WGS 84, EPSG:4326)", SRIDWGS84
	}
	if src == "" {
		if !lonlat && !swapped {
			if hint == "" {
				hint = "; give the CRS they are in"
			}
			return 0, &MismatchError{fmt.Sprintf("the coordinates %s are not longitude/latitude and the file names no CRS%s", sample, hint), suggest}
		}
		return 0, &MismatchError{fmt.Sprintf("the coordinates %s, read as WGS 84 longitude/latitude, are far outside the province%s", sample, hint), suggest}
	}
	where := "impossible there"
	if err == nil {
		where = fmt.Sprintf("at %.4f, %.4f, far outside the province", lon, lat)
	}
	return 0, &MismatchError{fmt.Sprintf("%s is %s (%s) but the first coordinates %s are %s%s",
		src, c.String(), c.Name, sample, where, hint), suggest}
}

func fmtCoord(v float64) string {
	if math.Abs(v) >= 1000 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.6g", v)
}
