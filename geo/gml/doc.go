// Package gml reads and writes GML geometries: GML 3.2 (WFS 2.0) and GML 3.1.1 (WFS 1.1.0),
// with the GML 2 forms older clients still send (gml:coordinates, gml:coord, gml:Box,
// outerBoundaryIs/innerBoundaryIs, MultiPolygon, MultiLineString).
//
// Axis order is resolved here, once, so that everything above works in x-first (longitude,
// easting) coordinates like storage and GeoJSON. Whether a name puts north first depends on how
// the name is spelled as much as on the CRS: urn:ogc:def:crs:EPSG::4326 and
// http://www.opengis.net/def/crs/EPSG/0/4326 follow EPSG (latitude first), while WFS clients
// (GDAL, QGIS, OWSLib, following GeoServer) write plain EPSG:4326 and
// http://www.opengis.net/gml/srs/epsg.xml#4326 longitude first, and CRS:84 is longitude first
// by definition. ParseSRSName reads the spelling (Form) and the code; a Resolver adds the axis
// order from the EPSG definition of the code (geo's registry, checked against PROJ).
//
// Decoding reads from the token stream of an *xml.Decoder made by ogcxml.NewDecoder, so a
// geometry can be read in place inside a filter or a WFS transaction; Decode reads a standalone
// document. Encoding appends to a byte slice or writes to an io.Writer without building a
// tree, with a fixed number of decimals, so a GetFeature of a million parcels streams.
//
// The package is pure: it imports orb, geo and ogcxml, never pgx, gin or net/http.
package gml
