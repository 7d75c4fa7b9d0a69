// Package render draws maps: features and their style (package style) in, an image out. It is
// what WMS GetMap and GetLegendGraphic draw with, and it is pure: no HTTP, no SQL, no I/O but the
// io.Writer an encoder is given. It never imports pgx, gin or net/http, nor store, tiles or api.
//
// The caller resolves everything about coordinates: a Frame is the image size, the bounding box
// in the output CRS with its axes already in x/y order, and the zoom the pixel size corresponds
// to (style.ZoomAt); features arrive with orb geometries in the same x/y. The caller also picks
// which features to fetch (the catalog's zoom policy, as for tiles); Layer.Attributes in package
// style says which attributes the style reads.
//
// How it draws:
//
//   - Polygons and strokes are anti-aliased by golang.org/x/image/vector, an accumulation
//     rasterizer whose coverage is the absolute value of the summed signed areas. Exterior rings
//     are therefore turned counter-clockwise and holes clockwise before they are added, so holes
//     stay empty whichever way the data winds them, and overlapping parts of a multipolygon do
//     not cancel out.
//   - Strokes are outline polygons built by a small stroker (stroke.go): each unbroken run of
//     a line becomes one polygon, its left offset forward and its right offset back, with a
//     miter (a bevel past MapLibre's miter limit of 2) on the outer side of each turn and the
//     offsets' crossing (or a pivot through the vertex) on the inner side; a closed ring becomes
//     its outer and inner offsets wound opposite ways. Everything winds the same way, so the
//     rasterizer's sum covers the stroke fully and without seams; TestStroke_OutlineMatchesPieces
//     checks it against the union of a quadrilateral per segment and a wedge per join. Lines
//     thinner than a pixel are drawn a pixel wide and fainter, as MapLibre does. Dashes follow
//     MapLibre's line-dasharray (in line widths).
//   - Each rule is drawn over the whole layer before the next (all fills, then all outlines). A
//     rule's strokes are rasterized as one path, so a boundary two parcels share is drawn once,
//     not twice as dark; fills are rasterized feature by feature, in boxes the size of each
//     feature. Large paths are rasterized in boxes of 256 pixels, each fed only the subpaths
//     that reach it, where x/image/vector is fastest.
//   - Geometry far outside the frame is clipped first (Sutherland–Hodgman for rings, Liang–Barsky
//     for segments), so a commune boundary at zoom 20 costs what its visible part costs.
//   - Labels come last, over every layer: inside polygons at their pole of inaccessibility (the
//     interior point farthest from the outline, which a centroid is not for an L-shaped parcel),
//     at points, or at the middle of lines; in Noto Sans (package render/fonts) with a halo;
//     larger and more important features first, and a label that would overlap one already
//     placed, or cross the frame's edge, is left out.
//
// Encoders write PNG (32-bit RGBA), PNG 8-bit (an adaptive palette: the most used colours
// exactly, the anti-aliasing shades by median cut) and JPEG.
package render
