/**
 * A run that reaches its deadline stops between requests, keeps the leads watermark of its
 * complete pages, leaves the events watermark where it was, and the next run resumes there and
 * completes (fake store, fake account, injected clock: no stack, no network).
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../../supabase/functions/amocrm-sync/config.ts";
import { runSync } from "../../../supabase/functions/amocrm-sync/run.ts";
import type { ApiLeadEvent } from "../../../supabase/functions/amocrm-sync/map.ts";
import type { SyncStore } from "../../../supabase/functions/amocrm-sync/store.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import { FakeCrm } from "../../fakes/amocrm-api.ts";

function memoryStore() {
  const state: Record<string, unknown> = {};
  const applied: ApiLeadEvent[] = [];
  const runs: Record<string, unknown>[] = [];
  const store: SyncStore = {
    startHistory: (row) => Promise.resolve(runs.push({ ...row })),
    finishHistory: (id, row) => Promise.resolve(void Object.assign(runs[id - 1], row)),
    getState: () => Promise.resolve({ ...state }),
    record: (_account, s) => {
      for (const k of ["leads_watermark", "events_watermark"]) {
        if (s[k] && (!state[k] || String(s[k]) > String(state[k]))) state[k] = s[k];
      }
      return Promise.resolve();
    },
    apply: (events) => {
      applied.push(...events);
      const ids = [...new Set(events.map((e) => Number(e.leadId)))];
      return Promise.resolve({
        events: events.length,
        inserted: events.length,
        leads: ids.length,
        changed_lead_ids: ids,
        changed_sale_ids: [],
        leads_written: ids.length,
        sales_written: 0,
      });
    },
  };
  return { store, state, applied, runs };
}

Deno.test("a run past its deadline stops, keeps its progress, and the next run resumes", async () => {
  const nowS = 1_800_000_000;
  let clock = nowS * 1000;
  const crm = new FakeCrm("tok");
  for (let i = 0; i < 2_000; i++) {
    crm.create({ id: 1 + i, at: nowS - 20_000 + i, status: 1, pipeline: 2, price: 10 });
  }
  const deps = (budget: string) => ({
    config: loadConfig({
      SUPABASE_URL: "http://localhost",
      SUPABASE_SERVICE_ROLE_KEY: "k",
      AMOCRM_ACCESS_TOKEN: "tok",
      AMOCRM_SUBDOMAIN: "acme",
      AMOCRM_SYNC_BUDGET_MS: budget,
    }),
    logger: memoryLogger(),
    fetch: (input: RequestInfo | URL) =>
      Promise.resolve(
        crm.handle(new Request(String(input), { headers: { authorization: "Bearer tok" } })),
      ),
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  });
  const mem = memoryStore();
  const opts = { triggeredBy: "test", token: "tok", apiUrl: "http://crm.test" };

  // 1000 ms at 143 ms per request: the events page and a few leads pages, not all 8.
  const first = await runSync({ ...deps("1000"), store: mem.store }, opts);
  assert.equal(first.partial, true);
  assert.equal(first.success, true);
  assert.ok(first.leads_read > 0 && first.leads_read < 2_000, `read ${first.leads_read}`);
  assert.ok(mem.state.leads_watermark, "the leads watermark of complete pages is kept");
  assert.equal(mem.state.events_watermark, undefined, "the events window is read again next time");
  assert.equal(mem.runs[0].success, true);
  assert.equal((mem.runs[0].details as { partial: boolean }).partial, true);

  clock += 600_000;
  const second = await runSync({ ...deps("110000"), store: mem.store }, opts);
  assert.equal(second.partial, false);
  const seen = new Set(mem.applied.filter((e) => e.action === "update").map((e) => e.leadId));
  assert.equal(seen.size, 2_000, "every lead was read by the two runs together");
  assert.ok(mem.state.events_watermark);
  // The second run started from the first one's watermark (minus the overlap), not from scratch.
  assert.ok(second.leads_read < 2_000, `second run read ${second.leads_read}`);
});
