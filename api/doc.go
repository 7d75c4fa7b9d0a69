// Package api is gisd's HTTP surface, built on Gin: routes, handlers, authentication, the OGC API
// documents and the mapping of errors to application/problem+json responses. Every route is in
// one table (routes.go) and every error is answered through one table (errors.go). It is HTTP
// only: it reads and writes through store and tiles and never imports pgx or builds SQL.
package api
