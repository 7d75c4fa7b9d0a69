// Package cql2 parses OGC Common Query Language (CQL2) filters, in the text and the JSON
// encodings, into one syntax tree, and compiles that tree into a parameterized SQL predicate.
//
// It owns the language only. It knows nothing about layers or tables: a Resolver supplied by the
// caller (store implements it from the layer catalog) maps each property name to a trusted SQL
// expression and its type, and refuses names that are not queryable. Every literal of the filter
// becomes a bind parameter; no text written by a client ever reaches the SQL string.
//
// Supported: comparisons (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN, IS NULL, AND/OR/NOT, TRUE and
// FALSE, CASEI and ACCENTI, DATE and TIMESTAMP literals, WKT and GeoJSON geometries and BBOX, and
// the spatial predicates S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS,
// S_CROSSES, S_CONTAINS plus S_DWITHIN(a, b, distance[, units]) with the distance in metres on
// the ellipsoid. ILIKE, which is not CQL2 but what GDAL and SQL users write, is read as CASEI on
// both sides of LIKE. Temporal and array operators and arithmetic are not supported and are
// refused with a message naming them.
//
// Errors wrap one of ErrSyntax (the filter cannot be read; a *SyntaxError gives its position),
// ErrProperty (a property the resolver refuses) or ErrType (a well-formed filter that makes no
// sense, such as comparing a date with a number).
//
// The package is pure: it imports orb and geo, never pgx, gin or net/http.
package cql2
