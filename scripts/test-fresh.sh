#!/usr/bin/env bash
# test-fresh.sh — the README's two commands on a fresh Debian 12, for real (`make test-fresh`).
#
# It builds a Debian 12 (bookworm) root with debootstrap from the Debian archive this machine's apt
# uses (read from /etc/apt/sources.list* now, never written here), copies in only the Go toolchain
# (/usr/local/go), installs the prerequisites the README names (git, make), clones the committed
# HEAD of this repository into /root/gisd (a home the postgres account cannot read, as on many
# machines), and there, inside a chroot with its own mount and PID namespaces, does what a new
# user does:
#
#   make run    in the background; waits (with a deadline) until /readyz says ready, checks that
#               /api/v1/layers lists the demo's 50,000 parcels, then stops it with SIGTERM
#   make test   to the end
#
# and prints pass/fail and the time of each phase. Exit status 0 only when both passed.
#
# The downloaded base system is cached in var/test-fresh/ (debootstrap --make-tarball), so a
# second run does not fetch it again; the root itself is built anew each run in /var/tmp and
# removed after it (GISD_FRESH_KEEP=1 keeps it for a look). Logs: var/test-fresh/logs/.
#
# The chroot shares this machine's network, so its PostgreSQL and its `make run` listen on ports
# that are free here (not the 54329 and 8080 a local cluster or server may hold): GISD_PG_PORT and
# ADDR, which scripts/devdb.sh and the Makefile take. Every process started inside lives in the
# PID namespace and ends with it; nothing of the host is stopped or changed but var/test-fresh/
# and the root in /var/tmp.
#
# Needs root (debootstrap, chroot, mounts), debootstrap, unshare (util-linux), git and curl; about
# 3 GB of disk; about 15 minutes on two cores (make run ready in 3–7, make test 5–8).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${GISD_FRESH_DIR:-$here/var/test-fresh}
# The root lives outside the checkout: a Go toolchain's own test tree below the module would be
# part of `go vet ./...` here.
root=${GISD_FRESH_ROOT:-/var/tmp/gisd-fresh-$(printf '%s' "$here" | sha1sum | cut -c1-12)}
logs=$work/logs
suite=bookworm
run_deadline=${GISD_FRESH_RUN_DEADLINE:-2400}   # seconds until `make run` must answer ready
test_deadline=${GISD_FRESH_TEST_DEADLINE:-3600} # seconds `make test` may take

log() { printf 'test-fresh: %s\n' "$*" >&2; }
die() { printf 'test-fresh: %s\n' "$*" >&2; exit 1; }

# mirror_for SUITE prints the first archive URI that apt on this machine uses for SUITE, from the
# one-line (.list) and deb822 (.sources) formats.
mirror_for() {
	local suite=$1 f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v s="$suite" '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) print $i
			}' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^#/) continue
					if (line ~ /^Types:/) { sub(/^Types:[ \t]*/, "", line); types = line }
					if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
					if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = line }
					if (line ~ /^Enabled:/) { sub(/^Enabled:[ \t]*/, "", line); enabled = line }
				}
				if (enabled == "no" || (" " types " ") !~ / deb /) next
				n = split(suites, ss, /[ \t]+/)
				for (k = 1; k <= n; k++) if (ss[k] == s) { split(uris, us, /[ \t]+/); print us[1]; next }
			}' "$f"
		done
	} | head -n 1
}

# free_port FIRST prints the first TCP port from FIRST on that nothing here listens on.
free_port() {
	local p=$1
	while [ -n "$(ss -Hltn "sport = :$p")" ]; do p=$((p + 1)); done
	printf '%s\n' "$p"
}

# no_mounts_under DIR fails when anything is mounted below DIR (we never rm -rf through a mount).
no_mounts_under() {
	! findmnt -rn -o TARGET | grep -q "^$1\(/\|$\)"
}

phase_start=0
phase() { phase_start=$SECONDS; log "== $* =="; }
took() { printf '%dm%02ds' $(((SECONDS - phase_start) / 60)) $(((SECONDS - phase_start) % 60)); }

