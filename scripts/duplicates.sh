#!/usr/bin/env bash
# `npm run duplicates`: runs of shared logic in what the project IS now, not in its history.
#
# `duplicates --repo supabase` reads every migration, so each successive `create or replace` of a
# function pairs with the one before it (history, never run again). This script instead writes the
# CURRENT definition of every function and view of the public and private schemas, as a database
# built from the migrations holds it (a function's body, under a line naming its signature: the
# header pg_get_functiondef would add is the same few lines everywhere; a view's pg_get_viewdef),
# one file each, into a
# temporary tree beside copies of supabase/functions and supabase/tests, and runs `duplicates` on
# that tree. Extra arguments go to `duplicates` (default `--most 60`).
#
# Pairs judged not to be shared logic are listed in docs/duplicates.md with the reason, verdict
# `accepted`; they are not printed (a count of them is). An entry matches a pair by its two files
# and a key: the length of its longest run, its number of runs, the tool's flags (shape,
# boilerplate) and a hash of the text of both sides of that run. So a new copy between the same
# files, or any edit of the accepted run, prints the pair again for review. An entry that matched
# nothing is named at the end (update or remove its row). DUPLICATES_KEYS=1 prints each shown
# pair's key (what an accepted row holds); DUPLICATES_ALL=1 prints every pair, unfiltered.
# A pair listed with verdict `open` (same files and key) is shown with its owner. DUPLICATES_CHECK=1
# (what `npm test` runs) exits 1 when a shown pair is in no row at all: a new run of shared logic
# must be folded, or given a row (accepted with its reason, or open with an owner). It also exits 1
# when the answer is partial (`incomplete: ...`, or a list cut at --most), since then a copy could
# be among the pairs never reached.
#
# The database: SUPABASE_DB_URL when set, else the running dev stack's (.stack/env, from
# `STACK_PORT=<port> npm run stack:start`), else (or with DUPLICATES_FRESH=1) a stack of its own
# built from the migrations on DUPLICATES_STACK_PORT (default 28921), stopped at the end.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v duplicates >/dev/null || { echo "duplicates: not installed" >&2; exit 2; }

own_stack=""
db_url="${SUPABASE_DB_URL:-}"
if [ "${DUPLICATES_FRESH:-0}" = 1 ]; then
  db_url=""
elif [ -z "$db_url" ] && [ -f .stack/env ]; then
  db_url=$(sed -n 's/^SUPABASE_DB_URL=//p' .stack/env)
  psql -X -q "$db_url" -c 'select 1' >/dev/null 2>&1 || db_url=""
fi
if [ -z "$db_url" ]; then
  own_stack="$ROOT/.stack/duplicates"
  export STACK_PORT="${DUPLICATES_STACK_PORT:-28921}" STACK_DIR="$own_stack"
  bash scripts/stack/start.sh >/dev/null
  db_url=$(sed -n 's/^SUPABASE_DB_URL=//p' "$own_stack/env")
fi

tree=$(mktemp -d)
cleanup() {
  cd "$ROOT"
  rm -rf "$tree"
  if [ -n "$own_stack" ]; then bash "$ROOT/scripts/stack/stop.sh" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

mkdir -p "$tree/sql/functions" "$tree/sql/views"
# One file per object: <schema>.<name>[.<n>].sql (overloads numbered), sent base64 on one line.
# Extension-owned objects (pgTAP, plpgsql_check) are not ours.
psql -X -q -At -F $'\t' "$db_url" -v ON_ERROR_STOP=1 -c "
  select 'functions/' || n.nspname || '.' || p.proname
      || case when count(*) over (partition by p.pronamespace, p.proname) > 1
              then '.' || row_number() over (partition by p.pronamespace, p.proname
                                             order by p.oid) else '' end || '.sql',
    translate(encode(convert_to('-- ' || p.oid::regprocedure::text || chr(10) || p.prosrc,
      'UTF8'), 'base64'), chr(10), '')
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and p.prokind in ('f', 'p')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                    and d.objid = p.oid and d.deptype = 'e')
  union all
  select 'views/' || n.nspname || '.' || c.relname || '.sql',
    translate(encode(convert_to('create view ' || n.nspname || '.' || c.relname || ' as'
      || chr(10) || pg_get_viewdef(c.oid, 100), 'UTF8'), 'base64'), chr(10), '')
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('public', 'private') and c.relkind in ('v', 'm')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                    and d.objid = c.oid and d.deptype = 'e')" |
  while IFS=$'\t' read -r path body; do
    printf '%s' "$body" | base64 -d >"$tree/sql/$path"
  done
cp -r supabase/functions "$tree/functions"
cp -r supabase/tests "$tree/tests"

