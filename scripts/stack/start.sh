#!/usr/bin/env bash
# Starts the local Supabase stack in the background and returns when every part answers:
# PostgreSQL 15 (pg_cron, pgTAP, plpgsql_check) + the compatibility layer + the project's
# migrations and seed, PostgREST 12, the pg_net worker, the functions, and the gateway.
# Writes .stack/env. Variables in this script's environment reach the functions.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

running=""
if [ -d "$PID_DIR" ]; then
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] || continue
    kill -0 "$(cat "$f")" 2>/dev/null && running="$running $(basename "$f" .pid)"
  done
fi
if [ -n "$running" ] || [ -f "$PGDATA/postmaster.pid" ]; then
  echo "[stack] the local stack is already running (${running# }); stop it first: npm run stack:stop" >&2
  exit 1
fi
for p in "$GATEWAY_PORT" "$PG_PORT" "$POSTGREST_PORT" "$POSTGREST_ADMIN_PORT"; do
  port_busy "$p" && fail "port $p is in use by another program (choose another base with STACK_PORT=...)"
done

bash "$ROOT/scripts/ensure-deps.sh"

rm -rf "$PID_DIR" "$STACK_DIR/env" "$PG_HOME"
mkdir -p "$LOG_DIR" "$PID_DIR" "$PGDATA" "$PGSOCK" "$STACK_DIR/run"
chown -R postgres:postgres "$PG_HOME" 2>/dev/null || true
chmod 700 "$PGDATA"

started=0
on_error() {
  echo "[stack] start failed; stopping what was started" >&2
  bash "$ROOT/scripts/stack/stop.sh" --quiet || true
}
trap on_error ERR

# 1. PostgreSQL
log "postgres: initdb ($PGDATA, port $PG_PORT)"
# --no-sync: the new cluster's files are not flushed before it starts (a machine crash during
# start-up only means starting again); everything committed later is durable.
as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$LOG_DIR/initdb.log" 2>&1 || fail "postgres initdb failed; read $LOG_DIR/initdb.log"
cat >>"$PGDATA/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGSOCK'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
timezone = 'UTC'
log_timezone = 'UTC'
max_connections = 200
# Durable, as in production: a commit is flushed to the WAL before Postgres confirms it, so a
# webhook answered 200 survives Postgres being killed (and the machine crashing). A flush costs
# ~0.25 ms here (pg_test_fsync); speed comes from fewer checkpoints instead.
fsync = on
synchronous_commit = on
full_page_writes = on
max_wal_size = 1GB
checkpoint_timeout = 15min
# After a crash, one syncfs() of the file system instead of an fsync() per file before recovery.
recovery_init_sync_method = syncfs
CONF
start_postgres
ln -sf "$PG_HOME/postgres.log" "$LOG_DIR/postgres.log"
psql_q() { psql "$DB_URL" -v ON_ERROR_STOP=1 -q -X "$@"; }

# 2. Supabase compatibility layer, keys, and the Vault secrets the cron jobs read
log "postgres: applying the Supabase compatibility layer"
psql_q -f "$ROOT/scripts/stack/sql/compat.sql" >"$LOG_DIR/compat.log" 2>&1 ||
  fail "compatibility layer failed; read $LOG_DIR/compat.log"
"$DENO" run -q -A "$ROOT/scripts/stack/keys.ts" "http://127.0.0.1:$GATEWAY_PORT" "$DB_URL" >"$STACK_DIR/env"
set -a
source "$STACK_DIR/env"
set +a
psql_q -v url="$SUPABASE_URL" -v key="$SUPABASE_SERVICE_ROLE_KEY" >/dev/null <<'SQL'
select vault.create_secret(:'url', 'project_url', 'Base URL the pg_cron jobs call');
select vault.create_secret(:'key', 'service_role_key', 'Key the pg_cron jobs send to the functions');
SQL

