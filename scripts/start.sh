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
echo "==> Aethelred is starting (database: ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-embedded PGlite in ${AETHELRED_DATA_DIR:-.data}}); its URL follows"
# server.mjs (Next's handler behind a server that records each connection's peer address) is exec'd
# directly (no npx in between), so a container's SIGTERM reaches it; the composition root then stops
# the engine (journal flushed, workers stopped, database lease released) before exiting.
# PORT set: that port or a clear error; unset: 3000, or the next free port (server.mjs prints which).
export NEXT_MANUAL_SIG_HANDLE=true
if [ -n "${PORT:-}" ]; then
  exec node server.mjs --port "$PORT"
fi
exec node server.mjs
