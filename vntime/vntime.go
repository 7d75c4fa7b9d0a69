// Package vntime is Vietnam's legal time, defined once for every package: the zone in which a
// date in the data or in a request names a day, and the two conversions between such dates and
// instants that api, store and tiles share.
//
// Dates in gisd are legal dates in Vietnam: a land-use certificate issued on 2024-03-15, an
// administrative unit valid from 2025-07-01, a tile of the map as it was on a given day. They are
// days in Asia/Ho_Chi_Minh, which has been UTC+7 without daylight saving time since 1975, so a
// fixed zone is exact and needs no time-zone database in the binary or the container.
//
// It is its own leaf package, not part of geo, because it is not spatial (geo is the pure
// spatial code) and because every package from synth to api needs it: with nothing but the
// standard library among its imports it can be imported from anywhere without bending the
// one-way flow of imports. It must never import another gisd package.
package vntime

import (
	"errors"
	"time"
)

// Zone is Vietnam's legal time zone (ICT, UTC+7, no daylight saving time).
var Zone = time.FixedZone("ICT", 7*60*60)

// Date is the day in Vietnam at instant t, as YYYY-MM-DD.
func Date(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// ErrDate is the error of ParseDate.
var ErrDate = errors.New("want a date as YYYY-MM-DD")

// ParseDate reads a date written strictly as YYYY-MM-DD and returns the instant that day begins
// in Vietnam. The end of the day, the instant the next one begins, is d.AddDate(0, 0, 1).
func ParseDate(s string) (time.Time, error) {
	if len(s) != len(time.DateOnly) {
		return time.Time{}, ErrDate
	}
	d, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return time.Time{}, ErrDate
	}
	return d, nil
}
