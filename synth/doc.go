// Package synth generates a deterministic, realistic synthetic Bình Phước
// province for demos and benchmarks (gisd demo, gisd synth): administrative
// units with their 2025 reform versions, land parcels with owners and
// land-use purposes, and constructions with permits.
//
// It owns the synthetic world and nothing else: it does no I/O except to
// an io.Writer it is given (WriteGeoJSON), reads no data files, uses no
// clock and no global random source; the same seed gives byte-identical
// output on a given architecture (compilers that fuse floating-point
// multiply-adds, as on arm64, may change the last bits between
// architectures). It imports only the standard library and
// github.com/paulmach/orb, never store, api, geo, pgx or net/http.
//
// What is real and what is not:
//
//   - The province outline is synthetic (it spans the real extent and has
//     about the real area, 6,877 km²). The 11 districts carry their real
//     codes (688–698) and names; their shapes are Voronoi cells of their
//     approximate real centroids.
//   - The 111 communes are synthetic: names built from common place-name
//     words and codes 25190+40·i+k (i the district's index, k the commune's
//     rank in it). They are not the real GSO codes.
//   - The 2025 reform is modelled as new versions valid from 2025-07-01:
//     province 75 (Đồng Nai) and about 45 merged communes. Only the former
//     Bình Phước part of the new Đồng Nai is modelled: province 75's
//     geometry here is the Bình Phước outline.
//   - Parcels, owners, ID numbers, certificates and permits are synthetic;
//     any resemblance to real people is accidental.
//
// Geometry is computed in metres in a local equal-area approximation and
// written in lon/lat (EPSG:4326) with counter-clockwise exteriors
// (RFC 7946). Every level tiles its parent without gaps or overlaps. Cells
// are Voronoi cells clipped to their parent by successive half-planes, and
// every computed vertex is derived from the pair of lines it lies on, not
// from the order of clipping, so neighbours within one parent share their
// vertices bit for bit. Where cells of two parents meet, their vertices
// differ but lie on the parents' common edge (T-junctions, off by ~1e-9 m).
// Coordinates are therefore not rounded (see GeoJSONOptions.Decimals).
package synth
