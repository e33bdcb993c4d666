-- private.traffic_alert_rule_candidates (newest: 20261207004800) reads today's leads through the
-- lead rollup's summing view (private.traffic_leads_by_day, 20261207030010) instead of summing
-- traffic_leads_daily itself (issue 16: one summing definition per rollup). Only that pre-filter
-- changes.
create or replace function private.traffic_alert_rule_candidates(p_rule text, p_params jsonb)
returns table (
  subject_key text,
  user_id uuid,
  team_name text,
  figure numeric,
  message text,
  details jsonb
)
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
set jit = off
as $$
#variable_conflict use_column
declare
  v_params jsonb := coalesce(p_params, '{}');
  v_tz text := (select s.timezone from private.traffic_alert_settings s);
  v_today date := (now() at time zone (select s.timezone from private.traffic_alert_settings s))::date;
  v_n numeric;
  v_m numeric;
  v_k numeric;
  v_levels text[];
  v_from date;
begin
  if p_rule = 'fb_token' then
    v_n := coalesce((v_params ->> 'expires_within_days')::numeric, 7);
    return query
    select 'user:' || t.user_id, t.user_id, t.team_name,
      case when t.problem in ('expiring', 'expired')
        then floor(extract(epoch from t.facebook_token_expires_at - now()) / 86400) end,
      format('Team %s: the Facebook token %s. Fix: open the dashboard settings (or PUT '
        '/traffic-api/settings) and save a new long-lived token; until then fb-ads-sync cannot '
        'read this team''s ad accounts.', t.team_name,
        case t.problem
          when 'missing' then 'is missing'
          when 'invalid' then 'was rejected by Meta (invalid or revoked)'
          when 'expired' then 'expired on ' || to_char(t.facebook_token_expires_at at time zone 'UTC',
            'YYYY-MM-DD HH24:MI "UTC"')
          else 'expires in ' || greatest(floor(extract(epoch from
            t.facebook_token_expires_at - now()) / 86400), 0) || ' day(s), on '
            || to_char(t.facebook_token_expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
        end),
      jsonb_build_object('problem', t.problem, 'expires_at', t.facebook_token_expires_at)
    from private.traffic_fb_token_problems(make_interval(days => v_n::int)) t;

  elsif p_rule = 'sync_failed' then
    -- The latest run per sync type and targetologist (per-user runs have their own) in the last
    -- week; a run that died open counts as failed, as traffic_latest_sync_runs() shows it.
    return query
    with latest as (
      select distinct on (h.sync_type, h.user_id) h.*
      from public.traffic_sync_history h
      where h.started_at > now() - interval '7 days'
      order by h.sync_type, h.user_id, h.started_at desc, h.id desc
    )
    select 'sync:' || l.sync_type || coalesce(':' || l.user_id, ''), l.user_id, s.team_name,
      null::numeric,
      format('%s: the latest %s run (started %s) failed: %s. Fix: read the error in '
        'traffic_sync_history (npm run status), fix the cause, then run npm run sync%s.',
        coalesce('Team ' || s.team_name, 'All teams'), l.sync_type,
        to_char(l.started_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
        coalesce(left(nullif(l.error_message, ''), 300),
          case when l.success is null then 'it stopped before recording its outcome'
               else 'no error message' end),
        case when l.user_id is not null then ' -- --user ' || l.user_id else '' end),
      jsonb_build_object('sync_type', l.sync_type, 'history_id', l.id,
        'started_at', l.started_at, 'outcome', l.details ->> 'outcome')
    from latest l
    left join public.traffic_targetologist_settings s on s.user_id = l.user_id
    where l.success = false
       or (l.success is null and l.finished_at is null
           and private.traffic_run_expires_at(l.details, l.started_at) < now());

  elsif p_rule = 'data_stale' then
    v_n := coalesce((v_params ->> 'facebook_ads_minutes')::numeric, 120);
    v_m := coalesce((v_params ->> 'aggregation_minutes')::numeric, 20);
    v_k := coalesce((v_params ->> 'amocrm_minutes')::numeric, 20);
    return query
    select 'facebook_ads:' || f.user_id, f.user_id, f.team_name,
      f.sync_age_min::numeric,
      format('Team %s: Facebook data is stale: %s (expected hourly). Fix: check npm run status '
        '(token, last run%s) and run npm run sync -- --user %s.', f.team_name,
        case when f.last_ok_sync is null then 'no successful sync in the last 7 days'
             else 'last successful sync ' || f.sync_age_min || ' minutes ago' end,
        coalesce(': ' || f.last_fb_outcome, ''), f.user_id),
      jsonb_build_object('last_ok_sync', f.last_ok_sync, 'last_outcome', f.last_fb_outcome,
        'threshold_minutes', v_n)
    from private.traffic_fb_freshness(now() - interval '7 days') f
    where f.has_ad_accounts
      and (f.last_ok_sync is null or f.last_ok_sync < now() - make_interval(mins => v_n::int))
    union all
    select 'aggregation', null::uuid, null::text,
      (extract(epoch from now() - a.last_ok) / 60)::int::numeric,
      format('All teams: the metrics were not recomputed %s (expected every 10 minutes). Fix: '
        'check the aggregate-metrics cron job and runs in npm run status; npm run sync -- '
        '--skip-facebook --skip-amocrm recomputes them now.',
        case when a.last_ok is null then 'in the last 7 days'
             else 'for ' || (extract(epoch from now() - a.last_ok) / 60)::int || ' minutes' end),
      jsonb_build_object('last_ok', a.last_ok, 'threshold_minutes', v_m)
    from (select max(coalesce(h.finished_at, h.started_at)) as last_ok
          from public.traffic_sync_history h
          where h.sync_type in ('aggregation', 'full') and h.success
            and h.started_at > now() - interval '7 days') a
    where exists (select 1 from public.traffic_targetologist_settings s where s.is_active)
      and (a.last_ok is null or a.last_ok < now() - make_interval(mins => v_m::int))
    union all
    select 'amocrm:' || x.account, null::uuid, null::text,
      (extract(epoch from now() - x.last_success_at) / 60)::int::numeric,
      format('All teams: the AmoCRM reconciliation of account %s has not succeeded %s (expected '
        'every 10 minutes)%s. Fix: check the amocrm-sync job and AMOCRM_ACCESS_TOKEN; npm run '
        'status shows the last error.', x.account,
        case when x.last_success_at is null then 'yet'
             else 'for ' || (extract(epoch from now() - x.last_success_at) / 60)::int
               || ' minutes' end,
        coalesce(': ' || left(x.last_error, 200), '')),
      jsonb_build_object('last_success_at', x.last_success_at, 'threshold_minutes', v_k)
    from public.amocrm_sync_health() x
    where x.last_success_at is null
       or x.last_success_at < now() - make_interval(mins => v_k::int);

  elsif p_rule = 'webhook_events' then
    return query
    select 'amocrm_events', null::uuid, null::text,
      (e.failed + e.stale)::numeric,
      format('All teams: %s AmoCRM webhook event(s) failed processing and %s are pending for more '
        'than %s minutes, so leads or sales may be missing. Fix: npm run amocrm:replay (the '
        'amocrm-replay job retries every minute); npm run status shows the errors.',
        e.failed, e.stale, extract(epoch from private.amocrm_stale_pending_age())::int / 60),
      jsonb_build_object('failed', e.failed, 'stale_pending', e.stale)
    from (
      select count(*) filter (where ev.status = 'failed') as failed,
        count(*) filter (where ev.status = 'pending'
          and ev.received_at < now() - private.amocrm_stale_pending_age()) as stale
      from public.traffic_amocrm_events ev where ev.status in ('failed', 'pending')
    ) e
    where e.failed + e.stale > 0;

  elsif p_rule = 'amocrm_webhook_disabled' then
    return query
    select 'amocrm_webhooks:' || x.account, null::uuid, null::text,
      x.webhooks_disabled::numeric,
      format('All teams: AmoCRM account %s has %s of %s webhook subscription(s) disabled (%s): '
        'new leads and sales arrive only through the 10-minute reconciliation. Fix: re-enable '
        'them in AmoCRM, Settings -> Integrations -> Webhooks.', x.account, x.webhooks_disabled,
        x.webhooks_total, array_to_string(x.disabled_destinations, ', ')),
      jsonb_build_object('disabled', x.webhooks_disabled, 'total', x.webhooks_total,
        'destinations', to_jsonb(x.disabled_destinations))
    from public.amocrm_sync_health() x
    where x.webhooks_disabled > 0;

  elsif p_rule = 'spend_no_leads' then
    v_n := coalesce((v_params ->> 'min_spend_usd')::numeric, 50);
    v_m := coalesce((v_params ->> 'hours')::numeric, 24);
    v_levels := coalesce(array(select jsonb_array_elements_text(v_params -> 'levels')),
      array['campaign', 'ad']);
    if cardinality(v_levels) = 0 then v_levels := array['campaign', 'ad']; end if;
    -- Meta reports spend per day: the window is the local days the last v_m hours touch.
    v_from := ((now() - make_interval(hours => v_m::int)) at time zone v_tz)::date;
    return query
    select case when lv = 'ad' then 'ad:' || c.user_id || ':' || c.ad_id
                else 'campaign:' || c.user_id || ':' || c.campaign_id end,
      c.user_id, c.team_name, round(c.spend_usd, 2),
      format('Team %s: %s %s spent $%s since %s with 0 CRM leads. Fix: check the ad''s UTM '
        'parameters (utm_content = {{ad.id}}) and the lead form, or pause the %s in Ads Manager.',
        c.team_name, case when lv = 'ad' then 'ad' else 'campaign' end,
        coalesce('"' || case when lv = 'ad' then c.ad_name else c.campaign_name end || '" ', '')
          || '(' || case when lv = 'ad' then c.ad_id else c.campaign_id end || ')',
        to_char(round(c.spend_usd, 2), 'FM999999999990.00'), v_from,
        case when lv = 'ad' then 'ad' else 'campaign' end),
      jsonb_build_object('level', lv, 'campaign_id', c.campaign_id, 'ad_id', c.ad_id,
        'spend_usd', round(c.spend_usd, 2), 'from', v_from, 'to', v_today,
        'threshold_usd', v_n)
    from unnest(v_levels) lv
    cross join lateral public.traffic_campaign_metrics(v_from, v_today, v_tz,
      case when lv = 'ad' then 'ad' else 'campaign' end) c
    where lv in ('campaign', 'ad') and c.leads = 0 and c.spend_usd > v_n;

  elsif p_rule = 'cpl_spike' then
    v_n := coalesce((v_params ->> 'ratio')::numeric, 1.5);
    v_m := coalesce((v_params ->> 'baseline_days')::numeric, 7);
    v_k := coalesce((v_params ->> 'min_leads_today')::numeric, 3);
    return query
    select 'user:' || t.user_id, t.user_id, t.team_name, round(x.cpl_today, 2),
      format('Team %s: cost per lead today is $%s (%s leads), %s%% of its %s-day median $%s. Fix: '
        'look at today''s campaigns on the dashboard for the one whose cost rose and adjust or '
        'pause it.', t.team_name, to_char(round(x.cpl_today, 2), 'FM999999990.00'),
        x.leads_today, round(100 * x.cpl_today / x.median_cpl), v_m,
        to_char(round(x.median_cpl, 2), 'FM999999990.00')),
      jsonb_build_object('cpl_today', round(x.cpl_today, 2), 'median_cpl', round(x.median_cpl, 2),
        'leads_today', x.leads_today, 'ratio', v_n, 'baseline_days', v_m)
    from public.traffic_targetologist_settings t
    cross join lateral (
      select max(case when d.date = v_today and d.leads > 0 then d.spend_usd / d.leads end)
               as cpl_today,
             max(case when d.date = v_today then d.leads end) as leads_today,
             (percentile_disc(0.5) within group (order by d.spend_usd / d.leads)
                filter (where d.date < v_today and d.leads > 0)
              + percentile_disc(0.5) within group (order by d.spend_usd / d.leads desc)
                filter (where d.date < v_today and d.leads > 0)) / 2 as median_cpl
      from public.traffic_daily_series(v_today - v_m::int, v_today, v_tz, t.user_id) d
    ) x
    where t.is_active
      -- only teams with enough leads today get their series read (the lead rollup's summing
      -- view: unfolded deltas added up)
      and (select ld.leads from private.traffic_leads_by_day ld
        where ld.user_id = t.user_id and ld.day = v_today) >= v_k
      and x.leads_today >= v_k and x.median_cpl > 0
      and x.cpl_today > v_n * x.median_cpl;

  elsif p_rule = 'meta_leads_gap' then
    -- The aggregation's own figures (traffic_aggregated_metrics: meta_leads, leads,
    -- meta_leads_gap = meta_leads - leads, meta_leads_gap_pct = gap x 100 / meta_leads).
    v_n := coalesce((v_params ->> 'gap_pct')::numeric, 20);
    v_m := coalesce((v_params ->> 'min_meta_leads')::numeric, 10);
    return query
    select 'user:' || m.user_id, m.user_id, s.team_name, round(m.meta_leads_gap_pct, 1),
      format('Team %s: Meta reports %s leads over %s, the CRM has %s: %s (%s%%) are missing. Fix: '
        'check that the lead forms still reach AmoCRM (the integration, the webhooks in npm run '
        'status) and that the ads'' UTM parameters carry the ad id.', s.team_name, m.meta_leads,
        case m.period when 'today' then 'today' when '7d' then 'the last 7 days'
          else 'the last 30 days' end,
        m.leads, m.meta_leads_gap, round(m.meta_leads_gap_pct, 1)),
      jsonb_build_object('period', m.period, 'meta_leads', m.meta_leads, 'crm_leads', m.leads,
        'gap', m.meta_leads_gap, 'gap_pct', round(m.meta_leads_gap_pct, 1),
        'threshold_pct', v_n)
    from public.traffic_aggregated_metrics m
    join public.traffic_targetologist_settings s on s.user_id = m.user_id and s.is_active
    where m.period = coalesce(v_params ->> 'period', '7d')
      and m.meta_leads >= v_m and m.meta_leads_gap_pct > v_n;

  else
    raise exception 'traffic_alert_rule_candidates: no SQL for rule %', p_rule
      using errcode = '22023';
  end if;
end
$$;
comment on function private.traffic_alert_rule_candidates(text, jsonb) is
  'The subjects of one alert rule whose condition holds now, with figure, message (team, figure, '
  'what to do) and details. Called by traffic_alerts_evaluate().';
revoke all on function private.traffic_alert_rule_candidates(text, jsonb)
  from public, anon, authenticated;
