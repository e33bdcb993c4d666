#!/usr/bin/env bash
# Stops every process the local stack started and removes its cluster. Logs stay in .stack/logs.
set -uo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
source "$(dirname "$0")/lib.sh"
quiet=${1:-}
say() { [ "$quiet" = "--quiet" ] || log "$@"; }

if [ -d "$PID_DIR" ]; then
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    kill -0 "$(cat "$f")" 2>/dev/null && say "stopping $name"
    stop_part "$name"
  done
fi
if [ -f "$PGDATA/postmaster.pid" ]; then
  say "stopping postgres"
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
fi
if [ -f "$PG_HOME/postgres.log" ]; then
  rm -f "$LOG_DIR/postgres.log"
  cp "$PG_HOME/postgres.log" "$LOG_DIR/postgres.log" 2>/dev/null || true
fi
rm -rf "$PG_HOME" "$PID_DIR" "$STACK_DIR/run" "$STACK_DIR/env" "$STACK_DIR/postgrest.conf"
say "stopped"