echo "[duplicates] $(find "$tree/sql" -name '*.sql' | wc -l) current SQL definitions," \
  "supabase/functions and supabase/tests" >&2
cd "$tree"
# The tool is asked for every pair (up to its 200): accepted pairs must not take the shown ones'
# places. At most 60 are shown unless arguments are given.
show=200
# --seconds 120: the tool's default (20) can run out on a loaded machine, and then it reads only
# part of the tree (it says `incomplete: ...`; the check below fails on that).
if [ $# -eq 0 ]; then set -- --most 200 --seconds 120; show=60; fi
if [ "${DUPLICATES_ALL:-0}" = 1 ]; then
  duplicates --repo "$tree" "$@"
  exit 0
fi
# The accepted rows of docs/duplicates.md: | `a ~ b` | key | accepted | reason |, where key is
# "N lines, M runs[, shape][, boilerplate], <hash>".
duplicates --repo "$tree" "$@" | awk -v allowed="$ROOT/docs/duplicates.md" -v show="$show" \
  -v keys="${DUPLICATES_KEYS:-0}" -v check="${DUPLICATES_CHECK:-0}" '
  BEGIN {
    while ((getline line < allowed) > 0) {
      if (line !~ /^\| `[^`]+ ~ [^`]+` \| [0-9]+ lines?, [0-9]+ runs?[^|]* \| (accepted|open) \|/) continue
      split(line, col, "|")
      pair = col[2]; gsub(/^ *`|` *$/, "", pair)
      key = col[3]; gsub(/^ +| +$/, "", key)
      verdict = col[4]; gsub(/^ +| +$/, "", verdict)
      if (verdict == "open") {
        owner = col[5]; gsub(/^ +| +$/, "", owner); open[pair " | " key] = owner
        openorder[++no] = pair " | " key; continue
      }
      ok[pair " | " key] = 1; order[++n] = pair " | " key
    }
  }
  function side(place, parts, m) { # "path:s-e" -> "sed -n s,ep path"
    m = split(place, parts, /[:-]/)
    return "sed -n \047" parts[m - 1] "," parts[m] "p\047 \047" substr(place, 1, length(place) - length(parts[m - 1]) - length(parts[m]) - 2) "\047"
  }
  /^D[0-9]+ / {
    a = $2; b = $4
    sub(/:[0-9]+-[0-9]+$/, "", a); sub(/:[0-9]+-[0-9]+$/, "", b)
    nr = split($2, r, /[:-]/); len = r[nr] - r[nr - 1] + 1
    runs = 1
    if (match($0, /\(\+[0-9]+ more runs?\)/)) runs += substr($0, RSTART + 2, RLENGTH - 3) + 0
    flags = ($0 ~ / shape( |$)/ ? ", shape" : "") ($0 ~ / boilerplate( |$)/ ? ", boilerplate" : "")
    cmd = "{ " side($2) "; " side($4) "; } | md5sum | cut -c1-8"
    cmd | getline hash; close(cmd)
    key = len " line" (len == 1 ? "" : "s") ", " runs " run" (runs == 1 ? "" : "s") flags ", " hash
    pair = a " ~ " b
    if ((pair " | " key) in ok) { used[pair " | " key] = 1; hidden++; next }
    if ((pair " | " key) in open) seen[pair " | " key] = 1; else unlisted++
    if (++shown > show) { more++; next }
    sub(/^D[0-9]+/, "D" shown)
    if ((pair " | " key) in open) $0 = $0 "  [open in docs/duplicates.md: " open[pair " | " key] "]"
    print
    if (keys == 1) print "    key: | `" pair "` | " key " |"
    next
  }
  /^\(\+[0-9]+ more pairs\)/ { cut = 1 }
  /^incomplete:/ { incomplete = 1 }
  { print }
  END {
    if (more) printf "(+%d more pairs)\n", more
    printf "%d pairs shown; %d accepted in docs/duplicates.md, not shown\n", shown - more, hidden
    if (!cut) for (i = 1; i <= n; i++) if (!(order[i] in used))
      print "accepted in docs/duplicates.md but not found (update or remove its row): " order[i]
    if (!cut) for (i = 1; i <= no; i++) if (!(openorder[i] in seen))
      print "open in docs/duplicates.md but not found (folded? move the row): " openorder[i]
    if (check == 1 && (incomplete || cut)) {
      print "the check is void: the tool did not read or list every pair (incomplete, or more pairs than --most)"
      exit 1
    }
    if (check == 1 && unlisted > 0) {
      printf "%d pair(s) in no row of docs/duplicates.md: fold the copy, or add a row (accepted with its reason, or open with an owner; DUPLICATES_KEYS=1 prints the key)\n", unlisted
      exit 1
    }
  }'
