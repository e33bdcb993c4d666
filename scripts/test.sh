#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, checks formatting, lint and
# types, starts a local stack of its own (its own port and .stack/test folder, so a developer's
# running stack is left alone), runs the Deno tests and the pgTAP files, stops the stack, and ends
# with `N passed, N failed`. Exits non-zero when anything failed.
#
# Arguments are passed to `deno test` (e.g. `npm test -- tests/unit/`); pgTAP runs only when no
# argument is given or PGTAP=1.
set -uo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# Below 32768: outside the kernel's ephemeral port range, so no outbound connection of the run
# can hold a port the stack or a test's fake server must bind.
export STACK_PORT="${TEST_STACK_PORT:-25321}"
export STACK_DIR="$ROOT/.stack/test"
# The functions call Meta through this URL: the loopback fake Graph API the integration tests serve.
export FACEBOOK_GRAPH_URL="${FACEBOOK_GRAPH_URL:-http://127.0.0.1:$((STACK_PORT + 21))}"
# aggregate-metrics reads official rates from here: tests/integration/aggregate-metrics.test.ts
# serves a fake National Bank feed on this loopback port (the function runs in its own process).
export EXCHANGE_RATES_URL="http://127.0.0.1:$((STACK_PORT + 20))/rss/get_rates.cfm"
# The aggregation fixtures sit on fixed days: the test stack's numbers are throwaway, so a run as
# of another day (refused by default, it would replace live numbers) is allowed here.
export AGGREGATE_METRICS_ALLOW_WHAT_IF=true
# traffic-api allows no cross-origin caller by default; the CORS tests use this one origin.
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-https://dash.example}"
# traffic-api checks the database on every request (no fresh window): the tests write data and
# expect the very next answer to show it. The window itself is pinned by unit tests with a clock
# (tests/unit/traffic-api/response-cache.test.ts).
export TRAFFIC_API_CACHE_FRESH_MS="${TRAFFIC_API_CACHE_FRESH_MS:-0}"
export NO_COLOR=1
DENO="$ROOT/node_modules/.bin/deno"
passed=0
failed=0
failures=()

bash scripts/ensure-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

check() { # name command...
  local name=$1
  shift
  if "$@" >"/tmp/traffic-sync-check.$$" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name"
    tail -n 40 "/tmp/traffic-sync-check.$$"
  fi
  rm -f "/tmp/traffic-sync-check.$$"
}

check "deno fmt --check" "$DENO" fmt --check
check "deno lint" "$DENO" lint
# The functions write to the console only through _shared/logger.ts (which redacts secrets); the
# scripts, tests and benchmarks are command-line programs and print freely.
check "deno lint: no-console in supabase/functions" "$DENO" lint --rules-include=no-console supabase/functions
check "deno check" "$DENO" check supabase/functions scripts tests bench
# The dashboard's plain ES modules, type-checked from their JSDoc against the generated client.
check "deno check dashboard" "$DENO" check dashboard/src

# amocrm-webhook's settings on the test stack (they reach the function through stack:start); the
# integration tests send the same values.
export AMOCRM_WEBHOOK_SECRET="${AMOCRM_WEBHOOK_SECRET:-test-webhook-secret}"
export AMOCRM_ACCOUNT_ID="${AMOCRM_ACCOUNT_ID:-31555001}"
export AMOCRM_SUBDOMAIN="${AMOCRM_SUBDOMAIN:-kaspiacademy}"

# amocrm-sync reads the AmoCRM API here: tests/integration/amocrm-sync*.test.ts serve a fake AmoCRM
# account on this loopback port. The token is a JWT-shaped long-lived token expiring in 20 days
# (so the 30-day expiry warning shows); backoffs are short so 429/403 tests take milliseconds.
export AMOCRM_API_URL="http://127.0.0.1:$((STACK_PORT + 22))"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
AMOCRM_ACCESS_TOKEN="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$(printf '{"exp":%s,"jti":"test"}' "$(($(date +%s) + 20 * 86400))" | b64url).c2lnbmF0dXJl"
export AMOCRM_ACCESS_TOKEN AMOCRM_BACKOFF_MS=20 AMOCRM_BLOCK_WAIT_MS=50

