#!/usr/bin/env bash
# The whole test suite: installs what it needs (npm packages, Debian chromium, PostgreSQL),
# then runs typecheck, unit + integration tests (PGlite and PostgreSQL; the import-boundary
# lint runs as a test), a production build and the Playwright end-to-end tests.
# Ends with one line: "N passed, N failed[, N skipped]". Exits non-zero if anything failed.
set -uo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh || exit 1
bash scripts/ensure-test-services.sh || exit 1
mkdir -p test-results
rm -f test-results/vitest.json test-results/e2e-results.json test-results/checks.txt
status=0

step() { # name, command...
  local name=$1; shift
  echo "==> $name"
  if "$@"; then echo "pass $name" >> test-results/checks.txt; else echo "fail $name" >> test-results/checks.txt; status=1; fi
}

step typecheck npx tsc --noEmit -p .
echo "==> unit and integration tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=1
step "next build" npx next build
if [ -f .next/BUILD_ID ]; then
  echo "==> end-to-end tests (playwright, Debian chromium)"
  npx playwright test || status=1
fi
node scripts/summarize-tests.mjs || status=1
exit $status
