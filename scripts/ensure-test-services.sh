#!/usr/bin/env bash
# Makes sure the test suite's real parts exist: Debian's chromium for Playwright and a
# PostgreSQL server on 127.0.0.1:5432 with a `test` database that trusts local TCP logins.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "==> installing Debian chromium"
  apt_install chromium
fi

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "==> installing PostgreSQL"
    apt_install postgresql
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "==> starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  if ! psql "$pg_url" -Atc 'select 1' >/dev/null 2>&1; then
    echo "==> allowing trusted local TCP logins for the test database"
    version=$(ls /etc/postgresql | sort -V | tail -1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" || as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    sleep 1
    psql postgres://postgres@127.0.0.1:5432/postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 \
      || psql postgres://postgres@127.0.0.1:5432/postgres -c 'create database test' >/dev/null
  fi
fi
psql "$pg_url" -Atc 'select 1' >/dev/null
echo "==> PostgreSQL reachable at ${pg_url}"
