/**
 * A fake Meta Graph API over a `GraphModel`: `GET /<version>/act_<id>/insights` with Meta's
 * parameters (level=ad, time_increment=1, time_range, filtering on campaign.id and
 * ad.effective_status, limit, cursor paging whose `next` carries the access token), its usage
 * headers with string values, and its literal error bodies (tests/fixtures/facebook/errors.json).
 *
 * `graphApi(model)` is a plain `(Request) => Promise<Response>`: msw serves it in unit tests,
 * `serveGraphApi()` on a loopback port for the local stack, whose functions run in other processes.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { daysBetween, expectedRows, type FakeAd, type GraphModel } from "./graph-model.ts";

export * from "./graph-model.ts";

/** One request as the fake saw it (the token is kept for assertions: it is test data). */
export interface GraphCall {
  accountId: string;
  token: string | null;
  url: URL;
}

/**
 * Lets a test answer a request itself (an error, a throttle); `undefined` answers normally. A
 * promise holds the request until it settles (a test that must act while pages are in flight).
 */
export type Intercept = (
  call: GraphCall,
  n: number,
) => Response | undefined | Promise<Response | undefined>;

const errors: Record<string, { status: number; headers?: Record<string, string>; body: unknown }> =
  JSON.parse(
    Deno.readTextFileSync(new URL("../fixtures/facebook/errors.json", import.meta.url)),
  );

/** One of the literal error payloads of errors.json as a Response. */
export function graphError(name: string, headers: Record<string, string> = {}): Response {
  const e = errors[name];
  if (!e) throw new Error(`no error fixture ${name}`);
  return Response.json(e.body, { status: e.status, headers: { ...e.headers, ...headers } });
}

/** Usage headers as Meta sends them, values as strings (they are, sometimes). */
export function usageHeaders(accountId: string, pct = "3.5"): Record<string, string> {
  return {
    "x-fb-ads-insights-throttle": JSON.stringify({
      app_id_util_pct: pct,
      acc_id_util_pct: pct,
      ads_api_access_tier: "standard_access",
    }),
    "x-business-use-case-usage": JSON.stringify({
      [accountId]: [{
        type: "ads_insights",
        call_count: pct,
        total_cputime: "1",
        total_time: "1",
        estimated_time_to_regain_access: "0",
      }],
    }),
  };
}

const oauth = (message: string, code: number, status = 400) =>
  Response.json({ error: { message, type: "OAuthException", code } }, { status });

const cursor = (offset: number, page: number) => btoa(`o:${offset}:p:${page}`);
const uncursor = (c: string | null) => {
  const m = c ? /^o:(\d+):p:(\d+)$/.exec(atob(c)) : null;
  return m ? { offset: Number(m[1]), page: Number(m[2]) } : { offset: 0, page: 0 };
};

function filtered(ads: FakeAd[], filtering: string | null): FakeAd[] {
  let out = ads.filter((a) => a.status !== "ARCHIVED" && a.status !== "DELETED");
  if (!filtering) return out;
  const filters = JSON.parse(filtering) as { field: string; operator: string; value: string[] }[];
  const status = filters.find((f) => f.field === "ad.effective_status");
  if (status) out = ads.filter((a) => status.value.includes(a.status));
  const campaigns = filters.find((f) => f.field === "campaign.id");
  if (campaigns) out = out.filter((a) => campaigns.value.includes(a.campaign_id));
  return out;
}

/** The fake as a fetch handler. `calls` records every insights request. */
export function graphApi(model: GraphModel, intercept?: Intercept) {
  const calls: GraphCall[] = [];
  const handle = async (req: Request): Promise<Response> => {
    if (model.latencyMs > 0) await new Promise((r) => setTimeout(r, model.latencyMs));
    const url = new URL(req.url);
    if (url.pathname === "/_fake/stats") return Response.json({ calls: calls.length });
    const m = /^\/v\d+\.\d+\/act_(\d+)\/insights$/.exec(url.pathname);
    if (!m || req.method !== "GET") return oauth("Unknown path components", 2500);
    const q = url.searchParams;
    const call: GraphCall = { accountId: m[1], token: q.get("access_token"), url };
    calls.push(call);
    const scripted = await intercept?.(call, calls.length);
    if (scripted) return scripted;

    const token = call.token;
    if (!token) return oauth("An active access token must be used", 2500);
    if (model.expired.has(token)) return graphError("token_expired_190_463");
    const readable = model.tokens.get(token);
    if (!readable) return oauth("Invalid OAuth access token - Cannot parse access token", 190);
    if (model.appSecret) {
      const proof = createHmac("sha256", model.appSecret).update(token).digest("hex");
      if (q.get("appsecret_proof") !== proof) {
        return oauth("Invalid appsecret_proof provided in the API argument", 100);
      }
    }
    const account = model.accounts.get(call.accountId);
    if (!account) return graphError("object_missing_100_33");
    if (!readable.has(account.id)) return graphError("permission_200");
    if (q.get("level") !== "ad" || q.get("time_increment") !== "1") {
      return oauth("(#100) this fake serves level=ad, time_increment=1 only", 100);
    }
    const range = JSON.parse(q.get("time_range") ?? "null") as { since: string; until: string };
    const ads = filtered(account.ads, q.get("filtering"));
    const days = daysBetween(range.since, range.until);
    const total = ads.length * days.length;
    const limit = Math.min(Number(q.get("limit") ?? 25), 500);
    const at = uncursor(q.get("after"));
    const empty = account.emptyPages?.includes(at.page) ?? false;
    const take = empty ? 0 : Math.min(limit, total - at.offset);
    // Only the rows of this page are built: a 150,000-row benchmark stays cheap.
    // Like Meta, only the fields asked for (actions and their costs are opt-in fields).
    const fields = new Set((q.get("fields") ?? "").split(","));
    const data = [];
    for (let i = at.offset; i < at.offset + take; i++) {
      const day = days[Math.floor(i / ads.length)];
      const row: Record<string, unknown> = {
        ...expectedRows(model, account, [ads[i % ads.length]], [day])[0],
      };
      if (!fields.has("actions")) delete row.actions;
      if (!fields.has("cost_per_action_type")) delete row.cost_per_action_type;
      data.push(row);
    }
    const end = at.offset + take;
    const paging: Record<string, unknown> = {
      cursors: { before: cursor(at.offset, at.page), after: cursor(end, at.page + 1) },
    };
    if (end < total) {
      const next = new URL(url);
      next.searchParams.set("after", cursor(end, at.page + 1));
      paging.next = next.href;
    }
    return Response.json({ data, paging }, { headers: usageHeaders(account.id) });
  };
  return { handle, calls };
}

/** Serves the fake on 127.0.0.1:`port` (loopback only). Stop it with `await server.shutdown()`. */
export function serveGraphApi(model: GraphModel, port: number, intercept?: Intercept) {
  const api = graphApi(model, intercept);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    (req) => api.handle(req),
  );
  return { server, calls: api.calls };
}
