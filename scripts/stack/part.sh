#!/usr/bin/env bash
# Stops or starts one part of a running local stack (today: the gateway), for tests that prove
# what happens while it is down: `bash scripts/stack/part.sh gateway stop|start`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$STACK_DIR/env" ] || fail "the local stack is not running"
case "${1:-}:${2:-}" in
  gateway:stop) stop_part gateway ;;
  gateway:start) start_gateway ;;
  *) echo "usage: $0 gateway stop|start" >&2; exit 2 ;;
esac
