/**
 * `npm run sync` with every step skipped (`--skip-facebook --skip-amocrm --skip-aggregation`) has
 * nothing to do: it exits 2 with a clear message and records no run (it used to record an empty
 * successful `full` run).
 */
import assert from "node:assert/strict";
import { db } from "../helpers/stack.ts";

const sql = db();

Deno.test({
  name: "npm run sync with every step skipped exits 2 and records no full run",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const count = async () =>
      (await sql`select count(*)::int as n from public.traffic_sync_history
                 where sync_type = 'full'`)[0].n as number;
    const before = await count();
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "-A",
        "scripts/sync.ts",
        "--skip-facebook",
        "--skip-amocrm",
        "--skip-aggregation",
      ],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 2, out);
    assert.match(
      out,
      /Nothing to do: --skip-facebook, --skip-amocrm and --skip-aggregation skip every step/,
    );
    assert.equal(await count(), before, "no traffic_sync_history row");
    await sql.end();
  },
});
