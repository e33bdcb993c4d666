#!/usr/bin/env bash
# `npm run env:production`: creates supabase/.env.production from .env.example — the functions'
# environment for a hosted project, loaded with `npx supabase secrets set --env-file
# supabase/.env.production`. Git-ignored and readable by you only (mode 600); an existing file is
# never overwritten. Generates AMOCRM_WEBHOOK_SECRET; prints what is left to fill in.
#   npm run env:production [-- --force]   (--force: overwrite an existing file)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
case "${1:-}" in
  -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
OUT=supabase/.env.production
if [ -e "$OUT" ] && [ "${1:-}" != "--force" ]; then
  echo "$OUT exists; edit it, or run: npm run env:production -- --force" >&2
  exit 1
fi
git check-ignore -q "$OUT" || { echo "refusing: $OUT is not git-ignored (.gitignore)" >&2; exit 1; }
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
sed -e "s/^AMOCRM_WEBHOOK_SECRET=.*/AMOCRM_WEBHOOK_SECRET=$secret/" \
  -e 's/^\([A-Z_][A-Z0-9_]*\)=$/#\1=/' \
  .env.example >"$OUT"
chmod 600 "$OUT"
echo "created $OUT (mode 600, git-ignored); AMOCRM_WEBHOOK_SECRET generated."
echo "empty settings are commented out (#NAME=); fill in and uncomment the ones you use:"
grep -nE '^#[A-Z_][A-Z0-9_]*=$' "$OUT" | sed 's/^/  line /' || true
echo "then: npx supabase secrets set --env-file $OUT   (docs/deploy.md)"
