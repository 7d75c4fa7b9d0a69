#!/usr/bin/env bash
# bench-queries.sh — `make bench-queries`: the spatial queries sector applications call, on a
# province of a million parcels, through gisd and straight in SQL.
#
#   1. provides a database of its own, gisd_bench_queries, holding the demo province with
#      1,000,000 synthetic parcels (`gisd demo --parcels`): cloned from make bench-tiles'
#      database when that one is complete and idle, loaded otherwise (a few minutes); kept between
#      runs (BENCH_RELOAD=1 reloads it);
#   2. starts gisd on it and drives three queries with wrk at concurrency 8, each request at a
#      random point of the central part of the province (lon 106.75–107.05, lat 11.55–11.95, where
#      parcels tile the land):
#        point-in-parcel  GET /api/v1/parcels/at?lon=&lat=            (parcel + its admin units)
#        nearby           GET /api/v1/layers/parcels/nearby?…&radius_m=200&limit=50
#        items-bbox       GET /ogc/collections/parcels/items?bbox=<550 m square>&limit=100
#   3. runs the same SQL statements, drawn from the same distribution, through pgbench (-M
#      prepared, 8 clients) as the baseline: what the database alone costs, without HTTP, JSON
#      or Go;
#   4. prints requests/s and p50/p99 latency for each and writes them as a Markdown table to
#      artifacts/bench-queries.md.
#
# The pgbench statements mirror store/queries.go (ParcelsAt, AdminUnitsAt, Nearby) and
# store/features.go (Features with a bbox: a count and a page); change them together.
#
# Settings (environment): BENCH_PARCELS (1000000), BENCH_CONC (8), BENCH_SECONDS (20 per run),
# BENCH_POOL (16, gisd's default --db-max-conns), BENCH_RELOAD (0). With DATABASE_URL set, the
# bench database is created on that server instead of the local cluster.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-queries

PARCELS=${BENCH_PARCELS:-1000000}
CONC=${BENCH_CONC:-8}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
POOL=${BENCH_POOL:-16}
DB=gisd_bench_queries
SOURCE_DB=gisd_bench_tiles
PORT=18481

need wrk wrk
need psql postgresql-client
need pgbench postgresql-contrib
bench_build
bench_workdir

# The bench database on the server of DATABASE_URL or of the local cluster: a copy of the tile
# bench's province when that one is complete and idle.
bench_urls "$DB"
if [ "${BENCH_RELOAD:-0}" = 1 ] && db_exists "$DB"; then
	psql "$admin_url" -Xqc "DROP DATABASE $DB WITH (FORCE)"
fi
bench_create_db "$DB" "$SOURCE_DB" "$PARCELS"
bench_demo "$PARCELS"
psql "$url" -Xqc "VACUUM ANALYZE parcels" -c "VACUUM ANALYZE admin_units"
have=$(parcels_in "$DB")
log "$DB holds $have parcels"

bench_serve "$PORT" "$work/gisd.log" --db-max-conns "$POOL"

cat >"$work/http.lua" <<'EOF'
-- Random points of the central province; one RESULT line at the end.
local kind = os.getenv("BENCH_KIND")
local threads = {}
function setup(thread)
	thread:set("seed", #threads + 1)
	table.insert(threads, thread)
end
function init(args)
	math.randomseed(seed * 7919)
end
function request()
	local lon = 106.75 + math.random() * 0.30
	local lat = 11.55 + math.random() * 0.40
	local path
	if kind == "point-in-parcel" then
		path = string.format("/api/v1/parcels/at?lon=%.7f&lat=%.7f", lon, lat)
	elseif kind == "nearby" then
		path = string.format("/api/v1/layers/parcels/nearby?lon=%.7f&lat=%.7f&radius_m=200&limit=50", lon, lat)
	else
		path = string.format("/ogc/collections/parcels/items?bbox=%.7f,%.7f,%.7f,%.7f&limit=100", lon, lat, lon + 0.005, lat + 0.005)
	end
	return wrk.format("GET", path)
end
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
	-- Paced runs wait between requests on each connection, so the offered rate stays below
	-- what the machine can serve and latency is not queueing.
	function delay() return pause end
end
function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
		summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
EOF

# The public properties of a parcel as the store builds them (store/featurejson.go).
props="jsonb_build_object('commune_code', t.commune_code, 'sheet_no', t.sheet_no, 'parcel_no', t.parcel_no,
	'old_sheet_no', t.old_sheet_no, 'old_parcel_no', t.old_parcel_no, 'main_use', t.main_use, 'land_use', t.land_use,
	'official_area_m2', t.official_area_m2, 'legal_area_m2', t.legal_area_m2, 'address', t.address)"
point="\\set lon 106.75 + random(0, 1000000) * 0.0000003
\\set lat 11.55 + random(0, 1000000) * 0.0000004"

