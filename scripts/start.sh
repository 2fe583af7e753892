#!/usr/bin/env bash
# Quick start: installs packages, builds, migrates (on start) and serves the product on the
# embedded database (PGlite under .data/) unless DATABASE_URL is set.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ ! -f .next/BUILD_ID ] || [ -n "$(find app engine db inngest instrumentation.ts next.config.mjs package-lock.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]; then
  echo "==> building (next build)"
  npx next build
fi
port="${PORT:-3000}"
echo "==> Aethelred is starting on http://localhost:${port}  (database: ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-embedded PGlite in ${AETHELRED_DATA_DIR:-.data}})"
exec node server.mjs --port "$port"
