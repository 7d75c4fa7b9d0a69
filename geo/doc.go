// Package geo holds pure spatial code for gisd: the CRS registry (VN-2000
// and the web CRSs), a pure-Go VN-2000 transformation (transverse Mercator
// plus the 7-parameter datum shift), bbox parsing, web-map tile maths,
// Vietnamese name folding for search, and planar areas.
//
// It never imports pgx, gin or net/http. It does no I/O: every table it
// needs is compiled in, so it can be used from the store, the tile server,
// the HTTP layer and command-line tools alike, and tested without a database.
//
// Errors returned by the package wrap one of the sentinels ErrUnknownCRS,
// ErrInvalidBBox, ErrInvalidTile or ErrOutOfRange, so callers can map them
// with errors.Is; their messages read "geo: bbox: want 4 or 6 numbers, got 3".
package geo
