/**
 * The demo's simulated third parties, as one long-running process:
 *
 * - a Meta Graph API (tests/fakes/graph-api.ts) over the demo accounts of data.ts, with their
 *   deterministic daily spend; the first insights request of every sync for the accounts marked
 *   `throttleCode` is answered with that throttle (code 17 or 80004, usage headers saying the
 *   quota returns in 2 s), so every sync shows a throttle being waited out;
 * - the National Bank of Kazakhstan rates feed (`?fdate=DD.MM.YYYY`): data.ts's rates, an empty
 *   publication on Saturdays and Sundays.
 *
 * - an AmoCRM account's API v4 (tests/fakes/amocrm-api.ts) serving the same simulated deals as
 *   the webhooks (crm.ts, for DEMO_NOW_MS), for amocrm-sync to reconcile with.
 *
 * Usage: deno run -A scripts/demo/fakes.ts <graphPort|0> <nbkPort> [amocrmPort]   (0: no Graph API)
 */
import {
  actionsFor,
  type FakeAccount,
  grant,
  graphModel,
  type Metrics,
  serveGraphApi,
} from "../../tests/fakes/graph-api.ts";
import { adMetaLeads, adMetrics, allAccounts, type DemoAccount, nbkRates, TEAMS } from "./data.ts";
import { serveFakeAmoApi } from "../../tests/fakes/amocrm-api.ts";
import { DEFAULT_TIME_ZONE, localDate } from "../../supabase/functions/_shared/dates.ts";
import { demoCrm } from "./amocrm.ts";
import { demoLeads } from "./crm.ts";

const [graphPort, nbkPort, amocrmPort] = Deno.args.map(Number);

/** Answers `${ad_id}|${day}` lookups with the demo's figures, for any day asked. */
class DemoFigures extends Map<string, Partial<Metrics>> {
  constructor(private byAd: Map<string, [DemoAccount, DemoAccount["ads"][number]]>) {
    super();
  }
  override get(key: string): Partial<Metrics> | undefined {
    const [adId, day] = key.split("|");
    const hit = this.byAd?.get(adId);
    if (!hit) return undefined;
    const m = adMetrics(hit[0], hit[1], day);
    const { form, pixel } = adMetaLeads(hit[1], day);
    // No actions at all must not fall back to the fake's own hashed ones.
    const none = { actions: undefined, cost_per_action_type: undefined };
    return { ...m, ...none, ...actionsFor(m.spend, Number(m.clicks), form, pixel) };
  }
}

function throttle(code: 17 | 80004, accountId: string): Response {
  const message = code === 17
    ? "(#17) User request limit reached"
    : "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.";
  return Response.json(
    {
      error: {
        message,
        type: "OAuthException",
        code,
        error_subcode: 2446079,
        is_transient: true,
        fbtrace_id: "DemoThrottle",
      },
    },
    {
      status: 400,
      headers: {
        "x-ad-account-usage": JSON.stringify({
          acc_id_util_pct: 100,
          reset_time_duration: 2,
          ads_api_access_tier: "standard_access",
        }),
        "x-business-use-case-usage": JSON.stringify({
          [accountId]: [{
            type: "ads_insights",
            call_count: 100,
            total_cputime: 12,
            total_time: 20,
            estimated_time_to_regain_access: 0,
          }],
        }),
      },
    },
  );
}

if (graphPort > 0) {
  const byAd = new Map<string, [DemoAccount, DemoAccount["ads"][number]]>();
  for (const a of allAccounts()) for (const ad of a.ads) byAd.set(ad.ad_id, [a, ad]);
  const model = graphModel({ overrides: new DemoFigures(byAd) });
  for (const team of TEAMS) {
    const accounts: FakeAccount[] = team.accounts.map((a) => ({
      id: a.id,
      name: a.name,
      currency: a.currency,
      ads: a.ads.map(({ product: _p, baseCents: _b, ...ad }) => ({ ...ad, status: "ACTIVE" })),
    }));
    grant(model, team.token, ...accounts);
  }
  const codes = new Map(allAccounts().map((a) => [a.id, a.throttleCode]));
  // A first page (no `after` cursor) of a throttled account: every other one is refused, so
  // each sync meets one throttle per such account and its retry goes through.
  const firstPages = new Map<string, number>();
  serveGraphApi(model, graphPort, (call) => {
    const code = codes.get(call.accountId);
    if (!code || call.url.searchParams.has("after")) return undefined;
    const n = (firstPages.get(call.accountId) ?? 0) + 1;
    firstPages.set(call.accountId, n);
    if (n % 2 === 1) {
      console.log(`graph: throttled act_${call.accountId} with code ${code}`);
      return throttle(code, call.accountId);
    }
    return undefined;
  });
  console.log(`graph: simulated Graph API on 127.0.0.1:${graphPort}`);
}

/**
 * The feed's answer for `fdate`: that day's rates, or for a Saturday or Sunday (no publication of
 * its own) Friday's, stated with Friday's date, so a 30-day window that starts on a weekend still
 * has a rate on or before its first day.
 */
function nbkXml(fdate: string): string {
  let [d, m, y] = fdate.split(".");
  let rates = /^\d{2}\.\d{2}\.\d{4}$/.test(fdate) ? nbkRates(`${y}-${m}-${d}`) : null;
  for (let back = 1; !rates && back <= 2 && /^\d{2}\.\d{2}\.\d{4}$/.test(fdate); back++) {
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d) - back));
    const iso = day.toISOString().slice(0, 10);
    rates = nbkRates(iso);
    if (rates) {
      [y, m, d] = iso.split("-");
      fdate = `${d}.${m}.${y}`;
    }
  }
  const items = Object.entries(rates ?? {}).map(([cur, rate]) =>
    `  <item>\n    <fullname>${cur}</fullname>\n    <title>${cur}</title>\n` +
    `    <description>${rate}</description>\n    <quant>1</quant>\n  </item>\n`
  ).join("");
  return `<?xml version="1.0" encoding="utf-8"?>\n<rates>\n  <date>${fdate}</date>\n${items}</rates>\n`;
}

Deno.serve({ hostname: "127.0.0.1", port: nbkPort, onListen: () => {} }, (req) => {
  const fdate = new URL(req.url).searchParams.get("fdate") ?? "";
  return new Response(nbkXml(fdate), { headers: { "content-type": "text/xml; charset=utf-8" } });
});
console.log(`nbk: simulated rates feed on 127.0.0.1:${nbkPort}`);

if (amocrmPort > 0) {
  const nowMs = Number(Deno.env.get("DEMO_NOW_MS") || Date.now());
  const today = localDate(new Date(nowMs), Deno.env.get("TRAFFIC_TIMEZONE") || DEFAULT_TIME_ZONE);
  const crm = demoCrm(demoLeads(today, nowMs), Deno.env.get("AMOCRM_ACCESS_TOKEN") ?? "");
  crm.onRequest = (path) => console.log(`amocrm: GET ${path}`);
  serveFakeAmoApi(crm, amocrmPort);
  console.log(
    `amocrm: simulated AmoCRM API v4 on 127.0.0.1:${amocrmPort} (${crm.leads.size} deals)`,
  );
}
