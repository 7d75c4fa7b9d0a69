# bench-lib.sh — the set-up the benchmark scripts share (bench-tiles.sh, bench-queries.sh,
# bench-import.sh): sourced, never run. It provides
#
#   bench_init NAME            messages prefixed with NAME, the repository as working directory,
#                              Go and PostgreSQL's tools on PATH
#   log MSG / die MSG          to stderr; die exits 1
#   need CMD PACKAGE           stop with the apt-get command when CMD is missing
#   bench_build                bin/gisd, built when missing (the make targets build it first)
#   bench_workdir              $work, a temporary folder; $pids, background processes; both
#                              cleaned up on exit
#   bench_urls NAME            $server_url (DATABASE_URL's server, else the local cluster's, started
#                              when needed), $admin_url (its postgres database) and $url (NAME on it)
#   bench_create_db NAME [TEMPLATE MIN_PARCELS]
#                              creates NAME when it is missing: a copy of TEMPLATE when that holds at
#                              least MIN_PARCELS parcels and is idle, else empty
#   with_db URL NAME           URL with its database swapped for NAME
#   db_exists NAME, parcels_in NAME
#   bench_demo N [RELOAD]      $url migrated and holding the demo province with at least N parcels
#                              of this checkout's demo version (RELOAD=1 loads it again)
#   bench_serve PORT LOG ARGS  gisd serve on $url at 127.0.0.1:PORT (more flags in ARGS), waited for
#   wait_ready URL [SECONDS]   poll URL until it answers 2xx; die after SECONDS (30)
#   stop_last                  stop the newest background process
#
# What each benchmark measures stays in its own script.

bench_init() {
	BENCH_NAME=$1
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	export PATH="$PATH:/usr/local/go/bin:/usr/lib/postgresql/15/bin"
}

log() { printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

need() {
	command -v "$1" >/dev/null || die "$1 is missing: sudo apt-get install -y $2"
}

bench_build() {
	[ -x bin/gisd ] || go build -o bin/gisd ./cmd/gisd
}

bench_workdir() {
	work=$(mktemp -d)
	pids=()
	trap bench_cleanup EXIT
}

bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}

with_db() { sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$2#" <<<"$1"; }

bench_urls() {
	server_url=$(scripts/devdb.sh up)
	url=$(with_db "$server_url" "$1")
	admin_url=$(with_db "$server_url" postgres)
}

bench_create_db() {
	local db=$1 tmpl=${2:-} min=${3:-0}
	db_exists "$db" && return
	if [ -n "$tmpl" ] && db_exists "$tmpl" && [ "$(parcels_in "$tmpl")" -ge "$min" ]; then
		# A copy saves loading the province again; it fails while the template is in use, and
		# then the database starts empty.
		if psql "$admin_url" -Xqc "CREATE DATABASE $db TEMPLATE $tmpl" 2>/dev/null; then
			log "cloned $tmpl into $db"
			return
		fi
	fi
	psql "$admin_url" -Xqc "CREATE DATABASE $db"
}

db_exists() { psql "$admin_url" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; }

parcels_in() { psql "$(with_db "$server_url" "$1")" -XtAc "SELECT count(*) FROM parcels" 2>/dev/null || echo 0; }

bench_demo() {
	local n=$1 reload=${2:-0} have have_version want_version
	bin/gisd migrate up --database-url "$url" >/dev/null
	have=$(psql "$url" -XtAc "SELECT count(*) FROM parcels")
	# The demo loaded must be the one this checkout generates (store.DemoVersion).
	want_version=$(sed -n 's/^const DemoVersion = "\(.*\)"$/\1/p' store/demo.go)
	have_version=$(psql "$url" -XtAc "SELECT options->>'version' FROM imports WHERE mode = 'demo' AND state = 'committed' ORDER BY id DESC LIMIT 1")
	if [ "$reload" = 1 ] || [ "$have" -lt "$n" ] || [ "$have_version" != "$want_version" ]; then
		log "loading the demo province with $n parcels into ${url##*/} (takes a few minutes)"
		bin/gisd demo --database-url "$url" --parcels "$n" --force >&2
		psql "$url" -Xqc "VACUUM ANALYZE"
	fi
}

wait_ready() {
	local deadline=$((SECONDS + ${2:-30}))
	until curl -fsS -o /dev/null "$1" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

bench_serve() {
	local port=$1 logfile=$2
	shift 2
	bin/gisd serve --database-url "$url" --addr "127.0.0.1:$port" --rate-limit 0 --log-level error "$@" >"$logfile" 2>&1 &
	pids+=($!)
	wait_ready "http://127.0.0.1:$port/readyz" || die "gisd did not start on port $port: $(tail -n 20 "$logfile")"
}

stop_last() {
	local p=${pids[-1]}
	kill "$p" && wait "$p" 2>/dev/null || true
	unset 'pids[-1]'
}
