#!/usr/bin/env bash
# web.sh builds the web map's assets (web/dist) from npm packages pinned by web/package-lock.json.
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)/web"
[ -f "$web/package.json" ] || exit 0
if ! command -v npm >/dev/null; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			echo "web: npm is missing; run: sudo apt-get update && sudo apt-get install -y nodejs npm" >&2
			exit 1
		fi
	fi
	echo "web: installing nodejs and npm (Debian packages)" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
fi
cd "$web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
