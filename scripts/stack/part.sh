#!/usr/bin/env bash
# Stops, kills or starts one part of a running local stack, for tests that prove what happens
# while it is down: `bash scripts/stack/part.sh <part> stop|kill|start`.
#   gateway   stop | kill | start
#   postgrest stop | kill | start
#   postgres  stop (fast shutdown) | kill (SIGKILL of the postmaster and every backend, as a crash
#             would) | start (pg_ctl start on the same data directory, which replays the WAL)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$STACK_DIR/env" ] || fail "the local stack is not running"

case "${1:-}:${2:-}" in
  gateway:stop) stop_part gateway ;;
  gateway:kill) kill_part gateway ;;
  gateway:start) start_gateway ;;
  postgrest:stop) stop_part postgrest ;;
  postgrest:kill) kill_part postgrest ;;
  postgrest:start) start_postgrest ;;
  postgres:stop) as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null ;;
  postgres:kill) kill_postgres ;;
  postgres:start) start_postgres ;;
  *) echo "usage: $0 gateway|postgrest|postgres stop|kill|start" >&2; exit 2 ;;
esac
