/**
 * The commands printed at the end of the demo: traffic-api and PostgREST calls with a demo
 * targetologist's JWT (signed with the stack's secret, valid 24 h), psql with the monitoring
 * queries, `npm run status`, `npm run stack:stop`.
 *
 * @module
 */
import { userJwt } from "../lib/jwt.ts";
import type { StackEnv } from "../lib/stack-env.ts";
import { TEAMS } from "./data.ts";
import { addDays } from "./crm.ts";

const MONITORING = [
  [
    "last runs per sync type",
    `select distinct on (sync_type) sync_type, started_at, success, records_synced, duration_ms, error_message from traffic_sync_history order by sync_type, started_at desc;`,
  ],
  [
    "webhook events by status",
    `select status, count(*) from traffic_amocrm_events group by status;`,
  ],
  [
    "the sales ledger, the refund included",
    `select product, sale_type, status, count(*), sum(sale_amount) from traffic_sales group by 1, 2, 3 order by 1, 2, 3;`,
  ],
  [
    "freshest Facebook data per team",
    `select team_name, max(stat_date) as latest_day, max(synced_at) as last_change, sum(spend) filter (where stat_date = (now() at time zone 'Asia/Almaty')::date) as spend_today from traffic_facebook_ads_raw group by team_name;`,
  ],
  [
    "rates used",
    `select rate_date, currency, rate_kzt from exchange_rates order by rate_date desc, currency limit 10;`,
  ],
  [
    "cron jobs' last results",
    `select j.jobname, d.status, d.start_time from cron.job j left join lateral (select status, start_time from cron.job_run_details where jobid = j.jobid order by start_time desc limit 1) d on true;`,
  ],
];

export async function explore(
  env: Pick<StackEnv, "SUPABASE_URL" | "SUPABASE_ANON_KEY" | "SUPABASE_JWT_SECRET">,
  today: string,
): Promise<void> {
  const team = TEAMS[0];
  const jwt = await userJwt(
    env.SUPABASE_JWT_SECRET,
    { id: team.user_id, email: team.email },
    24 * 3600,
  );
  const url = env.SUPABASE_URL;
  const port = new URL(url).port;
  const stackPort = port === "54321" ? "" : `STACK_PORT=${port} `;
  console.log(`
Explore (${team.team_name}'s token below is valid for 24 h; it sees only ${team.team_name}'s rows):

  export JWT='${jwt}'
  export ANON='${env.SUPABASE_ANON_KEY}'
  curl -s "${url}/functions/v1/traffic-api/metrics" -H "apikey: $ANON" -H "Authorization: Bearer $JWT"
  curl -s "${url}/functions/v1/traffic-api/daily?from=${
    addDays(today, -6)
  }&to=${today}" -H "apikey: $ANON" -H "Authorization: Bearer $JWT"
  curl -s "${url}/functions/v1/traffic-api/campaigns?period=30d&level=ad" -H "apikey: $ANON" -H "Authorization: Bearer $JWT"
  curl -s "${url}/functions/v1/traffic-api/sync-status" -H "apikey: $ANON" -H "Authorization: Bearer $JWT"
  curl -s "${url}/rest/v1/traffic_aggregated_metrics?select=team_name,period,spend_usd,total_revenue,roas" \\
       -H "apikey: $ANON" -H "Authorization: Bearer $JWT"
  curl -s "${url}/rest/v1/traffic_facebook_ads_raw?select=campaign_name,ad_name,spend,account_currency&stat_date=eq.${today}" \\
       -H "apikey: $ANON" -H "Authorization: Bearer $JWT"

  set -a; source .stack/env; set +a    # SUPABASE_DB_URL and the keys
  psql "$SUPABASE_DB_URL"`);
  for (const [title, q] of MONITORING) console.log(`    -- ${title}\n    ${q}`);
  console.log(`
  ${stackPort}npm run status          # monitoring summary
  ${stackPort}npm run sync            # the manual sync again (30 days)
  ${stackPort}npm run stack:stop      # stops the stack and the simulated services
`);
}
