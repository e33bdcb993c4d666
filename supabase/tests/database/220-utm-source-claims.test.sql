-- utm_sources are unique across targetologists (case-insensitive), and a claim never moves a
-- lead or sale (issue 12 item 1: a PUT of another team's utm_source used to take its revenue when
-- the thief's user_id sorted lower).
begin;
select plan(12);

-- The holder's id sorts AFTER the claimant's: under the old "lowest user_id" tie-break the claim
-- would have won.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000220b', 'claims-holder@pgtap.test'),
  ('00000000-0000-4000-8000-00000000220a', 'claims-thief@pgtap.test');
insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources) values
  ('00000000-0000-4000-8000-00000000220b', 'Holder', '{FB_Kaspi}');
insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources) values
  ('00000000-0000-4000-8000-00000000220a', 'Thief', '{}');
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, created_at)
values (992200001, 'express', 'fb_kaspi', now());
insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
  status, utm_source)
values (992200001, 'express', 'full', 45000, now(), 'active', 'fb_kaspi');
select public.traffic_resolve_attribution();
select is((select user_id from public.traffic_sales where amocrm_lead_id = 992200001),
  '00000000-0000-4000-8000-00000000220b'::uuid, 'the holder owns the 45,000 KZT sale');

-- The thief, signed in, claims the source in another case: refused with 23505 (PostgREST: 409).
select tests.authenticate_as('00000000-0000-4000-8000-00000000220a');
select throws_ok($$update public.traffic_targetologist_settings set utm_sources = '{fb_KASPI}'
    where user_id = '00000000-0000-4000-8000-00000000220a'$$,
  '23505', 'utm_source "fb_KASPI" is already claimed by another targetologist',
  'a signed-in targetologist cannot claim another team''s utm_source, whatever the case');
select lives_ok($$update public.traffic_targetologist_settings set utm_sources = '{ig_thief}'
    where user_id = '00000000-0000-4000-8000-00000000220a'$$,
  'a source nobody holds is claimed');
select tests.authenticate_as_service_role();
select throws_ok($$insert into public.traffic_targetologist_settings (user_id, team_name,
    utm_sources) values ((select id from auth.users where email = 'claims-thief@pgtap.test'),
    'x', '{Fb_Kaspi}') on conflict (user_id) do update set utm_sources = excluded.utm_sources$$,
  '23505', null, 'service_role cannot hand the source to another team either');
reset role;

select is((select utm_sources from public.traffic_targetologist_settings
           where user_id = '00000000-0000-4000-8000-00000000220a'), '{ig_thief}'::text[],
  'the refused claims left the thief''s sources as they were');
select public.traffic_resolve_attribution();
select is((select user_id from public.traffic_sales where amocrm_lead_id = 992200001),
  '00000000-0000-4000-8000-00000000220b'::uuid, 'the sale did not move');

-- The holder keeps its own source through a rewrite of its row (a form that sends every field).
select tests.authenticate_as('00000000-0000-4000-8000-00000000220b');
select lives_ok($$update public.traffic_targetologist_settings set utm_sources = '{fb_kaspi,x2}'
    where user_id = '00000000-0000-4000-8000-00000000220b'$$,
  'the holder may rewrite (and re-case) its own sources');
reset role;

-- A superuser may still create a shared source (a repair): it is reported, and the later claim
-- moves nothing even though its user_id sorts lower.
update public.traffic_targetologist_settings set utm_sources = '{ig_thief,FB_KASPI}'
  where user_id = '00000000-0000-4000-8000-00000000220a';
select is(public.traffic_resolve_attribution() -> 'ambiguous_utm_sources', '["fb_kaspi"]'::jsonb,
  'a shared source is reported as ambiguous');
select results_eq($$select user_id from public.traffic_leads where amocrm_lead_id = 992200001
    union all select user_id from public.traffic_sales where amocrm_lead_id = 992200001$$,
  $$values ('00000000-0000-4000-8000-00000000220b'::uuid),
    ('00000000-0000-4000-8000-00000000220b'::uuid)$$,
  'the earlier claim keeps the lead and the sale');

-- The holder releases it: the remaining claimant takes it on the next run.
update public.traffic_targetologist_settings set utm_sources = '{}'
  where user_id = '00000000-0000-4000-8000-00000000220b';
select is((public.traffic_resolve_attribution() ->> 'sales_updated')::int, 1,
  'a released source re-attributes its rows');
select is((select user_id from public.traffic_sales where amocrm_lead_id = 992200001),
  '00000000-0000-4000-8000-00000000220a'::uuid, 'to the remaining claimant');

-- Offboarding a user removes their claims.
delete from auth.users where email = 'claims-thief@pgtap.test';
select is((select count(*)::int from private.traffic_utm_source_claims
           where source in ('fb_kaspi', 'ig_thief')), 0, 'a deleted user''s claims are gone');

select * from finish();
rollback;
