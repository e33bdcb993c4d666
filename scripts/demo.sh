#!/usr/bin/env bash
# `npm run demo`: the whole pipeline on the local stack. Until the pipeline lands (issues 4-8)
# it starts the local stack, proves it answers, and says what to try.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/ensure-deps.sh
if [ ! -f .stack/env ]; then
  bash scripts/stack/start.sh
fi
set -a
source .stack/env
set +a
echo
echo "The local stack is running. The sync pipeline is not wired into the demo yet."
echo "  curl -s \"$SUPABASE_URL/rest/v1/\" -H \"apikey: \$SUPABASE_ANON_KEY\""
echo "  psql \"$SUPABASE_DB_URL\""
echo "Stop it with: npm run stack:stop"
