#!/usr/bin/env bash
# bench-ogr.sh — importer/ogr against ogr2ogr alone on the same zipped Shapefile.
#
#   1. gisd synth writes BENCH_PARCELS (default 100,000) parcels in VN-2000 / TM-3 106-15; ogr2ogr
#      turns them into a Shapefile (UTF-8 attributes, no .cpg, so the encoding is detected as in
#      legacy files), zipped.
#   2. `ogr2ogr -f GeoJSON -lco RFC7946=NO /vsistdout/` on the unzipped Shapefile, to /dev/null,
#      under /usr/bin/time: GDAL's own conversion, the floor.
#   3. BenchmarkOpen_ShapefileZip on the zip: the upload copied and checked, the zip checked and
#      extracted, the layer inspected, the encoding detected (a second, attribute-only GDAL pass),
#      the conversion streamed and read to its end. It reports features/s, the GDAL processes'
#      peak RSS and CPU time, and the Go process's own peak RSS and CPU time (CPU times, unlike
#      wall times, hold up on a machine shared with other work).
#
# Environment: BENCH_PARCELS, BENCH_COUNT (benchmark runs, default 3).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
N=${BENCH_PARCELS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/gisd" ./cmd/gisd
"$work/gisd" synth --parcels "$N" --srid 9212 --decimals 3 --out "$work/parcels.geojson" >&2
ogr2ogr -f "ESRI Shapefile" -nln thua -lco ENCODING=UTF-8 "$work/shp" "$work/parcels.geojson" 2>/dev/null
rm -f "$work/shp/thua.cpg"
(cd "$work/shp" && zip -q ../thua.zip thua.*)
ls -l "$work/thua.zip" "$work/shp" >&2

echo "ogr2ogr -f GeoJSON alone, $N parcels:"
for i in 1 2 3; do
	/usr/bin/time -f "  %e s, CPU %U s user + %S s system, peak RSS %M KB" ogr2ogr -f GeoJSON -lco RFC7946=NO -oo ENCODING=ISO-8859-1 \
		/vsistdout/ "$work/shp/thua.shp" >/dev/null
done
echo "importer/ogr, $N parcels:"
OGR_BENCH_ZIP="$work/thua.zip" go test ./importer/ogr -run '^$' -bench BenchmarkOpen_ShapefileZip \
	-benchtime "${BENCH_COUNT:-3}x" -count 1 | grep Benchmark
