#!/usr/bin/env bash
# `npm run demo`: the whole pipeline on the local stack, with simulated third parties.
#   1. installs what is missing (scripts/ensure-deps.sh)
#   2. (re)starts the local stack with the demo's environment, so it reaches the functions
#   3. starts the simulated Graph API + NBK rates feed (scripts/demo/fakes.ts) in the background;
#      its pid file is in .stack/pids, so `npm run stack:stop` stops it
#   4. seeds users, settings and pipelines, and posts the simulated AmoCRM webhooks — of which the
#      simulated AmoCRM drops every third, as a failing delivery would
#   5. runs the real manual sync (`npm run sync -- --days 30`), whose AmoCRM reconciliation
#      (amocrm-sync against the simulated AmoCRM API) restores what the dropped webhooks carried,
#      and checks the ledger equals the one with every webhook delivered
#   6. prints the dashboard's numbers (read as the admin) and the commands to explore
# With FACEBOOK_ADS_TOKEN and DEMO_FB_AD_ACCOUNTS=act_…,act_… set, step 3 serves only the rates
# feed and fb-ads-sync calls the real Graph API. docs/demo.md describes the data.
# Honours STACK_PORT (default 54321); the simulated services listen on STACK_PORT+30, +31, +32.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
source "$(dirname "$0")/stack/lib.sh"
cd "$ROOT"
t0=$(date +%s)

if [ "${1:-}" = "--summary" ]; then
  bash scripts/ensure-deps.sh
  exec "$DENO" run -q -A scripts/demo/main.ts summary
fi

bash scripts/ensure-deps.sh

GRAPH_PORT=$((STACK_PORT + 30))
NBK_PORT=$((STACK_PORT + 31))
AMOCRM_PORT=$((STACK_PORT + 32))
real=""
if [ -n "${FACEBOOK_ADS_TOKEN:-}" ] && [ -n "${DEMO_FB_AD_ACCOUNTS:-}" ]; then
  real=1
fi

# A running stack was started with another environment: restart it so ours reaches the functions.
if [ -f "$STACK_DIR/env" ] || [ -f "$PGDATA/postmaster.pid" ] || compgen -G "$PID_DIR/*.pid" >/dev/null; then
  echo "[demo] restarting the local stack (port $STACK_PORT) so the demo's settings reach the functions"
  bash scripts/stack/stop.sh --quiet
fi
for p in "$GRAPH_PORT" "$NBK_PORT" "$AMOCRM_PORT"; do
  port_busy "$p" && { echo "[demo] port $p is in use; choose another base with STACK_PORT=..." >&2; exit 1; }
done

export AMOCRM_WEBHOOK_SECRET="${DEMO_AMOCRM_WEBHOOK_SECRET:-demo-webhook-secret}"
export AMOCRM_ACCOUNT_ID=31555001 AMOCRM_SUBDOMAIN=kaspiacademy
export EXCHANGE_RATES_URL="http://127.0.0.1:$NBK_PORT/rss/get_rates.cfm"
# The simulated AmoCRM account's API v4 and its long-lived token (JWT-shaped, valid a year).
export AMOCRM_API_URL="http://127.0.0.1:$AMOCRM_PORT"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
AMOCRM_ACCESS_TOKEN="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$(printf '{"exp":%s}' "$(($(date +%s) + 365 * 86400))" | b64url).ZGVtbw"
DEMO_NOW_MS=$(($(date +%s) * 1000))
export AMOCRM_ACCESS_TOKEN DEMO_NOW_MS
if [ -n "$real" ]; then
  echo "[demo] FACEBOOK_ADS_TOKEN and DEMO_FB_AD_ACCOUNTS are set: the real Graph API, no simulation"
  unset FACEBOOK_GRAPH_URL
  fakes_graph=0
else
  export FACEBOOK_GRAPH_URL="http://127.0.0.1:$GRAPH_PORT"
  # The simulated throttles ask for 2 s; without this the client's 30 s floor would apply.
  export FB_SYNC_THROTTLE_BASE_MS=1000
  unset FACEBOOK_ADS_TOKEN DEMO_FB_AD_ACCOUNTS
  fakes_graph=$GRAPH_PORT
fi

bash scripts/stack/start.sh >/dev/null
echo "[demo] local stack ready on port $STACK_PORT (logs: $LOG_DIR)"

spawn demo-fakes "$LOG_DIR/demo-fakes.log" "$DENO" run -q -A scripts/demo/fakes.ts "$fakes_graph" "$NBK_PORT" "$AMOCRM_PORT"
wait_http "simulated NBK feed" "http://127.0.0.1:$NBK_PORT/?fdate=01.01.2026" "$LOG_DIR/demo-fakes.log" 30
if [ -z "$real" ]; then
  echo "[demo] simulated Graph API on :$GRAPH_PORT (Kenesary, Arman, Dana: 5 ad accounts, USD/KZT/EUR)"
fi
echo "[demo] simulated NBK rates feed on :$NBK_PORT, simulated AmoCRM API v4 on :$AMOCRM_PORT"

"$DENO" run -q -A scripts/demo/main.ts prepare
echo
sync_rc=0
"$DENO" run -q -A scripts/sync.ts --days 30 || sync_rc=$?
"$DENO" run -q -A scripts/demo/main.ts verify || sync_rc=$?
"$DENO" run -q -A scripts/demo/main.ts report
echo "[demo] done in $(($(date +%s) - t0)) s"
if [ "$sync_rc" != 0 ]; then
  echo "[demo] the sync reported failures (above); the numbers may be incomplete" >&2
  exit "$sync_rc"
fi
