// Package importer is the pure half of gisd's import: it reads features (through the streaming
// GeoJSON decoder of geo/geojson), checks their geometry (geo), maps the file's fields to a
// layer's attributes (--map, the built-in Vietnamese field names, normalised names for a layer
// being created), converts each value to the type of the column that will hold it, refuses
// what would corrupt data or bloat every tile (oversized values, too many attributes, names gisd
// uses itself, control characters in names), finds duplicate keys, encodes the geometry as EWKB,
// and keeps the report. It owns the types that describe an import to its callers: Options,
// Counts, Entry, Result, Progress.
//
// It does no I/O beyond the reader it is given and never talks to a database: store (the
// database writer: staging, COPY, set-based validation, insert, upsert, replace, revert) drives
// a Reader and describes the target layer to it as a Schema. Arrows point one way:
//
//	cmd/gisd, api → store → importer → geo/geojson → geo
//	cmd/gisd, api → importer (options, results)
//
// importer never imports store, pgx, gin or net/http, and no message it writes names a
// command-line flag or an HTTP parameter: OptionError carries the option's name, and cmd/gisd
// and api say it their way.
//
// Geometry is go-geom's, as everywhere on the import path (see geo).
package importer
