import type { postgres } from "../../scripts/lib/deps.ts";

type Sql = ReturnType<typeof postgres>;

/**
 * Every table of the project's schemas that the clearing left empty, truncated (again): the
 * tables its TRUNCATE triggers empty by DELETE (the ad directory, the daily rollups, ...) keep
 * their pages and index pages otherwise — after the volume phase ~10× the pages of the same rows
 * loaded fresh (the directory's 5,000 ads on 497 pages instead of 47) —, a state the first empty
 * phase is not in and a project never reaches by its own writes. Truncating an empty table loses
 * nothing; a table another non-empty one references is left as it is. Returns how many.
 * (bench/amocrm-webhook.ts before each phase; bench/fb-ads-sync.ts before each phase's load.)
 */
export async function refileEmptyTables(sql: Sql): Promise<number> {
  const tables = await sql`select format('%I.%I', n.nspname, c.relname) as t
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'private') and c.relkind = 'r'
      and pg_relation_size(c.oid) > 0`;
  let refiled = 0;
  for (const { t } of tables) {
    const done = await sql.begin(async (tx) => {
      await tx.unsafe(`lock table ${t} in access exclusive mode`);
      const [{ empty }] = await tx.unsafe(`select not exists (select from ${t}) as empty`);
      if (!empty) return false;
      await tx.unsafe(`truncate ${t}`);
      return true;
    }).catch(() => false); // referenced by a table that is not empty
    if (done) refiled++;
  }
  return refiled;
}
