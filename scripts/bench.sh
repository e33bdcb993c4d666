#!/usr/bin/env bash
# `npm run bench`: starts a local stack of its own (port BENCH_STACK_PORT, default 58321, folder
# .stack/bench, so a developer's stack and the test stack are left alone), runs every bench/*.ts
# against it, and stops it. Arguments are passed to each benchmark.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export STACK_PORT="${BENCH_STACK_PORT:-58321}"
export STACK_DIR="$ROOT/.stack/bench"
DENO="$ROOT/node_modules/.bin/deno"

bash scripts/ensure-deps.sh || exit 1
stop_stack() { bash scripts/stack/stop.sh --quiet; }
trap stop_stack EXIT
stop_stack
if ! bash scripts/stack/start.sh >"/tmp/traffic-sync-bench.$$" 2>&1; then
  cat "/tmp/traffic-sync-bench.$$"
  echo "local stack did not start"
  exit 1
fi
rm -f "/tmp/traffic-sync-bench.$$"
set -a
source "$STACK_DIR/env"
set +a

rc=0
for f in bench/*.ts; do
  echo "== $f"
  "$DENO" run -A "$f" "$@" || rc=1
done
exit "$rc"
