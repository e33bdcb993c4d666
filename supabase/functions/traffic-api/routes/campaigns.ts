/**
 * `GET /campaigns`: spend, leads, sales, revenue, ROAS and CPA per campaign, adset or ad over a
 * period or a custom range, from the attributed leads and sales. SQL:
 * `public.traffic_api_campaigns_answer` (one call: the page serialised, and the snapshot it was read
 * in) over `public.traffic_api_campaigns` (money rounded to its unit) over
 * `public.traffic_campaign_metrics`.
 * Rows come by spend, highest first, a page at a time.
 *
 * @module
 */
import { HttpError } from "../../_shared/http.ts";
import type { RouteContext } from "../context.ts";
import { periodRange } from "../dates.ts";
import { answerResponse } from "../cache.ts";
import { type Answer, callerAndQuery, unwrap } from "../db.ts";
import { campaignsQuery, checkRange } from "../validation.ts";

function resolveRange(
  q: { period?: "today" | "7d" | "30d"; from?: string; to?: string },
  tz: string,
  now: Date,
): { from: string; to: string } {
  if (q.period && (q.from || q.to)) {
    throw new HttpError(400, "invalid_query", "Give either period or from and to, not both.");
  }
  if (q.from || q.to) {
    if (!q.from || !q.to) {
      throw new HttpError(400, "invalid_query", "from and to go together.");
    }
    checkRange(q.from, q.to);
    return { from: q.from, to: q.to };
  }
  return periodRange(q.period ?? "7d", tz, now);
}

export async function getCampaigns(ctx: RouteContext): Promise<Response> {
  const { req, deps } = ctx;
  const { caller, q } = callerAndQuery(ctx, campaignsQuery);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  const { from, to } = resolveRange(q, timezone, deps.now?.() ?? new Date());
  // One call: the page (and whether another follows) serialised by SQL, and the snapshot it was
  // read in (for the response cache).
  const answer = unwrap(
    await caller.db.rpc("traffic_api_campaigns_answer", {
      p_from: from,
      p_to: to,
      p_tz: timezone,
      p_level: q.level,
      p_user_id: q.user_id ?? null,
      p_limit: q.limit,
      p_offset: q.offset,
    }),
  ) as Answer & { more: boolean };
  // The body JSON.stringify({ from, …, data }) would give, the rows as SQL serialised them
  // (tests/integration/traffic-api-answers.test.ts compares the two).
  const head = {
    from,
    to,
    timezone,
    level: q.level,
    limit: q.limit,
    offset: q.offset,
    next_offset: answer.more ? q.offset + q.limit : null,
  };
  return await answerResponse(req, head, answer);
}
