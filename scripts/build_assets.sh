#!/usr/bin/env bash
# Install the web app's front-end packages from package-lock.json and copy the files the
# pages load into src/timeboxd/web/static/vendor (git-ignored), and axe-core, which only the
# accessibility tests inject into pages, into tests/vendor (git-ignored, never served). Runs
# again only when the lock file is newer than the copies.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=src/timeboxd/web/static/vendor
TEST_VENDOR=tests/vendor
if [ -f "$VENDOR/.stamp" ] && [ "$VENDOR/.stamp" -nt package-lock.json ] \
  && [ -f "$TEST_VENDOR/axe.min.js" ]; then exit 0; fi
command -v npm >/dev/null || { source scripts/_services.sh; install_debian npm; }
npm ci --no-audit --no-fund --silent >/dev/null
mkdir -p "$VENDOR" "$TEST_VENDOR"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
cp node_modules/chart.js/dist/chart.umd.js "$VENDOR/chart.umd.js"
cp node_modules/axe-core/axe.min.js "$TEST_VENDOR/axe.min.js"
touch "$VENDOR/.stamp"