cat >"$work/point-in-parcel.sql" <<EOF
$point
SELECT p.id, p.commune_code, p.sheet_no, p.parcel_no, p.old_sheet_no, p.old_parcel_no, p.main_use,
	p.land_use, p.official_area_m2::float8, p.legal_area_m2::float8, p.address, p.version, p.updated_at,
	ST_AsGeoJSON(p.geom, 9, 0) FROM parcels p
	WHERE ST_Intersects(p.geom, (SELECT ST_SetSRID(ST_MakePoint(:lon::float8, :lat::float8), 4326::integer))) ORDER BY p.id LIMIT 20;
SELECT a.code, a.level, a.kind, a.name, a.parent_code, a.valid_from::timestamp, a.valid_to::timestamp, a.area_m2::float8
	FROM admin_units a WHERE a.validity @> CURRENT_DATE
	AND ST_Intersects(a.geom, (SELECT ST_SetSRID(ST_MakePoint(:lon::float8, :lat::float8), 4326::integer)))
	ORDER BY array_position(ARRAY['province', 'district', 'commune'], a.level), a.code;
EOF

cat >"$work/nearby.sql" <<EOF
$point
SELECT ST_Distance(t.geom::geography, ST_SetSRID(ST_MakePoint(:lon::float8, :lat::float8), 4326)::geography),
	json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 9, 0)::json, 'properties', $props)::text
	FROM parcels AS t
	WHERE t.geom && ST_Expand(ST_SetSRID(ST_MakePoint(:lon::float8, :lat::float8), 4326),
		202.0 / (111319 * cos(radians(:lat::float8 + 0.00183))), 0.00182683)
	AND ST_DWithin(t.geom::geography, ST_SetSRID(ST_MakePoint(:lon::float8, :lat::float8), 4326)::geography, 200::float8)
	ORDER BY 1, t.id LIMIT 50;
EOF

cat >"$work/items-bbox.sql" <<EOF
$point
\\set lon2 :lon + 0.005
\\set lat2 :lat + 0.005
SELECT count(*) FROM parcels AS t
	WHERE ST_Intersects(t.geom, ST_MakeEnvelope(:lon::float8, :lat::float8, :lon2::float8, :lat2::float8, 4326::integer));
SELECT t.id, json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 9, 0)::json, 'properties', $props)::text
	FROM parcels AS t
	WHERE ST_Intersects(t.geom, ST_MakeEnvelope(:lon::float8, :lat::float8, :lon2::float8, :lat2::float8, 4326::integer))
	ORDER BY t.id ASC LIMIT 101;
EOF

: >"$work/results"

# buckets ROUTE: gisd's request-duration histogram of ROUTE as "le count" lines (cumulative).
buckets() {
	curl -fsS "http://127.0.0.1:$PORT/metrics" |
		awk -v r="route=\"$1\"" 'index($0, "gisd_http_request_duration_seconds_bucket{") == 1 && index($0, r) {
			match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); print le, $NF }'
}

# server_pct BEFORE AFTER: the histogram buckets holding the 50th and 99th percentiles of the
# requests between two snapshots: what gisd itself measured, without the load generator's own
# queueing on a shared machine.
server_pct() {
	join <(sort "$1") <(sort "$2") | awk '{ print ($1 == "+Inf" ? 1e9 : $1), $3 - $2 }' | sort -g |
		awk '{ le[NR] = $1; c[NR] = $2 } END {
			total = c[NR]; p50 = p99 = "+Inf"
			for (i = 1; i <= NR; i++) {
				v = (le[i] >= 1e9) ? "+Inf" : le[i] * 1000
				if (p50 == "+Inf" && c[i] >= total * 0.50) p50 = v
				if (p99 == "+Inf" && c[i] >= total * 0.99) p99 = v
			}
			printf "srv_p50_ms=%s srv_p99_ms=%s", p50, p99 }'
}

route_of() {
	case $1 in
	point-in-parcel) echo "/api/v1/parcels/at" ;;
	nearby) echo "/api/v1/layers/:layer/nearby" ;;
	items-bbox) echo "/ogc/collections/:collection/items" ;;
	esac
}

# http KIND SECONDS warmup|measure [LABEL]: wrk against gisd; records the RESULT line of a
# measured run under LABEL (default KIND).
http() {
	local kind=$1 secs=$2 label=${4:-$1} out line route srv
	route=$(route_of "$kind")
	buckets "$route" >"$work/before"
	out=$(BENCH_KIND="$kind" wrk -t2 -c"$CONC" -d"${secs}s" --timeout 30s -s "$work/http.lua" "http://127.0.0.1:$PORT" 2>&1) ||
		die "wrk failed on $kind: $out"
	line=$(grep '^RESULT' <<<"$out") || die "no result from wrk on $kind: $out"
	[ "$3" = warmup ] && return
	buckets "$route" >"$work/after"
	srv=$(server_pct "$work/before" "$work/after")
	log "gisd $label: ${line#RESULT } $srv"
	printf 'gisd:%s %s %s\n' "$label" "${line#RESULT }" "$srv" >>"$work/results"
}

