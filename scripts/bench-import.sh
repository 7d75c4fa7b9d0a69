#!/usr/bin/env bash
# bench-import.sh — `make bench-import`: gisd import against ogr2ogr on the same synthetic parcels,
# into the same database, in the same run.
#
#   1. gisd synth writes BENCH_PARCELS (default 1,000,000) parcels twice: in WGS 84 and in
#      VN-2000 / TM-3 106-15 (EPSG:9212, with a legacy crs member), with Vietnamese field names.
#   2. A fresh database gets the schema and the demo's administrative units (the parcels' communes).
#   3. For each file: `ogr2ogr -f PostgreSQL` (Debian's gdal-bin, COPY mode) into a plain table of
#      its own, reprojecting the VN-2000 file to EPSG:4326 as gisd does; then `gisd import` into
#      the parcels layer (streaming, every feature validated, history and change feed written by
#      the schema's triggers, official areas computed in EPSG:9212) under /usr/bin/time -v, twice:
#      online, and with --offline (the layer locked, its indexes built once at the end,
#      as bulk loaders do).
#   4. It prints features/s of both, their ratio, gisd's peak RSS, and where the import's database
#      connection spent its time (the import record's timings, summed over the chunks: read = COPY
#      into the staging table, waiting for the decoder; validity, checks, constraints = the
#      validation queries; write = the INSERT through the parcels table's constraints, indexes and
#      history triggers). Decoding and reprojection run beside these, in gisd's own goroutine.
#
# Environment: BENCH_PARCELS, BENCH_DIR (where the files go; default a temporary directory,
# removed afterwards unless BENCH_KEEP=1), DATABASE_URL (else the project-local cluster).
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-import
N=${BENCH_PARCELS:-1000000}
GISD=${GISD:-$PWD/bin/gisd}

need ogr2ogr gdal-bin
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: sudo apt-get install -y time"
need psql postgresql-client
[ -x "$GISD" ] || die "$GISD is missing: run make build"

# The server of DATABASE_URL or of the local cluster, a database of our own.
db=gisd_bench_import
bench_urls "$db"
# ogr2ogr wants a libpq key/value string.
pg_kv() {
	python3 - "$1" <<'EOF'
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1])
kv = {"host": p.hostname or "localhost", "port": p.port or 5432, "dbname": p.path.lstrip("/"), "user": p.username or ""}
if p.password: kv["password"] = u.unquote(p.password)
for k, v in u.parse_qsl(p.query): kv[k] = v
print(" ".join(f"{k}={v}" for k, v in kv.items() if v != ""))
EOF
}

dir=${BENCH_DIR:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d /var/tmp/gisd-bench-import.XXXXXX)
	[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"

log "writing $N parcels (WGS 84 and VN-2000 / TM-3 106-15) to $dir"
[ -s "$dir/parcels-4326-$N.geojson" ] || "$GISD" synth --parcels "$N" --out "$dir/parcels-4326-$N.geojson"
[ -s "$dir/parcels-9212-$N.geojson" ] || "$GISD" synth --parcels "$N" --srid 9212 --out "$dir/parcels-9212-$N.geojson"

log "fresh database $db with the schema and the demo's administrative units"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
"$GISD" migrate up --database-url "$url" >/dev/null
"$GISD" demo --database-url "$url" --parcels 1 >/dev/null
psql -q "$url" -c "DELETE FROM constructions" -c "DELETE FROM parcels" >/dev/null

# seconds and peak RSS (kB) from a /usr/bin/time -v log
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# gisd_run TAG [FLAGS...] imports $f into an emptied parcels layer; sets g_s, g_rss, g_n and adds
# the import's steps to breakdown.
gisd_run() {
	local tag=$1
	shift
	psql -q "$url" -c "DELETE FROM parcels" -c "VACUUM ANALYZE parcels" >/dev/null
	log "EPSG:$srid: gisd import $* ($((size / 1000000)) MB)"
	/usr/bin/time -v -o "$dir/$tag.time" "$GISD" import --database-url "$url" --layer parcels \
		--file "$f" --max-rejected -1 --report 5 "$@" >"$dir/$tag.out" 2>"$dir/$tag.err" || {
		cat "$dir/$tag.out" "$dir/$tag.err" >&2
		die "gisd import failed"
	}
	cat "$dir/$tag.out" >&2
	g_s=$(wall "$dir/$tag.time")
	g_rss=$(rss "$dir/$tag.time")
	g_n=$(psql -Atq "$url" -c "SELECT count(*) FROM parcels")
	local steps
	steps=$(psql -Atq "$url" -c "SELECT string_agg(format('%s %ss', key, round(value::numeric / 1000, 1)), ', ' ORDER BY value::numeric DESC)
		FROM imports, jsonb_each_text(counts -> 'timings_ms') WHERE id = (SELECT max(id) FROM imports WHERE mode <> 'demo')")
	breakdown+=("EPSG:$srid gisd $* steps: $steps")
}

# result LABEL formats one line: gisd's run (g_*) against ogr2ogr's (o_*).
result() {
	awk -v label="$1" -v srid="$srid" -v n="$N" -v gs="$g_s" -v gn="$g_n" -v grss="$g_rss" -v os="$o_s" -v on="$o_n" -v orss="$o_rss" 'BEGIN {
		gf = gn / gs; of = on / os
		printf "EPSG:%-5s %9d  %-14s %7.1f s %8.0f f/s (%d rows, peak RSS %4.0f MB)   ogr2ogr %7.1f s %8.0f f/s (%d rows, RSS %4.0f MB)   gisd/ogr2ogr %.2f\n",
			srid, n, label, gs, gf, gn, grss / 1024, os, of, on, orss / 1024, gf / of }'
}

results=()
breakdown=()
for srid in 4326 9212; do
	f="$dir/parcels-$srid-$N.geojson"
	size=$(stat -c %s "$f")

	log "EPSG:$srid: ogr2ogr"
	reproject=()
	[ "$srid" = 4326 ] || reproject=(-t_srs EPSG:4326)
	PG_USE_COPY=YES /usr/bin/time -v -o "$dir/ogr-$srid.time" ogr2ogr -f PostgreSQL "PG:$(pg_kv "$url")" "$f" \
		-nln "ogr_parcels_$srid" -lco GEOMETRY_NAME=geom -overwrite "${reproject[@]}" 2>"$dir/ogr-$srid.err" || {
		cat "$dir/ogr-$srid.err" >&2
		die "ogr2ogr failed"
	}
	o_s=$(wall "$dir/ogr-$srid.time")
	o_rss=$(rss "$dir/ogr-$srid.time")
	o_n=$(psql -Atq "$url" -c "SELECT count(*) FROM ogr_parcels_$srid")

	# The layer stays online (readers see the old rows until the commit) ...
	gisd_run "gisd-$srid"
	results+=("$(result "gisd")")
	# ... or goes offline, its indexes built once at the end.
	gisd_run "gisd-offline-$srid" --offline
	results+=("$(result "gisd --offline")")
done

printf '\n%s parcels, %s\n' "$N" "$(nproc) CPUs, $(psql -Atq "$url" -c 'SHOW server_version') / PostGIS $(psql -Atq "$url" -c 'SELECT postgis_lib_version()'), $(ogr2ogr --version)"
printf '%s\n' "${results[@]}"
printf '%s\n' "${breakdown[@]}"
