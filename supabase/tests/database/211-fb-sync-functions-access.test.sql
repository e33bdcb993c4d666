-- fb-ads-sync's SQL functions are for service_role only: they read tokens, write ads rows and
-- queue HTTP calls. anon, users and admins cannot execute any of them.
begin;
select plan(10);

select is(has_function_privilege('service_role', p.oid, 'execute'), true,
    p.oid::regprocedure || ': service_role may execute')
  from pg_proc p
  where p.pronamespace = 'public'::regnamespace
    and p.proname in ('fb_upsert_insights', 'fb_sync_targets', 'fb_set_token_status', 'fb_fan_out')
  order by p.proname;

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'fb\_%'
      and (has_function_privilege('anon', p.oid, 'execute')
        or has_function_privilege('authenticated', p.oid, 'execute'))),
  null, 'no fb_ function is executable by anon or authenticated');

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'fb\_%'
      and not (p.prosecdef and p.proconfig @> array['search_path=""'])),
  null, 'every fb_ function is security definer with an empty search_path');

select tests.authenticate_as(gen_random_uuid(), true);
select throws_ok($$select * from public.fb_sync_targets()$$, '42501', null,
  'an admin cannot read the tokens through fb_sync_targets');
select throws_ok($$select public.fb_fan_out()$$, '42501', null, 'an admin cannot fan out');
select throws_ok($$select public.fb_upsert_insights(gen_random_uuid(), '[]')$$, '42501', null,
  'an admin cannot write ads rows');
select tests.authenticate_as_anon();
select throws_ok($$select public.fb_set_token_status(gen_random_uuid(), 'x', 'ok')$$, '42501',
  null, 'anon cannot set a token status');

select * from finish();
rollback;