stop_stack() { bash scripts/stack/stop.sh --quiet; }
trap stop_stack EXIT
stop_stack
if ! bash scripts/stack/start.sh >/tmp/traffic-sync-stack.$$ 2>&1; then
  cat /tmp/traffic-sync-stack.$$
  echo "FAIL local stack did not start"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
fi
rm -f /tmp/traffic-sync-stack.$$
set -a
source "$STACK_DIR/env"
set +a
echo "ok   local stack started ($SUPABASE_URL)"

# Issue 16's guardrail: every run of 6+ shared lines in the project as it is now (the stack's SQL
# definitions, supabase/functions, supabase/tests) is folded or has a row in docs/duplicates.md.
# It fails on a partial answer too (scripts/duplicates.sh). `duplicates` is a developer tool that
# is not in the repo and not in Debian: where it is not installed the check cannot run, and the
# run says so on its own line (npm test must still work on a fresh machine).
if [ $# -eq 0 ]; then
  if command -v duplicates >/dev/null; then
    check "duplicates: every pair is folded, or accepted / open in docs/duplicates.md" \
      env SUPABASE_DB_URL="$SUPABASE_DB_URL" DUPLICATES_CHECK=1 bash scripts/duplicates.sh
  else
    echo "SKIP duplicates: the 'duplicates' tool is not installed, so issue 16's guardrail" \
      "(no unlisted copy, docs/duplicates.md) is NOT enforced by this run"
  fi
fi

# Deno tests (unit + integration) against the running stack.
deno_args=("$@")
[ ${#deno_args[@]} -eq 0 ] && deno_args=(tests/)
"$DENO" test -A --unstable-broadcast-channel "${deno_args[@]}" 2>&1 | tee /tmp/traffic-sync-deno.$$
deno_rc=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' /tmp/traffic-sync-deno.$$ | tail -n 1)
rm -f /tmp/traffic-sync-deno.$$
dp=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
df=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
passed=$((passed + ${dp:-0}))
failed=$((failed + ${df:-0}))
if [ "$deno_rc" -ne 0 ] && [ "${df:-0}" -eq 0 ]; then
  failed=$((failed + 1))
  failures+=("deno test exited $deno_rc")
fi

# pgTAP, as `supabase test db` runs it.
if [ $# -eq 0 ] || [ "${PGTAP:-0}" = 1 ]; then
  shopt -s nullglob
  files=(supabase/tests/database/*.test.sql)
  if [ ${#files[@]} -gt 0 ]; then
    PGPORT=$((STACK_PORT + 1))
    # The helpers every test file may call (the `tests` schema), installed first; they are not
    # tests, so they sit outside database/ and are loaded with psql, in file-name order.
    for h in supabase/tests/helpers/*.sql; do
      check "pgTAP helpers $(basename "$h")" \
        psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -f "$h"
    done
    pg_prove --verbose -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres "${files[@]}" \
      >/tmp/traffic-sync-tap.$$ 2>&1
    tap_rc=$?
    grep -E '^(not ok|# )|\.\. |^Failed|^Result|^Files=' /tmp/traffic-sync-tap.$$ | grep -vE '^ok' | head -n 200
    tp=$(grep -cE '^\s*ok [0-9]+' /tmp/traffic-sync-tap.$$)
    tf=$(grep -cE '^\s*not ok [0-9]+' /tmp/traffic-sync-tap.$$)
    passed=$((passed + tp))
    failed=$((failed + tf))
    if [ "$tap_rc" -ne 0 ] && [ "$tf" -eq 0 ]; then
      failed=$((failed + 1))
      failures+=("pg_prove exited $tap_rc")
      tail -n 30 /tmp/traffic-sync-tap.$$
    fi
    rm -f /tmp/traffic-sync-tap.$$
    echo "pgTAP: $tp passed, $tf failed"
  fi
fi

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
