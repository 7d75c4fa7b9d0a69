// Package extract draws the parcel extract (trích lục bản đồ địa chính): the A4 PDF a land
// officer hands to a citizen, with the parcel and its neighbours drawn to a stated cadastral
// scale, its attributes, the table of its corner coordinates in VN-2000 with edge lengths, and the
// date and data version it was drawn from.
//
// The package is pure: an Extract (everything the document shows, already loaded and in the
// province's VN-2000 TM-3 zone) in, PDF bytes out through an io.Writer. It never imports pgx,
// gin, net/http, nor store, tiles or api; the caller loads the data (store.ParcelExtract) and
// decides what the reader may see — the owner is printed only when the input carries one, and an
// input without it leaves no trace of it in the document.
//
// Conventions of Vietnamese cadastral documents it follows:
//
//   - Coordinates are written X, Y in the geodetic order: X is the northing and Y the easting
//     (the X axis of VN-2000's plane grid points north, Y east), the reverse of the x/y (easting,
//     northing) of GIS software and of the geometries this package is given. Both to 0.01 m.
//   - Corners are numbered clockwise from the north-west corner of each parcel, as surveyors
//     number them, and each edge runs from a corner to the next one.
//   - Numbers use the vi-VN form: comma decimals, thousands grouped with dots in areas and lengths
//     (1.234,5 m²); coordinates keep their digits ungrouped (1275708,64), as coordinate tables
//     print them. Dates are dd/mm/yyyy.
//   - The map is drawn at the largest round scale of the cadastral series (1:200, 1:500, 1:1000,
//     1:2000, 1:5000, then 1:10000 and coarser) at which the parcel fits its frame, grid north up.
//
// The PDF is made with codeberg.org/go-pdf/fpdf, with Noto Sans (package render/fonts, SIL Open
// Font License 1.1) embedded as a subset, so Vietnamese prints correctly without fonts on the
// server. The same input always gives the same bytes: the document's dates are the input's
// drawing time and its internal catalogues are written in sorted order.
package extract
