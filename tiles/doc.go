// Package tiles serves Mapbox Vector Tiles (MVT 2.1) rendered by PostGIS. It owns the tile
// request from the moment api has parsed it: it resolves the requested layers against one
// catalog snapshot, checks the caller may read them and that the filter can be evaluated on
// each one's public attributes, applies the catalog's zoom policy and decides the
// generalization and projection, keys and keeps a byte-bounded cache of gzip-compressed tiles,
// collapses concurrent misses of one tile into one render, drops cached tiles when the
// database's change notifications say their data changed, and describes tile sets as TileJSON
// 3.0.0.
//
// A tile request walks down once: api parses the HTTP request (path, z/x/y, date, and the
// filter into a cql2.Expr) and calls Service.Tile (or Service.TileJSON) once; the service hands
// store one typed description of the tile, a store.TileQuery, and gets the MVT bytes back.
// SQL text lives only in store: this package writes none, hands store no SQL-writing closure,
// and receives none. What is decided here is policy, as typed values:
//
//   - Zoom policy: layers outside their catalog zoom range are left out; a tile with no layer
//     left is empty (HTTP 204) and costs no statement. The cache key names the layers rendered,
//     so "admin_units,parcels" at z10 shares the entry of "admin_units".
//   - Generalization: up to z12, lines and polygons are simplified to the tile's pixel size
//     before they are snapped to the grid, and features smaller than a pixel in both directions
//     are left out (store.TileQuery's Simplify and MinSize).
//   - Projection: where the secant through the tile's buffered latitude range matches Web
//     Mercator to within an eighth of a tile unit (from z13 at the province's latitude), the
//     features inside the envelope are projected by that affine map instead of PROJ
//     (store.TileQuery's Affine); TestAffineProjectionMatchesPROJ holds the tiles to PROJ's.
//   - Time: layers with a valid time (admin units) show what was valid on the request's day,
//     today in Vietnam (package vntime) by default; for a past day the other layers show what
//     was recorded by the end of that day, from their history.
//   - Attributes: only the catalog's public ones, never personal or restricted ones, so whoever
//     may read a layer gets the same tile and one cache serves every caller; a filter may name
//     public attributes only.
//   - Tile geometry: Extent 4096 units, Buffer 64 (also the reach of invalidation).
//
// The cache stores each tile compressed once, keyed by the rendered layers, the tile, the date
// when a rendered layer depends on it, and the filter in canonical CQL2 text with its CRS. A
// change event (store.ChangeEvent, from the database's NOTIFY) drops every cached tile of the
// changed layer whose buffered bounds touch the change, and marks in-flight renders it touches
// so their result, possibly read before the change committed, is served but never cached.
//
// The package depends on geo, cql2, vntime and on store's types and a small Source interface
// that *store.Store satisfies. It never imports pgx, gin or net/http, never writes SQL and never
// runs a statement itself.
package tiles
