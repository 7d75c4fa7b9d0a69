// Package fes reads OGC Filter Encoding — FES 2.0 (WFS 2.0) and Filter Encoding 1.1
// (WFS 1.1.0) — into the cql2 syntax tree, so that an XML filter is compiled to bound SQL by
// cql2.Compile through the layer's resolver exactly like a CQL2 filter: one filter model, many
// syntaxes. It also reads what goes with filters in WFS requests: SortBy (XML and KVP), the
// RESOURCEID/FEATUREID and BBOX parameters, and the parenthesised FILTER list of KVP requests.
//
// It lives beside cql2 rather than inside it because it is one more syntax of cql2's model
// and depends on cql2, never the reverse; keeping it apart keeps encoding/xml, GML and the
// hostile-XML guards out of the CQL2 core.
//
// Supported: PropertyIsEqualTo, NotEqualTo, LessThan, GreaterThan, LessThanOrEqualTo,
// GreaterThanOrEqualTo (with matchCase), PropertyIsLike (any wildCard, singleChar and
// escapeChar, matchCase), PropertyIsNull, PropertyIsNil, PropertyIsBetween; And, Or, Not; BBOX
// (with or without a property), Intersects, Within, Contains, Disjoint, Equals, Touches,
// Crosses, Overlaps, DWithin and Beyond (distance converted to metres); ResourceId (2.0),
// FeatureId and GmlObjectId (1.1). Property names may carry a namespace prefix or a
// "type/property" path. Temporal operators, functions and arithmetic are refused by name.
//
// FES literals are untyped text, so the parser asks the resolver (Options.Resolver) for the
// type of the property a literal is compared with and builds a typed cql2 literal; the same
// call refuses unknown and personal properties early. GML geometries are read by geo/gml with
// their srsName's axis order resolved, and enter the tree as literals that carry their SRID.
//
// Every document is read through ogcxml.NewDecoder (no DTD or entities, bounded size, depth
// and elements) and every error is an *ogcxml.Error with the OGC exception code to answer and
// a message for the client.
//
// The package is pure: it imports cql2, geo, geo/gml and ogcxml, never pgx, gin or net/http.
package fes
