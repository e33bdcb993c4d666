/**
 * Helpers for fb-ads-sync's integration tests and benchmark: where the loopback fake Graph API
 * listens (the URL the stack's functions were started with), calling the function through the
 * gateway with the service key, and the rows the fake's model says the table should hold.
 *
 * @module
 */
import { normalizeDecimal } from "../../supabase/functions/_shared/decimal.ts";
import {
  daysBetween,
  expectedRows,
  type FakeAccount,
  type GraphModel,
} from "../fakes/graph-api.ts";
import { invokeFunction, stackEnv } from "./stack.ts";

/**
 * The fake Graph API's URL: `FACEBOOK_GRAPH_URL` (scripts/test.sh and scripts/bench.sh export it
 * before the stack starts, so the functions call it), else STACK_PORT + 21 on loopback.
 */
export function graphUrl(): URL {
  const fromEnv = Deno.env.get("FACEBOOK_GRAPH_URL");
  if (fromEnv) return new URL(fromEnv);
  const port = Number(new URL(stackEnv().SUPABASE_URL).port || "54321") + 21;
  return new URL(`http://127.0.0.1:${port}`);
}

/** POSTs `body` to fb-ads-sync through the gateway; `key` defaults to the service key. */
export async function callSync(body: unknown, key = stackEnv().SUPABASE_SERVICE_ROLE_KEY) {
  const res = await invokeFunction("fb-ads-sync", {
    method: "POST",
    headers: key ? { authorization: `Bearer ${key}`, "content-type": "application/json" } : {},
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

/**
 * Syncs one user, retrying while another run holds the user's lock (the stack's own pg_cron job
 * may fan out at minute 5 of an hour).
 */
export async function syncOne(userId: string, extra: Record<string, unknown> = {}) {
  for (let i = 0;; i++) {
    const r = await callSync({ user_id: userId, triggered_by: "itest", ...extra });
    if (r.json?.users?.[0]?.outcome !== "skipped" || i >= 30) return r;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/** A table row reduced to what the comparison needs, keyed `ad_id|day`. */
export type RowView = Record<string, string | number | null>;

/** What `traffic_facebook_ads_raw` should hold for these accounts and days, keyed `ad|day`. */
export function expectedTable(
  model: GraphModel,
  teamName: string,
  accounts: { account: FakeAccount; campaigns?: string[] }[],
  since: string,
  until: string,
): Map<string, RowView> {
  const out = new Map<string, RowView>();
  for (const { account, campaigns } of accounts) {
    const ads = account.ads.filter((a) => !campaigns?.length || campaigns.includes(a.campaign_id));
    for (const r of expectedRows(model, account, ads, daysBetween(since, until))) {
      out.set(`${r.ad_id}|${r.date_start}`, {
        team_name: teamName,
        account_id: r.account_id,
        account_name: r.account_name,
        account_currency: r.account_currency,
        campaign_id: r.campaign_id,
        campaign_name: r.campaign_name,
        adset_id: r.adset_id,
        adset_name: r.adset_name,
        ad_name: r.ad_name,
        spend: normalizeDecimal(r.spend),
        impressions: Number(r.impressions),
        clicks: Number(r.clicks),
        reach: Number(r.reach),
      });
    }
  }
  return out;
}
