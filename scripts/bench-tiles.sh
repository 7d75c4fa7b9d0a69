#!/usr/bin/env bash
# bench-tiles.sh — `make bench-tiles`: vector tile throughput on a province of a million parcels.
#
#   1. loads the demo province with 1,000,000 synthetic parcels (`gisd demo --parcels`) into its
#      own database, gisd_bench_tiles, on the local cluster (kept between runs; BENCH_RELOAD=1
#      reloads it);
#   2. writes a fixed pseudo-random list of composite tiles (admin_units,parcels,constructions)
#      over the province at z10–z18;
#   3. replays the list with wrk (Debian package) against
#        cold      gisd with the tile cache disabled: every tile is rendered by PostGIS;
#        warm      gisd with the cache on, after one pass over the list filled it;
#        baseline  a plain server running one ST_AsMVT statement per tile, no generalization,
#                  no cache, no compression (store/internal/tilebench), with the same pool size;
#   4. prints tiles/s, p50/p95/p99 latency and the mean tile size, and writes them as a Markdown
#      table to artifacts/bench-tiles.md.
#
# Settings (environment): BENCH_PARCELS (1000000), BENCH_TILES (3000), BENCH_POOL (16, gisd's
# default --db-max-conns), BENCH_CONNS (32 client connections), BENCH_SECONDS (20 per run),
# BENCH_ROUNDS (3 alternating cold/baseline rounds; the median counts), BENCH_RELOAD (0). With DATABASE_URL set, the bench database is created on that server instead.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-tiles

PARCELS=${BENCH_PARCELS:-1000000}
NTILES=${BENCH_TILES:-3000}
POOL=${BENCH_POOL:-16}
CONNS=${BENCH_CONNS:-32}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
DB=gisd_bench_tiles
GISD_PORT=18471
BASE_PORT=18472
LAYERS=admin_units,parcels,constructions

need wrk wrk
need psql postgresql-client
bench_build
go build -o bin/tilebench ./store/internal/tilebench
bench_workdir

# The bench database: the server of DATABASE_URL or of the local cluster, database $DB.
bench_urls "$DB"
bench_create_db "$DB"
bench_demo "$PARCELS" "${BENCH_RELOAD:-0}"
have=$(parcels_in "$DB")
log "$DB holds $have parcels, $(psql "$url" -XtAc "SELECT count(*) FROM constructions") constructions"

bbox=$(psql "$url" -XtAc "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom) AS e FROM admin_units) x")
bin/tilebench list -bbox "$bbox" -n "$NTILES" -zmin 10 -zmax 18 -seed 1 -layers "$LAYERS" >"$work/tiles.txt"
log "$NTILES tiles over $bbox at z10-z18"

