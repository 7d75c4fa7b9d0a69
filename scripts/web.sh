#!/usr/bin/env bash
# web.sh builds the web map's assets (web/dist) from npm packages pinned by web/package-lock.json.
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)/web"
[ -f "$web/package.json" ] || exit 0
cd "$web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
