#!/usr/bin/env bash
# Copies the dashboard's browser libraries from node_modules (pinned in package.json, installed
# by `npm ci`) into dashboard/vendor/, so the page is plain static files any host can serve:
#   uPlot (charts, ESM + CSS) and supabase-js (UMD build, window.supabase).
# Nothing is downloaded here. dashboard/vendor/ is generated (git-ignored); run again after
# `npm ci` changes a version. `--check` exits 1 when a copy is missing or differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=(
  "node_modules/uplot/dist/uPlot.esm.js:uPlot.esm.js"
  "node_modules/uplot/dist/uPlot.min.css:uPlot.min.css"
  "node_modules/@supabase/supabase-js/dist/umd/supabase.js:supabase.js"
)
out=dashboard/vendor
if [ "${1:-}" = "--check" ]; then
  for f in "${files[@]}"; do
    cmp -s "${f%%:*}" "$out/${f##*:}" || { echo "[dashboard] $out/${f##*:} is missing or stale" >&2; exit 1; }
  done
  exit 0
fi
mkdir -p "$out"
for f in "${files[@]}"; do
  src=${f%%:*}
  [ -f "$src" ] || { echo "[dashboard] $src is missing: run npm ci" >&2; exit 1; }
  cp "$src" "$out/${f##*:}"
done
{
  echo "# Copied by scripts/dashboard/vendor.sh from node_modules; do not edit."
  for p in uplot @supabase/supabase-js; do
    echo "$p $(node -p "require('./node_modules/$p/package.json').version")"
  done
} >"$out/VERSIONS"