cat >"$work/replay.lua" <<'EOF'
-- Replays the tile list, each thread from its own offset; prints one RESULT line.
local paths = {}
for line in io.lines(os.getenv("TILE_LIST")) do paths[#paths + 1] = line end
local counter = 0
local threads = {}
function setup(thread)
	thread:set("offset", #threads * 7919)
	table.insert(threads, thread)
end
function init(args)
	counter = offset or 0
end
function request()
	counter = counter + 1
	return wrk.format("GET", paths[(counter % #paths) + 1], { ["Accept-Encoding"] = "gzip" })
end
function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
		summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000, summary.requests,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
EOF

# run NAME PORT: replays the list against the server on PORT; prints the RESULT line.
run() {
	local name=$1 port=$2 out
	out=$(TILE_LIST="$work/tiles.txt" wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --timeout 30s -s "$work/replay.lua" "http://127.0.0.1:$port" 2>&1) ||
		die "wrk failed against $name: $out"
	local line
	line=$(grep '^RESULT' <<<"$out") || die "no result from wrk against $name: $out"
	log "$name: ${line#RESULT }"
	printf '%s %s\n' "$name" "${line#RESULT }" >>"$work/results"
}

serve() { bench_serve "$GISD_PORT" "$work/gisd.log" --db-max-conns "$POOL" --tile-cache-bytes "$1"; }

: >"$work/results"

# Cold (cache disabled: PostGIS renders every tile) and the baseline run side by side, each with a
# pool of $POOL connections; they take turns, $ROUNDS rounds each, and the median round counts,
# so that a burst of other work on the machine does not decide the comparison.
serve 0
bin/tilebench baseline -database-url "$url" -addr "127.0.0.1:$BASE_PORT" -db-max-conns "$POOL" >"$work/baseline.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$BASE_PORT/tiles/admin_units/0/0/0.mvt" || die "the baseline server did not start: $(tail -n 20 "$work/baseline.log")"
# One pass over the list on each: the tile sizes, and PostgreSQL's buffers warmed for both alike.
sizes=$(bin/tilebench sizes -base "http://127.0.0.1:$GISD_PORT" -list "$work/tiles.txt")
log "gisd tiles: $sizes"
bin/tilebench sizes -base "http://127.0.0.1:$BASE_PORT" -list "$work/tiles.txt" >"$work/baseline-sizes"
log "baseline tiles: $(cat "$work/baseline-sizes")"
for r in $(seq 1 "$ROUNDS"); do
	run "cold-$r" "$GISD_PORT"
	run "baseline-$r" "$BASE_PORT"
done
stop_last
stop_last

# Warm: the default 256 MiB cache, filled by one pass over the list.
serve $((256 << 20))
bin/tilebench sizes -base "http://127.0.0.1:$GISD_PORT" -list "$work/tiles.txt" >/dev/null
run warm "$GISD_PORT"
hits=$(curl -fsS "http://127.0.0.1:$GISD_PORT/metrics" | awk '/^gisd_tile_cache_requests_total\{outcome="hit"\}/ {print $2}')
stop_last

# median NAME: renames the median round of NAME-1..NAME-$ROUNDS (by tiles/s) to NAME.
median() {
	local m
	m=$(grep "^$1-" "$work/results" | sed 's/ rps=\([0-9.]*\).*/ \1/' | sort -k2 -g | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $1 }')
	grep "^$m " "$work/results" | sed "s/^$m /$1 /" >>"$work/results"
}
median cold
median baseline

field() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$work/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
meanraw=$(sed -n 's/.*mean_raw_bytes=\([0-9]*\).*/\1/p' <<<"$sizes")
meangz=$(sed -n 's/.*mean_gzip_bytes=\([0-9]*\).*/\1/p' <<<"$sizes")
basemean=$(sed -n 's/.*mean_raw_bytes=\([0-9]*\).*/\1/p' "$work/baseline-sizes")

mkdir -p artifacts
{
	echo "### Vector tiles: \`make bench-tiles\`"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(psql "$url" -XtAc 'SELECT count(*) FROM parcels') parcels, $NTILES composite tiles ($LAYERS) at z10–z18, wrk -t2 -c$CONNS -d${SECONDS_PER_RUN}s, pool $POOL connections; cold and baseline: median of $ROUNDS alternating rounds."
	echo
	echo "| run | tiles/s | p50 ms | p95 ms | p99 ms | errors |"
	echo "|---|---:|---:|---:|---:|---:|"
	for n in cold warm baseline; do
		echo "| $n | $(field $n rps) | $(field $n p50_ms) | $(field $n p95_ms) | $(field $n p99_ms) | $(field $n errors) |"
	done
	echo
	echo "Mean tile (non-empty): gisd $meanraw bytes, $meangz gzip-compressed; baseline $basemean bytes. $sizes"
	echo
	echo "warm/cold $(ratio "$(field warm rps)" "$(field cold rps)")×, cold/baseline $(ratio "$(field cold rps)" "$(field baseline rps)")×, warm/baseline $(ratio "$(field warm rps)" "$(field baseline rps)")×; cache hits during the warm run: $hits."
	echo
	echo "Rounds (tiles/s): cold $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "$(field "cold-$r" rps)"; done)— baseline $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "$(field "baseline-$r" rps)"; done)"
} >artifacts/bench-tiles.md
cat artifacts/bench-tiles.md
