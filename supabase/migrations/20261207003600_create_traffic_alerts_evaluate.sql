-- The alert evaluator (issue 15), run by pg_cron (job traffic-alerts) and callable by the
-- service. Set-based and idempotent; one run at a time (a transaction advisory lock):
--   1. each enabled rule's current subjects (private.traffic_alert_rule_candidates, each rule in its
--      own subtransaction: a rule that errors keeps its open alerts and is reported, not fatal);
--   2. upsert into traffic_alerts: a new subject opens an alert, an open one gets the current
--      figure, message and last_seen_at (the unique open index makes a second open impossible);
--   3. open alerts of rules that ran whose subject is gone are resolved (cleared); those of rules
--      switched off are resolved (rule_disabled);
--   4. the outbox gets one message per enabled destination: 'opened' for an alert never notified,
--      'reminder' when its last notice is renotify_hours old, 'resolved' when it cleared after
--      being notified (notify_resolved). Alerts and messages commit together, so a crash leaves
--      neither or both; rerunning at once adds nothing.
-- Returns a summary (also kept in private.traffic_alert_settings.last_evaluation for status).
create or replace function public.traffic_alerts_evaluate()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_rule record;
  v_cands jsonb := '[]';
  v_ran text[] := '{}';
  v_errors jsonb := '{}';
  v_opened int;
  v_refreshed int;
  v_resolved int;
  v_resolved_ids bigint[];
  v_queued int;
  v_result jsonb;
begin
  perform pg_advisory_xact_lock(hashtext('traffic_alerts_evaluate'));
  for v_rule in select r.rule_key, r.params from public.traffic_alert_rules r
                where r.enabled order by r.rule_key loop
    begin
      v_cands := v_cands || coalesce((
        select jsonb_agg(jsonb_build_object('rule_key', v_rule.rule_key) || to_jsonb(c))
        from private.traffic_alert_rule_candidates(v_rule.rule_key, v_rule.params) c), '[]');
      v_ran := v_ran || v_rule.rule_key;
    exception when others then
      v_errors := v_errors || jsonb_build_object(v_rule.rule_key, left(sqlerrm, 300));
    end;
  end loop;

  with c as (
    select distinct on (x.rule_key, x.subject_key) x.*
    from jsonb_to_recordset(v_cands) as x(rule_key text, subject_key text, user_id uuid,
      team_name text, figure numeric, message text, details jsonb)
    order by x.rule_key, x.subject_key
  ),
  up as (
    insert into public.traffic_alerts as a (rule_key, subject_key, user_id, team_name, severity,
      figure, message, details)
    select c.rule_key, c.subject_key, c.user_id, c.team_name, r.severity, c.figure, c.message,
      coalesce(c.details, '{}')
    from c join public.traffic_alert_rules r on r.rule_key = c.rule_key
    on conflict (rule_key, subject_key) where resolved_at is null
    do update set figure = excluded.figure, message = excluded.message,
      details = excluded.details, team_name = excluded.team_name,
      severity = excluded.severity, last_seen_at = now()
    returning (a.xmax = 0) as inserted
  )
  select count(*) filter (where inserted), count(*) filter (where not inserted)
    into v_opened, v_refreshed from up;

  with gone as (
    update public.traffic_alerts a
    set resolved_at = now(),
        resolution = case when a.rule_key = any(v_ran) then 'cleared' else 'rule_disabled' end
    where a.resolved_at is null
      and (a.rule_key = any(v_ran)
           or not exists (select 1 from public.traffic_alert_rules r
                          where r.rule_key = a.rule_key and r.enabled))
      and not exists (select 1 from jsonb_to_recordset(v_cands) as x(rule_key text, subject_key text)
                      where x.rule_key = a.rule_key and x.subject_key = a.subject_key)
    returning a.id
  )
  select coalesce(array_agg(g.id), '{}'), count(*) into v_resolved_ids, v_resolved from gone g;

  -- What to announce, then one outbox row per enabled destination; an alert counts as notified
  -- only once a message for it was queued (no destination yet: announced when one is added).
  with due as (
    select a.id, a.notify_count,
      case when a.resolved_at is not null then 'resolved'
           when a.notify_count = 0 then 'opened' else 'reminder' end as kind,
      a.team_name, a.severity, a.figure, a.message, a.rule_key, a.subject_key, a.user_id,
      a.opened_at, a.resolved_at, r.title
    from public.traffic_alerts a
    join public.traffic_alert_rules r on r.rule_key = a.rule_key
    where (a.resolved_at is null and (a.notify_count = 0
             or a.last_notified_at < now() - make_interval(hours => r.renotify_hours)))
       or (a.id = any(v_resolved_ids) and a.notify_count > 0 and r.notify_resolved)
  ),
  queued as (
    insert into public.traffic_alert_outbox (alert_id, destination_id, kind, idempotency_key,
      text, payload)
    select d.id, dst.id, d.kind,
      'alert-' || d.id || '-' || d.kind || '-' || (d.notify_count + 1) || '-dest-' || dst.id,
      left(case d.kind
        when 'opened' then '[' || upper(d.severity) || '] '
        when 'reminder' then '[STILL OPEN since ' || to_char(d.opened_at at time zone 'UTC',
          'YYYY-MM-DD HH24:MI "UTC"') || '] '
        else '[RESOLVED] ' end
        || d.title || E'\n' || d.message
        || case when d.kind = 'resolved' then E'\nThe condition no longer holds.' else '' end,
        4000),
      jsonb_build_object('alert_id', d.id, 'kind', d.kind, 'rule', d.rule_key,
        'title', d.title, 'severity', d.severity, 'subject', d.subject_key,
        'user_id', d.user_id, 'team_name', d.team_name, 'figure', d.figure,
        'message', d.message, 'opened_at', d.opened_at, 'resolved_at', d.resolved_at)
    from due d
    cross join public.traffic_alert_destinations dst
    where dst.enabled
    on conflict (idempotency_key) do nothing
    returning alert_id
  ),
  noted as (
    update public.traffic_alerts a
    set last_notified_at = now(), notify_count = a.notify_count + 1
    where a.id in (select q.alert_id from queued q)
    returning a.id
  )
  select (select count(*) from queued) into v_queued;

  v_result := jsonb_build_object('evaluated_at', now(), 'rules', to_jsonb(v_ran),
    'errors', v_errors, 'opened', v_opened, 'refreshed', v_refreshed,
    'resolved', v_resolved, 'queued', v_queued);
  update private.traffic_alert_settings set last_evaluated_at = now(), last_evaluation = v_result;
  return v_result;
end
$$;
comment on function public.traffic_alerts_evaluate() is
  'Evaluates every enabled alert rule: opens, refreshes and resolves traffic_alerts and queues '
  'their messages in traffic_alert_outbox, idempotently. pg_cron job traffic-alerts; service_role.';
revoke all on function public.traffic_alerts_evaluate() from public, anon, authenticated;
grant execute on function public.traffic_alerts_evaluate() to service_role;
