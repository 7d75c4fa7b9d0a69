#!/usr/bin/env bash
# test-deps.sh installs what the test suite needs beyond Go and PostgreSQL, from Debian packages:
# a C compiler for the race detector, GDAL's command-line tools (tests read our tiles and OGC API
# with ogrinfo, as QGIS users would), poppler-utils (the parcel extract's PDF is read back with
# pdftotext and pdftoppm), Chromium for the browser tests, which drive it from Go (no
# Node.js on the test path; npm only builds the web bundle, scripts/web.sh), and curl for the
# README's examples, etcd, Patroni and PgBouncer for the replication tests and PROJ's projinfo.
# Idempotent; as root or through sudo.
set -euo pipefail
need=()
command -v ogrinfo >/dev/null || need+=(gdal-bin)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
# The README's examples, which a test runs, use curl; a fresh Debian has none.
command -v curl >/dev/null || need+=(curl)
# `go test -race` needs cgo, so a C compiler; a fresh Debian has none.
command -v gcc >/dev/null || need+=(gcc)
# store/storetest/ha: replicated PostgreSQL under Patroni with etcd, and PgBouncer.
[ -x /usr/bin/etcd ] || need+=(etcd-server)
[ -x /usr/bin/patroni ] || need+=(patroni python3-psycopg2)
[ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
# geo checks each CRS's axis order against PROJ's EPSG database (projinfo).
command -v projinfo >/dev/null || need+=(proj-bin)
# QGIS's Python bindings: tests open gisd's layers in QGIS (api: keyed and anonymous layers).
/usr/bin/python3 -c 'import qgis.core' 2>/dev/null || need+=(python3-qgis)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "test-deps: missing ${need[*]}; run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
		exit 1
	fi
fi
echo "test-deps: installing ${need[*]} (Debian packages)" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
