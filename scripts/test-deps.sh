#!/usr/bin/env bash
# test-deps.sh installs what the test suite needs beyond Go and PostgreSQL, from Debian packages:
# GDAL's command-line tools (tests read our tiles and OGC API with ogrinfo, as QGIS users would)
# and Chromium for the browser tests. Idempotent; as root or through sudo.
set -euo pipefail
need=()
command -v ogrinfo >/dev/null || need+=(gdal-bin)
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs npm)
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