# sql KIND: the same statements through pgbench; p50/p99 from its per-transaction log.
sql() {
	local kind=$1 out lat
	rm -f "$work"/pgb.*
	out=$(pgbench -n -M prepared -c "$CONC" -j 2 -T "$SECONDS_PER_RUN" -f "$work/$kind.sql" -l --log-prefix="$work/pgb" "$url" 2>&1) ||
		die "pgbench failed on $kind: $out"
	local tps n
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)
	n=$(cat "$work"/pgb.* | wc -l)
	lat=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
		printf "p50_ms=%.2f p99_ms=%.2f", a[i50] / 1000, a[i99] / 1000 }')
	local fails
	fails=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
	log "sql  $kind: rps=${tps%.*} $lat requests=$n errors=${fails:-0}"
	printf 'sql:%s rps=%s %s requests=%s errors=%s\n' "$kind" "${tps%.*}" "$lat" "$n" "${fails:-0}" >>"$work/results"
}

for kind in point-in-parcel nearby items-bbox; do
	# Check that the answers are real (a parcel found, features returned) before timing them.
	case $kind in
	point-in-parcel) probe="/api/v1/parcels/at?lon=106.9&lat=11.75" ;;
	nearby) probe="/api/v1/layers/parcels/nearby?lon=106.9&lat=11.75&radius_m=200&limit=50" ;;
	items-bbox) probe="/ogc/collections/parcels/items?bbox=106.9,11.75,106.905,11.755&limit=100" ;;
	esac
	curl -fsS -o "$work/probe" "http://127.0.0.1:$PORT$probe" || die "$probe failed"
	log "$kind probe: $(head -c 120 "$work/probe")…"
	http "$kind" 5 warmup
	http "$kind" "$SECONDS_PER_RUN" measure
	sql "$kind"
done

# Latency below saturation: point-in-parcel paced to about 8 × 1000/(8 ms + latency) ≈ 900
# requests/s. The runs above push as hard as they can, so on a small machine their p99 is mostly
# the queue in front of the saturated cores.
BENCH_DELAY_MS=8 http point-in-parcel "$SECONDS_PER_RUN" measure point-in-parcel-paced

field() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$work/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

mkdir -p artifacts
{
	echo "### Spatial queries: \`make bench-queries\`"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores shared by gisd, PostgreSQL and the load generator, $have parcels;" \
		"concurrency $CONC for ${SECONDS_PER_RUN}s per run (wrk -t2 -c$CONC against gisd; pgbench -M prepared -c$CONC -j2 with the same SQL);" \
		"random points in lon 106.75–107.05, lat 11.55–11.95; gisd pool $POOL connections."
	echo
	echo "| query | through | requests/s | p50 ms | p99 ms | server-side p50 / p99 ms (≤) | errors | gisd/SQL throughput |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for kind in point-in-parcel nearby items-bbox point-in-parcel-paced; do
		[ "$kind" = point-in-parcel-paced ] && {
			echo "| point-in-parcel, paced (~900/s offered) | gisd HTTP | $(field "gisd:$kind" rps) | $(field "gisd:$kind" p50_ms) | $(field "gisd:$kind" p99_ms) | $(field "gisd:$kind" srv_p50_ms) / $(field "gisd:$kind" srv_p99_ms) | $(field "gisd:$kind" errors) | |"
			continue
		}
		echo "| $kind | gisd HTTP | $(field "gisd:$kind" rps) | $(field "gisd:$kind" p50_ms) | $(field "gisd:$kind" p99_ms) | $(field "gisd:$kind" srv_p50_ms) / $(field "gisd:$kind" srv_p99_ms) | $(field "gisd:$kind" errors) | $(ratio "$(field "gisd:$kind" rps)" "$(field "sql:$kind" rps)") |"
		echo "| $kind | SQL (pgbench) | $(field "sql:$kind" rps) | $(field "sql:$kind" p50_ms) | $(field "sql:$kind" p99_ms) | | $(field "sql:$kind" errors) | |"
	done
	echo
	echo "p50/p99 are measured by the client (wrk, pgbench) and include its queueing on the shared cores; the server-side column is the bucket of gisd's own request-duration histogram (/metrics) that holds the percentile."
	echo "point-in-parcel is two statements (the parcels at the point, then its administrative units); items-bbox is two (numberMatched, then the page)."
} >artifacts/bench-queries.md
cat artifacts/bench-queries.md
