#!/usr/bin/env bash
# Plain processes, no containers: two web servers, a trader and a worker on one PostgreSQL
# (DATABASE_URL), each on a free loopback port. Prints their URLs; Ctrl-C (or SIGTERM) stops all four.
# Needs a production build (`npx next build`; built here when missing). Put a proxy in front of the two
# web URLs (deploy/Caddyfile shows one). Every process inherits this shell's environment, so they share
# AETHELRED_AUTH_SECRET and AETHELRED_ENCRYPTION_KEY (servers of one database must: a mismatch refuses to start).
#   DATABASE_URL=postgres://user@127.0.0.1:5432/aethelred bash scripts/start-roles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  echo "start-roles: DATABASE_URL is not set: several processes need one PostgreSQL database (the embedded one serves a single process)" >&2
  exit 2
fi
export NEXT_TELEMETRY_DISABLED=1 NEXT_MANUAL_SIG_HANDLE=true
if [ ! -f .next/BUILD_ID ]; then
  echo "==> building (next build)"
  npx next build
fi

# A port nobody listens on now, chosen by the kernel.
free_port() { node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "==> stopping ${#pids[@]} processes"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

start() { # name role
  local port
  port="$(free_port)"
  # The prefixer ignores Ctrl-C (a terminal's SIGINT reaches the whole group) so that it outlives the server it
  # reads: killed first, it would take the shutdown log with it and leave the server writing to a closed pipe.
  AETHELRED_ROLE="$2" node server.mjs --port "$port" --hostname 127.0.0.1 > >(trap '' INT; exec sed -u "s/^/[$1] /") 2>&1 &
  pids+=("$!")
  printf '  %-7s %-7s http://127.0.0.1:%s  (ready: /api/health/ready)\n' "$1" "$2" "$port"
}

# Traders and workers never migrate on start (they refuse a database that is behind): migrate first.
echo "==> migrating"
npm run --silent cli -- migrate
echo "==> starting against PostgreSQL at ${DATABASE_URL##*@}:"
start web1 web
start web2 web
start trader trader
start worker worker
echo "==> Ctrl-C stops all"
# Until one of them exits (a poll, not `wait -n`: macOS ships bash 3.2).
while :; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done
  sleep 1
done
echo "==> a process exited; stopping the others" >&2
exit 1
