#!/usr/bin/env bash
# Installs what Aethelred needs on a fresh Debian machine with Node 20: npm packages
# (when package-lock.json changed or node_modules is missing). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.aethelred-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing npm packages (npm ci)"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
