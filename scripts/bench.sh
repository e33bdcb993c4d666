#!/usr/bin/env bash
# `npm run bench [-- name...]`: starts a local stack of its own (STACK_PORT 28321, or
# BENCH_STACK_PORT; folder .stack/bench, so dev and test stacks are left alone) that also serves the
# bench-only baseline functions of bench/functions/, runs every bench/*.ts (or only the named ones:
# `npm run bench -- traffic-api amocrm-webhook`) against it with the stack's environment, and stops
# it. Installs `wrk` from Debian when missing. Each benchmark prints its figures as ratios against a
# same-run baseline and writes bench-results/<name>.json. Exits non-zero when one failed.
set -uo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# Below 32768 (outside the kernel's ephemeral port range), like the test stack.
export STACK_PORT="${BENCH_STACK_PORT:-28321}"
export STACK_DIR="$ROOT/.stack/bench"
export NO_COLOR=1
# fb-ads-sync calls Meta through this URL: the loopback fake Graph API bench/fb-ads-sync.ts serves.
export FACEBOOK_GRAPH_URL="${FACEBOOK_GRAPH_URL:-http://127.0.0.1:$((STACK_PORT + 21))}"
# Function settings the benchmarks send (as scripts/test.sh gives the test stack).
export AMOCRM_WEBHOOK_SECRET="${AMOCRM_WEBHOOK_SECRET:-test-webhook-secret}"
export AMOCRM_ACCOUNT_ID="${AMOCRM_ACCOUNT_ID:-31555001}"
export AMOCRM_SUBDOMAIN="${AMOCRM_SUBDOMAIN:-kaspiacademy}"
# amocrm-sync reads the AmoCRM API here: bench/amocrm-sync.ts serves a fake account on this port.
export AMOCRM_API_URL="http://127.0.0.1:$((STACK_PORT + 22))"
export AMOCRM_ACCESS_TOKEN="${AMOCRM_ACCESS_TOKEN:-bench-amocrm-token}"
# The baselines (bare-read, bare-insert): served by this stack only, never deployed.
export STACK_EXTRA_FUNCTIONS_DIR="bench/functions"
DENO="$ROOT/node_modules/.bin/deno"

benches=()
for name in "$@"; do
  name=${name%.ts}
  name=${name#bench/}
  if [ ! -f "bench/$name.ts" ]; then
    echo "unknown benchmark '$name'; one of: $(cd bench && ls *.ts | sed 's/\.ts$//' | tr '\n' ' ')" >&2
    exit 2
  fi
  benches+=("bench/$name.ts")
done
[ "${#benches[@]}" -gt 0 ] || benches=(bench/*.ts)

bash scripts/ensure-deps.sh || exit 1
# The load generator (Debian's wrk; its Lua scripts live in bench/lua/).
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "wrk is missing: run as root, or sudo apt-get install wrk" >&2
    exit 1
  fi
  echo "[bench] installing wrk (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; } ||
    { echo "FAIL could not install wrk"; exit 1; }
fi
stop_stack() { bash scripts/stack/stop.sh --quiet; }
trap stop_stack EXIT
stop_stack
mkdir -p "$STACK_DIR"
if ! bash scripts/stack/start.sh >"$STACK_DIR/start.log" 2>&1; then
  cat "$STACK_DIR/start.log"
  echo "FAIL local stack did not start"
  exit 1
fi
set -a
source "$STACK_DIR/env"
set +a

rc=0
for f in "${benches[@]}"; do
  echo "== $f"
  "$DENO" run -A "$f" || { rc=1; echo "FAIL $f"; }
done
exit $rc
