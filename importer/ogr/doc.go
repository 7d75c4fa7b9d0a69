// Package ogr reads the vector files GIS staff have — zipped Shapefiles, GeoPackages, KML and
// KMZ, CSV with a WKT column and MicroStation DGN v7 — through GDAL's command-line tools and
// turns one layer of them into a GeoJSON FeatureCollection stream for the import pipeline, the
// same stream a GeoJSON upload is. It adds no second pipeline: validation, the report, progress,
// limits and the all-or-nothing rule stay where GeoJSON imports have them.
//
// GDAL runs as separate processes (ogrinfo to inspect, ogr2ogr to convert), never linked in: a
// crash or a hostile file cannot take the server down, a timeout or a cancelled import kills the
// process group, and the conversion streams (ogr2ogr writes to its standard output, which the
// pipeline reads as it goes), so a file is never held in memory. Before GDAL sees a file, this
// package refuses what GDAL would happily open: zip bombs and entries outside the archive,
// KML with a DOCTYPE, GeoPackage layers that are views; and it checks what GDAL does not: a
// Shapefile whose .dbf and .shp disagree on the record count.
//
// Text: Shapefile, CSV and DGN attributes are read as raw bytes (each byte one code point,
// U+0000-U+00FF, in the stream), their encoding is detected with text/vnenc (or named by the
// caller), and Source.TextTransform decodes each value to Unicode NFC. The CRS: a .prj (or
// a GeoPackage's or KML's CRS) is resolved to an EPSG code of the geo registry by comparing the
// projection parameters, in any of the forms ESRI and MapInfo write VN-2000, and written into the
// stream as the legacy GeoJSON "crs" member, which the pipeline reads.
//
// The package does file and process I/O only: it never imports store, api or pgx. It imports
// geo (the CRS registry) and text/vnenc.
package ogr
