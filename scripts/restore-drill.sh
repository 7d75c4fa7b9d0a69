#!/usr/bin/env bash
# restore-drill.sh — proves that gisd's backups restore: point-in-time recovery with pgBackRest,
# the procedure docs/deploy.md ("Backups" and "Restore drill") prescribes, run end to end on a
# scratch cluster of this machine.
#
#   scripts/restore-drill.sh            # about a minute; prints what it did and how long it took
#
# 1. starts a scratch PostgreSQL 15 + PostGIS cluster whose WAL is archived into a pgBackRest
#    repository (archive_command = pgbackrest archive-push), with the gisd schema and a small demo;
# 2. creates the stanza, checks archiving and takes a full backup;
# 3. commits change A (a parcel's address), notes the time, commits change B after it;
# 4. restores the backup into a NEW data directory to that time (--type=time), replaying the
#    archived WAL, starts it on another port and checks: A is there, B is not, the change feed
#    ends with A, the schema is current and PostGIS answers.
# Everything lives in a temporary directory that is removed at the end; nothing else is touched.
# As root, PostgreSQL and pgBackRest run as the `postgres` account (as scripts/devdb.sh does).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
PARCELS=${DRILL_PARCELS:-2000}

log() { printf 'restore-drill: %s\n' "$*" >&2; }
die() { printf 'restore-drill: %s\n' "$*" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# --- packages: PostgreSQL with PostGIS comes from scripts/devdb.sh's list; pgBackRest here.
need=()
[ -x "$PG_BIN/initdb" ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
command -v pgbackrest >/dev/null || need+=(pgbackrest)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null && sudo -n true 2>/dev/null ||
			die "missing ${need[*]}; run: sudo apt-get update && sudo apt-get install -y ${need[*]}"
		sudo="sudo -n"
	fi
	log "installing ${need[*]} (Debian packages)"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "go is needed to build gisd"
GO=$(command -v go || echo /usr/local/go/bin/go)

# --- a working directory the postgres account can reach
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gisd-restore-drill.XXXXXX")
chmod 711 "$tmp"
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$tmp"; then
	rmdir "$tmp"
	tmp=$(mktemp -d /var/tmp/gisd-restore-drill.XXXXXX)
	chmod 711 "$tmp"
fi
mkdir -p "$tmp"/{src,dst,run,repo,log,spool,lock}
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$tmp"/{src,dst,run,repo,log,spool,lock}
chmod 700 "$tmp"/src "$tmp"/dst

src_pid_running() { as_owner "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }
cleanup() {
	for d in "$tmp/src" "$tmp/dst"; do
		src_pid_running "$d" && as_owner "$PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		(: >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	die "no free port from $1"
}
SRC_PORT=$(free_port 55440)
DST_PORT=$(free_port $((SRC_PORT + 1)))
src_url="postgres://postgres@127.0.0.1:$SRC_PORT/gisd?sslmode=disable"
dst_url="postgres://postgres@127.0.0.1:$DST_PORT/gisd?sslmode=disable"
psql_at() { "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# The repository's configuration: in production /etc/pgbackrest/pgbackrest.conf, see docs/deploy.md.
conf="$tmp/pgbackrest.conf"
cat >"$conf" <<EOF
[global]
repo1-path=$tmp/repo
repo1-retention-full=2
compress-type=zst
start-fast=y
archive-async=y
spool-path=$tmp/spool
log-path=$tmp/log
lock-path=$tmp/lock
log-level-console=warn
log-level-file=info

[gisd]
pg1-path=$tmp/src
pg1-port=$SRC_PORT
pg1-socket-path=$tmp/run
EOF
chmod 644 "$conf"
br() { as_owner pgbackrest --config="$conf" --stanza=gisd "$@"; }

start=$(now)
log "building gisd"
(cd "$here" && "$GO" build -o "$tmp/gisd" ./cmd/gisd)

# --- 1. the running cluster, archiving its WAL
t=$(now)
as_owner "$PG_BIN/initdb" -D "$tmp/src" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
cat >>"$tmp/src/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $SRC_PORT
unix_socket_directories = '$tmp/run'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$conf --stanza=gisd archive-push %p'
archive_timeout = 60s
max_wal_senders = 3
log_min_messages = warning
EOF
as_owner "$PG_BIN/pg_ctl" -D "$tmp/src" -l "$tmp/log/src.log" -w start >/dev/null
psql_at "postgres://postgres@127.0.0.1:$SRC_PORT/postgres?sslmode=disable" -c 'CREATE DATABASE gisd'
"$tmp/gisd" migrate up --database-url "$src_url" >/dev/null 2>&1
"$tmp/gisd" demo --database-url "$src_url" --parcels "$PARCELS" >/dev/null 2>&1
log "source cluster with the gisd schema and a $PARCELS-parcel demo: $(since "$t")"

# --- 2. stanza, archive check, full backup
t=$(now)
br stanza-create
br check
br backup --type=full
backup_took=$(since "$t")
log "full backup: $backup_took; $(br info | grep -E 'database size|repo1: backup' | tr -s ' ' | tr '\n' ';')"

# --- 3. change A, the target time, change B
# change_parcel LABEL min|max: gives the first or last parcel the address "restore drill: change
# LABEL", as gisd's writes do (the actor set for the transaction, history and feed by trigger).
change_parcel() {
	psql_at "$src_url" >/dev/null <<SQL
BEGIN;
SELECT set_config('gisd.actor', 'restore-drill', true);
UPDATE parcels SET address = 'restore drill: change $1' WHERE id = (SELECT $2(id) FROM parcels);
COMMIT;
SQL
}
change_parcel A min
changes_a=$(psql_at "$src_url" -c 'SELECT max(seq) FROM changes')
sleep 1 # a target time strictly between the two commits, at PostgreSQL's microsecond resolution
target=$(psql_at "$src_url" -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1
change_parcel B max
# Archive the WAL that holds B, as archive_timeout would within a minute.
br check
log "change A committed, target time $target, change B committed after it"

# --- 4. restore to the target time into a new data directory, on another port
t=$(now)
br restore --pg1-path="$tmp/dst" --type=time --target="$target" --target-action=promote --archive-mode=off
cat >>"$tmp/dst/postgresql.auto.conf" <<EOF
port = $DST_PORT
EOF
as_owner "$PG_BIN/pg_ctl" -D "$tmp/dst" -l "$tmp/log/dst.log" -w -t 300 start >/dev/null
for _ in $(seq 1 600); do
	[ "$(psql_at "$dst_url" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
	sleep 0.1
done
[ "$(psql_at "$dst_url" -c 'SELECT pg_is_in_recovery()')" = f ] || die "the restored cluster did not finish recovery within 60s; see its log"
restore_took=$(since "$t")

# --- checks
fail=0
check() { # description, got, want
	if [ "$2" = "$3" ]; then log "ok: $1"; else log "FAILED: $1: got '$2', want '$3'"; fail=1; fi
}
check "change A (before the target) is restored" \
	"$(psql_at "$dst_url" -c "SELECT count(*) FROM parcels WHERE address = 'restore drill: change A'")" 1
check "change B (after the target) is not" \
	"$(psql_at "$dst_url" -c "SELECT count(*) FROM parcels WHERE address = 'restore drill: change B'")" 0
check "the change feed ends with change A" "$(psql_at "$dst_url" -c 'SELECT max(seq) FROM changes')" "$changes_a"
check "the history kept A's old version" \
	"$(psql_at "$dst_url" -c "SELECT count(*) > 0 FROM parcels_history WHERE id = (SELECT min(id) FROM parcels)")" t
check "the schema is at the binary's version" \
	"$("$tmp/gisd" migrate version --database-url "$dst_url" 2>&1 | tr -d '\n' | grep -o 'version [0-9]*' | head -n 1)" \
	"$("$tmp/gisd" migrate version --database-url "$src_url" 2>&1 | tr -d '\n' | grep -o 'version [0-9]*' | head -n 1)"
check "every parcel is back" "$(psql_at "$dst_url" -c 'SELECT count(*) FROM parcels')" \
	"$(psql_at "$src_url" -c 'SELECT count(*) FROM parcels')"
check "PostGIS answers" "$(psql_at "$dst_url" -c "SELECT ST_AsText(ST_Point(106.9, 11.5))")" "POINT(106.9 11.5)"

log "backup $backup_took, restore and recovery to $target $restore_took, drill $(since "$start") in all"
[ "$fail" = 0 ] || die "the restore drill FAILED"
log "the restore drill passed"