# ---------------------------------------------------------------------------------------------
# Inside: a private mount and PID namespace (re-executed through unshare), the root prepared.
# ---------------------------------------------------------------------------------------------
inside() {
	local pgport=$1 port=$2 report=$3
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
	mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"

	# A login-like environment: nothing of ours (DATABASE_URL, GISD_*, GOFLAGS ...) leaks in.
	in_root() {
		chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GISD_PG_PORT="$pgport" \
			/bin/bash -c "$1"
	}
	local status=0 started

	phase "prerequisites the README names: git, make"
	if in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make ca-certificates >/dev/null' \
		>"$logs/prerequisites.log" 2>&1; then
		echo "prerequisites ok $(took)" >>"$report"
	else
		echo "prerequisites FAILED $(took) (logs/prerequisites.log)" >>"$report"
		return 1
	fi
	# The TLS authorities this machine trusts beyond Debian's own (a proxy's, say) are trusted
	# inside too, as the machine's network needs them; nothing else of the host's set is copied.
	local extra=$root/usr/local/share/ca-certificates/host
	mkdir -p "$extra"
	awk -v dir="$extra" 'FNR == 1 { f++ } /BEGIN CERTIFICATE/ { c = "" } { c = c $0 "\n" }
		/END CERTIFICATE/ { if (f == 1) seen[c] = 1; else if (!(c in seen)) { n++; printf "%s", c > (dir "/host-" n ".crt") } }' \
		"$root/etc/ssl/certs/ca-certificates.crt" /etc/ssl/certs/ca-certificates.crt
	if [ -n "$(ls -A "$extra")" ]; then
		in_root 'update-ca-certificates' >>"$logs/prerequisites.log" 2>&1
		echo "trusted $(ls "$extra" | wc -l) certificate authorities of this machine beyond Debian's" >>"$report"
	fi

	phase "clone"
	in_root 'git clone -q /root/gisd.bundle /root/gisd && rm /root/gisd.bundle && git -C /root/gisd log --oneline -1' \
		>"$logs/clone.log" 2>&1 || { echo "clone FAILED (logs/clone.log)" >>"$report"; return 1; }

	phase "make run (ADDR=127.0.0.1:$port, PostgreSQL on $pgport)"
	# Its own session, so that SIGTERM reaches make and the server it started.
	setsid chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GISD_PG_PORT="$pgport" \
		/bin/bash -c "cd /root/gisd && exec make run ADDR=127.0.0.1:$port" >"$logs/make-run.log" 2>&1 &
	local run=$! base="http://127.0.0.1:$port" ready="" deadline=$((SECONDS + run_deadline))
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$run" 2>/dev/null; then break; fi
		if ready=$(curl -fsS --max-time 5 "$base/readyz" 2>/dev/null) && [[ $ready == *'"status":"ready"'* ]]; then break; fi
		ready=""
		sleep 2
	done
	if [ -z "$ready" ]; then
		if kill -0 "$run" 2>/dev/null; then
			echo "make run FAILED: not ready after ${run_deadline}s (logs/make-run.log)" >>"$report"
		else
			echo "make run FAILED: exited before it was ready (logs/make-run.log)" >>"$report"
		fi
		status=1
	else
		local ready_after layers
		ready_after=$(took)
		layers=$(curl -fsS --max-time 30 "$base/api/v1/layers" 2>&1) || layers=""
		if [[ $layers == *'"id":"parcels"'* ]] && [[ $layers == *'"count":50000'* ]]; then
			echo "make run ok: ready after $ready_after ($ready); /api/v1/layers lists the 50,000 parcels" >>"$report"
		else
			echo "make run FAILED: ready after $ready_after, but /api/v1/layers answered: ${layers:0:300}" >>"$report"
			status=1
		fi
	fi
	kill -TERM -- "-$run" 2>/dev/null || true
	deadline=$((SECONDS + 60))
	while kill -0 "$run" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
	if kill -0 "$run" 2>/dev/null; then
		echo "make run did not stop within 60 s of SIGTERM" >>"$report"
		kill -KILL -- "-$run" 2>/dev/null || true
		status=1
	fi
	wait "$run" 2>/dev/null || true

	phase "make test"
	started=$SECONDS
	if timeout --kill-after=30 "$test_deadline" chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
		TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GISD_PG_PORT="$pgport" \
		/bin/bash -c 'cd /root/gisd && make test' >"$logs/make-test.log" 2>&1; then
		echo "make test ok $(took) ($(grep -c '^ok ' "$logs/make-test.log") packages ok)" >>"$report"
	else
		local rc=$?
		echo "make test FAILED (exit $rc) after $(took) (logs/make-test.log):" >>"$report"
		grep -E '^(--- FAIL|FAIL|panic:)' "$logs/make-test.log" | head -n 30 >>"$report" || true
		[ $((SECONDS - started)) -ge "$test_deadline" ] && echo "  (stopped at the deadline of ${test_deadline}s)" >>"$report"
		status=1
	fi
	in_root 'cd /root/gisd && scripts/devdb.sh stop' >>"$logs/make-test.log" 2>&1 || true
	return $status
}

