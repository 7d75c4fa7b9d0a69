// Package geo holds pure spatial code for gisd: the CRS registry (VN-2000 and the web CRSs), a
// pure-Go VN-2000 transformation (transverse Mercator plus the 7-parameter datum shift) and the
// resolution of an input's CRS, bbox parsing, web-map tile maths, Vietnamese name folding for
// search, planar areas, and the checks of imported geometry (types, rings, provable validity).
//
// Each geometry library has one role:
//
//   - paulmach/orb is the model of bounds and of the geometry gisd makes or serves itself:
//     generated data (synth), tiles (maptile), bboxes, areas, projections of API geometry
//     (Project, Unproject). bbox.go, tile.go, tm.go, area.go, project.go and resolve.go use it.
//   - twpayne/go-geom is the import path's model: geo/geojson decodes features into its flat
//     coordinate arrays (few allocations for millions of features), CheckGeometry and
//     ProvablySimple (validate.go, simple.go) check them, UnprojectFlat converts them in place,
//     and importer encodes them as EWKB for COPY.
//
// Nothing converts between the two: a value stays in the library it was made in.
//
// It never imports pgx, gin or net/http. It does no I/O: every table it needs is compiled in, so
// it can be used from the store, the tile server, the HTTP layer and command-line tools alike,
// and tested without a database. Its subpackage geojson (the streaming GeoJSON decoder) imports
// it, not the other way round.
//
// Errors returned by the package wrap one of the sentinels ErrUnknownCRS, ErrInvalidBBox,
// ErrInvalidTile, ErrOutOfRange or ErrCRSMismatch, so callers can map them with errors.Is; their
// messages read "geo: bbox: want 4 or 6 numbers, got 3". No message names a flag or a
// parameter: MismatchError carries the EPSG code to suggest, and callers say how to give it.
package geo
