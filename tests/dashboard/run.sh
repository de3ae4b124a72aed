#!/usr/bin/env bash
# The dashboard's browser tests: playwright-core exactly as the lockfile pins it (from the npm
# registry, or its cache) when missing or stale, then Node's test runner driving Debian's chromium
# against a seeded hubd (HUB_HUBD, HUB_PLUGIN_DIR). HUB_SCREENSHOT_DIR keeps a picture of each page.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
fi
[ -x "${HUB_CHROMIUM:-/usr/bin/chromium}" ] || { echo "no chromium at ${HUB_CHROMIUM:-/usr/bin/chromium} (Debian: apt-get install chromium)" >&2; exit 1; }
exec node --test --test-concurrency=1 dashboard.test.mjs
