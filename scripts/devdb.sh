#!/usr/bin/env bash
# devdb.sh — the project-local PostgreSQL 15 + PostGIS 3 cluster behind `make run` and `make test`.
#
#   scripts/devdb.sh up      install packages if missing, initdb once, start, create databases;
#                            prints the DATABASE_URL on stdout (everything else goes to stderr)
#   scripts/devdb.sh url     print the DATABASE_URL of the local cluster
#   scripts/devdb.sh stop    stop the cluster (keeps the data)
#   scripts/devdb.sh reset   stop the cluster and wipe its data directory
#
# When DATABASE_URL is set, the script never touches a local cluster: `up` and `url` print it back.
#
# PostgreSQL refuses to run as root, so when we are root the cluster belongs to the unprivileged
# `postgres` account the Debian package creates. Its data lives in ./var/pg when that account can
# reach the checkout; otherwise (a checkout under /root, say) in /var/tmp/gisd-<hash of the checkout
# path>, and the script says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_VERSION=15
PG_BIN=/usr/lib/postgresql/${PG_VERSION}/bin
PORT=${GISD_PG_PORT:-54329}
DB_NAME=${GISD_PG_DB:-gisd}
PACKAGES="postgresql-${PG_VERSION} postgresql-${PG_VERSION}-postgis-3 postgresql-contrib"

log() { printf 'devdb: %s\n' "$*" >&2; }
die() { printf 'devdb: %s\n' "$*" >&2; exit 1; }

# as_owner runs a command as the cluster's owner. As root it runs from /: runuser keeps the
# working directory, and PostgreSQL's tools change into it and complain ("could not change
# directory") when the checkout is under a home the postgres account cannot read. Every path we
# pass is absolute, so the directory does not matter otherwise.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

install_packages() {
	if [ -x "$PG_BIN/initdb" ] && [ -f "/usr/share/postgresql/${PG_VERSION}/extension/postgis.control" ]; then
		return
	fi
	log "installing $PACKAGES (Debian packages)"
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			die "PostgreSQL ${PG_VERSION} with PostGIS 3 is missing and I cannot install it without root. Run:
    sudo apt-get update && sudo apt-get install -y $PACKAGES
then run this command again."
		fi
	fi
	# Installing postgresql-15 may try to create and start Debian's own "main" cluster; we do not
	# use it, and a failure to start it must not stop us.
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >&2 || true
	[ -x "$PG_BIN/initdb" ] || die "apt-get did not install $PG_BIN/initdb"
	[ -f "/usr/share/postgresql/${PG_VERSION}/extension/postgis.control" ] || die "apt-get did not install PostGIS"
}

# choose_dir sets DATA and RUN: a place the cluster's owner can write.
choose_dir() {
	local base="$here/var"
	if [ -f "$here/var/.pgbase" ]; then
		base=$(cat "$here/var/.pgbase")
	elif [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$base"
		if ! as_owner test -x "$base" 2>/dev/null; then
			local hash
			hash=$(printf '%s' "$here" | sha1sum | cut -c1-12)
			base="/var/tmp/gisd-$hash"
			log "the postgres account cannot reach $here/var (a parent folder is private);"
			log "the cluster lives in $base instead (recorded in var/.pgbase)"
		fi
	fi
	mkdir -p "$here/var"
	printf '%s\n' "$base" >"$here/var/.pgbase"
	DATA="$base/pg"
	RUN="$base/run"
	LOGFILE="$base/postgres.log"
	mkdir -p "$base" "$RUN"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$base" "$RUN"
	fi
}

local_url() { printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$PORT" "$DB_NAME"; }

psql_local() { as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres "$@"; }

running() { as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

up() {
	if [ -n "${DATABASE_URL:-}" ]; then
		log "DATABASE_URL is set: using it, no local cluster"
		printf '%s\n' "$DATABASE_URL"
		return
	fi
	install_packages
	choose_dir
	if [ ! -f "$DATA/PG_VERSION" ]; then
		log "initdb $DATA"
		mkdir -p "$DATA"
		[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
		as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
		# A developer cluster on loopback only. synchronous_commit=off loses at most the last few
		# commits on a crash, never consistency; production runs against its own DATABASE_URL.
		cat >>"$DATA/postgresql.conf" <<-EOF
			listen_addresses = '127.0.0.1'
			port = $PORT
			unix_socket_directories = '$RUN'
			max_connections = 200
			shared_buffers = 512MB
			work_mem = 32MB
			maintenance_work_mem = 256MB
			synchronous_commit = off
			max_wal_size = 4GB
			log_min_messages = warning
		EOF
	fi
	if ! running; then
		log "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOGFILE)"
		as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >/dev/null ||
			{ tail -n 20 "$LOGFILE" >&2 || true; die "PostgreSQL did not start"; }
	fi
	if ! psql_local -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
		psql_local -d postgres -c "CREATE DATABASE $DB_NAME"
	fi
	local_url
}

case "${1:-up}" in
up) up ;;
url)
	if [ -n "${DATABASE_URL:-}" ]; then printf '%s\n' "$DATABASE_URL"; else local_url; fi
	;;
stop)
	[ -n "${DATABASE_URL:-}" ] && { log "DATABASE_URL is set: not touching any local cluster"; exit 0; }
	[ -x "$PG_BIN/pg_ctl" ] || { log "PostgreSQL $PG_VERSION is not installed: no cluster to stop"; exit 0; }
	choose_dir
	if running; then as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; log "stopped"; else log "not running"; fi
	;;
reset)
	[ -n "${DATABASE_URL:-}" ] && { log "DATABASE_URL is set: not touching any local cluster"; exit 0; }
	[ -x "$PG_BIN/pg_ctl" ] || { log "PostgreSQL $PG_VERSION is not installed: no cluster to reset"; exit 0; }
	choose_dir
	running && as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
	rm -rf "$DATA" "$RUN" "$LOGFILE"
	base=$(cat "$here/var/.pgbase")
	rm -f "$here/var/.pgbase"
	[ "$base" != "$here/var" ] && rmdir "$base" 2>/dev/null || true
	log "wiped the local cluster"
	;;
*) die "usage: $0 up|url|stop|reset" ;;
esac
