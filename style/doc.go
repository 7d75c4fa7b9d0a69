// Package style is the one source of the map's look: the land-use palette, the styles of gisd's
// layers (parcels, constructions, administrative units, map sheets, and a default for imported
// layers), their labels, and the scale rules that say what shows at which zoom. The WMS renderer
// (package render) draws from these values, and MapLibre builds the same map as a MapLibre GL
// style document, so the web map, GetMap images and desktop clients show one cadastral map.
//
// Scale is expressed once, as a MapLibre zoom level (512-pixel tiles, the zoom the web map shows
// and the z of gisd's vector tiles). A renderer converts its pixel size to that zoom with ZoomAt;
// Resolution and ScaleDenominator convert back for WMS capabilities.
//
// Colours are color.NRGBA (not premultiplied). Land-use codes, their Vietnamese names and groups
// come from the database (land_use_codes): a Palette is built from that list, and maps any code
// to its own colour, its group's colour, or UnknownColor.
//
// The package is pure: it never imports pgx, gin, net/http or any other gisd package, and does
// no I/O.
package style