if [ "${1:-}" = "__inside" ]; then
	shift
	inside "$@"
	exit $?
fi

# ---------------------------------------------------------------------------------------------
# Outside: build the root, then run the inside in its namespaces.
# ---------------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "needs root: debootstrap, chroot and mounts (run: sudo make test-fresh)"
for c in debootstrap unshare chroot git curl ss findmnt; do
	command -v "$c" >/dev/null || die "$c is missing (apt-get install debootstrap util-linux git curl iproute2)"
done
[ -x /usr/local/go/bin/go ] || die "no Go toolchain in /usr/local/go to copy in"
sha=$(git -C "$here" rev-parse HEAD)
[ -z "$(git -C "$here" status --porcelain --untracked-files=no)" ] ||
	log "note: the worktree has uncommitted changes; the fresh system gets the committed HEAD ${sha:0:12}"

mirror=$(mirror_for "$suite")
[ -n "$mirror" ] || die "no Debian $suite archive in /etc/apt/sources.list*: cannot know where to debootstrap from"
mkdir -p "$work" "$logs"
rm -f "$logs"/*.log
report=$work/report.txt
: >"$report"
total_start=$SECONDS

no_mounts_under "$root" || die "something is still mounted under $root; unmount it first"
rm -rf "$root"

phase "debootstrap $suite from $mirror"
tarball=$work/$suite-debs.tgz
if [ ! -s "$tarball" ]; then
	log "downloading the base system once (cached in ${tarball#"$here"/})"
	rm -rf "$work/tarball-build"
	debootstrap --make-tarball="$tarball.part" "$suite" "$work/tarball-build" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$logs/debootstrap.log" >&2; die "debootstrap --make-tarball failed"; }
	mv "$tarball.part" "$tarball"
	rm -rf "$work/tarball-build"
fi
debootstrap --unpack-tarball="$tarball" "$suite" "$root" "$mirror" >>"$logs/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$logs/debootstrap.log" >&2; die "debootstrap failed"; }
echo "debootstrap ok $(took)" >>"$report"

# What a Debian 12 installed from this archive has: its sources, apt's settings for reaching it,
# name resolution. Services are not started by package installs in a chroot (policy-rc.d), as
# on a real system PostgreSQL's own "main" cluster would be; devdb.sh never uses it.
{
	for s in "$suite" "$suite-updates"; do
		m=$(mirror_for "$s")
		[ -n "$m" ] && echo "deb $m $s main"
	done
	m=$(mirror_for "$suite-security")
	[ -n "$m" ] && echo "deb $m $suite-security main"
} >"$root/etc/apt/sources.list"
for f in /etc/apt/apt.conf.d/*; do
	grep -qs '^Acquire::' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# Only the Go toolchain, as a user installs it from the tarball.
cp -a /usr/local/go "$root/usr/local/go"
echo "go: $("$root/usr/local/go/bin/go" version)" >>"$report"
# The committed HEAD, cloned inside with the chroot's own git.
branch=$(git -C "$here" symbolic-ref -q HEAD || true)
git -C "$here" bundle create "$root/root/gisd.bundle" HEAD $branch >/dev/null 2>&1 || die "git bundle failed"
echo "commit: $sha" >>"$report"

pgport=$(free_port 54339)
port=$(free_port 18080)
status=0
unshare --mount --pid --fork --propagation private -- "$0" __inside "$pgport" "$port" "$report" || status=$?

echo "total $(((SECONDS - total_start) / 60))m$(((SECONDS - total_start) % 60))s" >>"$report"
if no_mounts_under "$root"; then
	[ "${GISD_FRESH_KEEP:-}" = 1 ] && log "kept the root in $root" || rm -rf "$root"
else
	log "mounts are left under $root; not removing it"
fi
cp "$report" "$logs/report.txt"
echo
cat "$report"
if [ $status -eq 0 ]; then
	echo "test-fresh: PASS (both README commands on a fresh Debian 12)"
else
	echo "test-fresh: FAIL (logs in ${logs#"$here"/})"
fi
exit $status
