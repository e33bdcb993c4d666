/**
 * Each migration's version (the 14 digits its file name starts with) is the primary key of
 * `supabase_migrations.schema_migrations`: two files with one version fail `supabase db reset` /
 * `db push` (github.com/supabase/cli/issues/2564), and git merges them without a word, since the
 * names differ. It happened three times in one hour on 2026-12-07 (review R7 M1b, M3), caught by
 * hand; this makes `npm test` catch it.
 */
import assert from "node:assert/strict";

const MIGRATIONS = new URL("../../../supabase/migrations/", import.meta.url);
const files = [...Deno.readDirSync(MIGRATIONS)].filter((e) => e.isFile).map((e) => e.name).sort();

Deno.test("every migration file is named <14-digit version>_<snake_case>.sql", () => {
  assert.ok(files.length > 100, `${files.length} migrations found`);
  assert.deepEqual(files.filter((f) => !/^\d{14}_[a-z0-9_]+\.sql$/.test(f)), []);
});

Deno.test("no two migrations share a version", () => {
  const byVersion = Map.groupBy(files, (f) => f.slice(0, 14));
  const shared = [...byVersion.values()].filter((names) => names.length > 1);
  assert.deepEqual(shared, []);
});
