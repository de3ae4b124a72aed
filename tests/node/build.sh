#!/usr/bin/env bash
# Installs the Node client's packages exactly as the lockfile pins them (from the npm registry, or
# its cache) when they are missing or stale, then generates the schemas' TypeScript and compiles.
set -euo pipefail
cd "$(dirname "$0")/../../node"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline
fi
npm run --silent build
