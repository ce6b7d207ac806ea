#!/usr/bin/env bash
# Install the web app's front-end packages from package-lock.json and copy the files the
# pages load into src/timeboxd/web/static/vendor (git-ignored). Runs again only when the
# lock file is newer than the copies.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=src/timeboxd/web/static/vendor
if [ -f "$VENDOR/.stamp" ] && [ "$VENDOR/.stamp" -nt package-lock.json ]; then exit 0; fi
command -v npm >/dev/null || { source scripts/_services.sh; install_debian npm; }
npm ci --no-audit --no-fund --silent >/dev/null
mkdir -p "$VENDOR"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
cp node_modules/chart.js/dist/chart.umd.js "$VENDOR/chart.umd.js"
touch "$VENDOR/.stamp"
