// Package store is the only package that talks to PostgreSQL: the connection pool (Open), schema
// migrations, the layer catalog, features and spatial queries, vector tiles, bulk loads (COPY),
// history and the change feed. It imports pgx, cql2, geo, importer and orb; it never imports gin,
// net/http, api or tiles. Only store's own tree (storetest, its test helper, and the
// internal/tilebench measuring tool) imports pgx besides it.
//
// SQL text lives here and nowhere else. Other packages hand store typed descriptions of what
// they want — a FeatureQuery, a TileQuery (the tile service's zoom, generalization and
// projection decisions as values), a parsed cql2.Expr — and get rows, JSON or bytes back; no
// SQL string and no SQL-writing function crosses the package boundary in either direction. Inside,
// one vocabulary reads a layer (layersql.go: its relation, its attributes, its own rows in the
// shared table of imported layers, the layer as it was at an instant), and every statement —
// tiles, OGC features, spatial queries, history, the change feed, writes — is written with it.
// Filters are compiled by cql2 through this package's resolver, which maps each queryable to
// its column and refuses what the caller may not see.
//
// Imports are split by job: importer (pure) reads, checks and converts the features; store's
// import_*.go record the job, stage the rows (COPY), validate them against the database (set
// based), write them in one transaction, hold the job's lease, and revert.
//
// Every SQL value is a bind parameter. Identifiers come only from the catalog and pass through
// pgx.Identifier.Sanitize. Statement texts depend on the query's shape, never on its values, so
// the statements pgx prepares are reused.
package store
