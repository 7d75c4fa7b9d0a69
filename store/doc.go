// Package store is the only package that talks to PostgreSQL: the connection pool, schema
// migrations, the layer catalog, features and spatial queries, bulk loads (COPY), history and the
// change feed. It imports pgx, geo, importer and orb; it never imports gin, net/http, api or tiles.
//
// Every SQL value is a bind parameter. Identifiers come only from the catalog and pass through
// pgx.Identifier.Sanitize.
package store
