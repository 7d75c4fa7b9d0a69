// Package tiles serves Mapbox Vector Tiles (MVT 2.1) built by PostGIS: it writes the one SQL
// statement that renders a composite tile, applies the catalog's zoom policy and generalization,
// keeps a byte-bounded cache of gzip-compressed tiles that the database's change notifications
// invalidate, collapses concurrent misses of one tile into one query, and describes tile sets as
// TileJSON 3.0.0.
//
// How a tile is made:
//
//   - One statement per tile, however many layers: each layer is a scalar subquery producing its
//     own ST_AsMVT, and the layers are concatenated with || (concatenated MVT layers are a valid
//     multi-layer tile). Layers outside their catalog zoom range are left out of the statement;
//     a tile with no layer left, or with no feature, is empty (HTTP 204).
//   - The query envelope is ST_TileEnvelope with a margin of Buffer/Extent, clipped to the
//     Web Mercator square and transformed to the column's SRID (4326) so the GiST index is used;
//     ST_AsMVTGeom clips to the same buffer. (Without the clip, the margin of a tile on the
//     antimeridian wraps to the other side of the world and the envelope misses the tile.)
//   - Generalization: polygons and lines are simplified to the tile's pixel size before
//     ST_AsMVTGeom snaps them to the grid, and features smaller than a pixel are skipped.
//   - Attributes: only the catalog's public ones, never personal or restricted ones. Feature ids
//     are the rows' ids. Layers with a valid-time (admin units) show what was valid on the
//     request's date, today (Asia/Ho_Chi_Minh) by default.
//
// The cache stores each tile compressed once, keyed by layers, tile, date and filter. A change
// event (store.ChangeEvent, from the database's NOTIFY) drops every cached tile of the changed
// layer whose buffered bounds touch the change, and marks in-flight queries that it touches so
// their result, possibly read before the change committed, is served but never cached.
//
// Filter carries a CQL2 filter (?filter=) into the statement: an extra predicate per layer, with
// its own bind parameters (store.Layer.FilterSQL), named in the cache key.
//
// The package depends on geo and on store's types and a small Source interface that *store.Store
// satisfies; it never imports pgx, gin or net/http, and never runs SQL itself.
package tiles
