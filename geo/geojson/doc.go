// Package geojson is gisd's streaming GeoJSON decoder: a FeatureCollection (RFC 7946, with the
// legacy crs member), or a sequence of Features (RFC 8142, newline-delimited), read one feature
// at a time in bounded memory, with geometry in go-geom's flat layout (see geo's roles of the
// geometry libraries). Hostile input — deep nesting, huge numbers, NaN, invalid UTF-8, a
// truncated file — is an error naming the byte offset, never a panic or unbounded work.
//
// It imports geo (CRS names) and go-geom; never pgx, gin, net/http, importer or store. Errors
// about the input wrap ErrInvalid ("geojson: feature 3 (byte 1207): ..."); a failing reader is
// a *ReadError.
package geojson
