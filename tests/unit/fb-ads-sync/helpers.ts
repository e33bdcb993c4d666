/**
 * Test scaffolding for fb-ads-sync: the shared fake Graph API (tests/fakes) served by msw, an
 * in-memory `SyncStore` that behaves like the SQL functions (writes only what changed), and an
 * engine wired to the fake clock of the Facebook client's tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { http, setupServer } from "../../deps.ts";
import {
  createFacebookClient,
  type FacebookClientOptions,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import type { EngineDeps } from "../../../supabase/functions/fb-ads-sync/engine.ts";
import type {
  AdsRow,
  RunStart,
  SyncStore,
  SyncTarget,
} from "../../../supabase/functions/fb-ads-sync/store.ts";
import type { HistoryRow } from "../../../supabase/functions/_shared/store.ts";
import {
  grant,
  graphApi,
  type GraphModel,
  graphModel,
  type Intercept,
  makeAccount,
} from "../../fakes/graph-api.ts";
import { BASE, fakeClock, VERSION } from "../facebook/helpers.ts";

export { BASE, fakeClock, T0, VERSION } from "../facebook/helpers.ts";

/** Serves `model` through msw at graph.facebook.com; every other request is an error. */
export function startGraph(model: GraphModel, intercept?: Intercept) {
  const api = graphApi(model, intercept);
  const server = setupServer(http.all(`${BASE}/*`, ({ request }) => api.handle(request)));
  server.listen({ onUnhandledRequest: "error" });
  return { calls: api.calls, close: () => server.close() };
}

/** A settings row as `fb_sync_targets()` returns it. */
export function target(
  user_id: string,
  token: string | null,
  ad_accounts: string[],
  extra: Partial<SyncTarget> = {},
): SyncTarget {
  return {
    user_id,
    team_name: `Team ${user_id.slice(0, 4)}`,
    access_token: token,
    token_status: null,
    ad_accounts,
    tracked_campaigns: [],
    ...extra,
  };
}

/** An in-memory SyncStore; `fail*` inject database failures. */
export function memoryStore(targets: SyncTarget[] = []) {
  const rows = new Map<string, AdsRow & { user_id: string; synced_at: string }>();
  const store = {
    targetsList: targets,
    rows,
    upserts: [] as { userId: string; rows: AdsRow[] }[],
    locks: new Map<string, string>(),
    lockCalls: [] as string[],
    tokenStatus: [] as { userId: string; sha256: string; status: string }[],
    history: [] as (HistoryRow & { id: number })[],
    fanOutBodies: [] as Record<string, unknown>[],
    queued: 0,
    failUpsertFor: new Set<string>(),
    failTargets: false,
    targets(userId: string | null) {
      if (store.failTargets) return Promise.reject(new Error("connection refused"));
      return Promise.resolve(store.targetsList.filter((t) => !userId || t.user_id === userId));
    },
    tryLock(key: string) {
      store.lockCalls.push(key);
      if (store.locks.has(key)) return Promise.resolve(null);
      const holder = crypto.randomUUID();
      store.locks.set(key, holder);
      return Promise.resolve(holder);
    },
    releaseLock(key: string, holder: string) {
      const held = store.locks.get(key) === holder;
      if (held) store.locks.delete(key);
      return Promise.resolve(held);
    },
    upsertInsights(userId: string, batch: AdsRow[], fetchedAt: string) {
      if (store.failUpsertFor.has(userId)) {
        return Promise.reject(new Error("fb_upsert_insights failed: permission denied (42501)"));
      }
      store.upserts.push({ userId, rows: batch });
      let changed = 0;
      for (const r of batch) {
        const key = `${userId}|${r.ad_id}|${r.stat_date}`;
        const old = rows.get(key);
        const next = { ...r, user_id: userId, synced_at: fetchedAt };
        if (
          !old ||
          JSON.stringify({ ...old, synced_at: "" }) !== JSON.stringify({ ...next, synced_at: "" })
        ) {
          rows.set(key, next);
          changed++;
        }
      }
      return Promise.resolve(changed);
    },
    setTokenStatus(userId: string, sha256: string, status: "ok" | "invalid") {
      store.tokenStatus.push({ userId, sha256, status });
      return Promise.resolve(true);
    },
    fanOut(body: Record<string, unknown>) {
      store.fanOutBodies.push(body);
      return Promise.resolve(store.queued);
    },
    startRun(run: RunStart) {
      const id = store.history.length + 1;
      const { budget_ms: _budget, ...row } = run;
      store.history.push({
        sync_type: "facebook_ads",
        started_at: new Date().toISOString(),
        ...row,
        id,
      });
      return Promise.resolve(id);
    },
    finishHistory(id: number, row: Partial<HistoryRow>) {
      Object.assign(store.history[id - 1], row);
      return Promise.resolve();
    },
  };
  return store satisfies SyncStore;
}

/** Engine deps over the fake clock, a memory logger and `store`; `client` tunes the Meta client. */
export function engine(
  store: SyncStore,
  extra: Partial<EngineDeps> = {},
  client: Partial<FacebookClientOptions> = {},
) {
  const clock = fakeClock();
  const logger = memoryLogger();
  const facebook = createFacebookClient({
    logger,
    graphUrl: BASE,
    apiVersion: VERSION,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    ...client,
  });
  const deps: EngineDeps = {
    store,
    facebook,
    logger,
    now: clock.now,
    userConcurrency: 2,
    accountConcurrency: 1,
    lockTtlSeconds: 180,
    ...extra,
  };
  return { deps, clock, logger };
}

/** The plan of a run: three days, a two-minute budget from the fake clock's start. */
export function plan(clock: { now: () => number }, budgetMs = 120_000) {
  return { since: "2026-05-01", until: "2026-05-03", deadline: clock.now() + budgetMs };
}

/** Asserts none of `secrets` appears in any of `texts`. */
export function assertNoToken(texts: string[], ...secrets: string[]) {
  for (const s of secrets) {
    for (const t of texts) assert.ok(!t.includes(s), `a token leaked: …${t.slice(0, 300)}…`);
  }
}

/** Two accounts readable with `token`: 801 (`rowsFirst` rows over 3 days) and 802 (6 rows). */
export function twoAccounts(token: string, rowsFirst = 6) {
  const model = graphModel();
  const a = makeAccount({ id: "801", campaigns: 1, adsPerCampaign: rowsFirst / 3 });
  const b = makeAccount({ id: "802", campaigns: 1, adsPerCampaign: 2 });
  grant(model, token, a, b);
  return { model, a, b };
}
