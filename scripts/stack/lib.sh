# Shared settings of the local stack scripts (sourced, not run).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
LOG_DIR="$STACK_DIR/logs"
PID_DIR="$STACK_DIR/pids"
# One base port; every part takes its own offset so two checkouts can run side by side.
STACK_PORT="${STACK_PORT:-54321}"
GATEWAY_PORT="$STACK_PORT"
PG_PORT=$((STACK_PORT + 1))
POSTGREST_PORT=$((STACK_PORT + 2))
FUNCTIONS_BASE_PORT=$((STACK_PORT + 10))
PG_BIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb 2>/dev/null || echo /usr/bin/x)")
DENO="$ROOT/node_modules/.bin/deno"
DB_URL="postgresql://postgres:postgres@127.0.0.1:$PG_PORT/postgres"
FUNCTIONS=(fb-ads-sync aggregate-metrics amocrm-webhook traffic-api)

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { echo "[stack] $*"; }
fail() { echo "[stack] FAILED: $*" >&2; exit 1; }
# The cluster lives outside the checkout so the `postgres` user can reach it wherever the checkout
# is (CI clones into folders that user may not be allowed to enter).
PG_HOME="${TMPDIR:-/tmp}/traffic-sync-stack-$(printf '%s' "$ROOT:$STACK_PORT" | md5sum | cut -c1-10)"
PGDATA="$PG_HOME/pgdata"
PGSOCK="$PG_HOME/run"
POSTGREST_ADMIN_PORT=$((STACK_PORT + 3))

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