# The gateway binds its fixed port now, before the stack opens many outbound connections (a
# connection's local port, from the kernel's ephemeral range, could otherwise take it). It finds
# PostgREST and the functions per request, so it does not need them yet.
log "gateway: starting on $GATEWAY_PORT"
start_gateway

# 3. Migrations and seed, by the real Supabase CLI
log "postgres: supabase migration up + seed"
cli_url="$DB_URL?sslmode=disable"
npx --no-install supabase migration up --db-url "$cli_url" --include-all >"$LOG_DIR/migrations.log" 2>&1 ||
  fail "migrations failed; read $LOG_DIR/migrations.log"
if [ -s supabase/seed.sql ]; then
  npx --no-install supabase db push --db-url "$cli_url" --include-seed --yes >>"$LOG_DIR/migrations.log" 2>&1 ||
    fail "seed failed; read $LOG_DIR/migrations.log"
fi

# 4. PostgREST
cat >"$STACK_DIR/postgrest.conf" <<CONF
db-uri = "postgres://authenticator:postgres@127.0.0.1:$PG_PORT/postgres"
db-schemas = "public"
db-anon-role = "anon"
db-extra-search-path = "public, extensions"
db-max-rows = 1000
db-pool = 20
db-channel-enabled = true
jwt-secret = "$SUPABASE_JWT_SECRET"
server-host = "127.0.0.1"
server-port = $POSTGREST_PORT
admin-server-port = $POSTGREST_ADMIN_PORT
log-level = "warn"
CONF
chmod 600 "$STACK_DIR/postgrest.conf"
log "postgrest: starting on $POSTGREST_PORT"
start_postgrest

# 5. pg_net worker
spawn net-worker "$LOG_DIR/net-worker.log" "$DENO" run -q -A "$ROOT/scripts/stack/net-worker.ts"

# 6. Functions, each in its own process on a port the OS picks (written to run/fn-<name>.port)
for fn in "${FUNCTIONS[@]}"; do
  [ -f "supabase/functions/$fn/index.ts" ] || continue
  spawn "fn-$fn" "$LOG_DIR/fn-$fn.log" "$DENO" run -q -A "$ROOT/scripts/stack/serve-function.ts" \
    "$fn" "$STACK_DIR/run"
done
for fn in "${EXTRA_FUNCTIONS[@]}"; do
  spawn "fn-$fn" "$LOG_DIR/fn-$fn.log" "$DENO" run -q -A "$ROOT/scripts/stack/serve-function.ts" \
    "$fn" "$STACK_DIR/run" "$EXTRA_FUNCTIONS_DIR"
done
for fn in "${FUNCTIONS[@]}" "${EXTRA_FUNCTIONS[@]}"; do
  [ -f "supabase/functions/$fn/index.ts" ] || [ -f "$EXTRA_FUNCTIONS_DIR/$fn/index.ts" ] || continue
  # Listening once its port file exists and any HTTP answer comes back (routes decide the status).
  for ((t = 0; t < 600; t++)); do
    p=$(cat "$STACK_DIR/run/fn-$fn.port" 2>/dev/null || true)
    [ -n "$p" ] && curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$p/$fn" 2>/dev/null && break
    kill -0 "$(cat "$PID_DIR/fn-$fn.pid")" 2>/dev/null || { t=600; break; }
    sleep 0.1
  done
  if [ "$t" -ge 600 ]; then
    echo "[stack] FAILED: function $fn did not start; read $LOG_DIR/fn-$fn.log" >&2
    tail -n 20 "$LOG_DIR/fn-$fn.log" >&2 || true
    false
  fi
done
if ! kill -0 "$(cat "$PID_DIR/net-worker.pid")" 2>/dev/null; then
  fail "net-worker exited; read $LOG_DIR/net-worker.log"
fi

trap - ERR
log "ready. Environment (also in .stack/env):"
cat "$STACK_DIR/env"
