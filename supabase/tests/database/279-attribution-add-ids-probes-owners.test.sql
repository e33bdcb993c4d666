-- The attribution owners' merge probes each added id's stored owner by its key (migration
-- 20261208030800). private.traffic_attribution_add_ids joined its fresh owners (a function the
-- planner estimates at 1,000 rows) with private.traffic_attribution_id_owners, and against 1,000
-- rows a hash join over the whole owner table wins once it holds a few thousand ids: at a year's
-- volume every fb-ads-sync page that brought a new ad read all 57,000 owner rows for its ~60 ids
-- (docs/benchmarks.md, trig ninth session). Here the owner table holds 20,000 more ids (analyzed),
-- and a directory insert adds three new ids, one whose stored owner it keeps and one whose owner
-- it changes: the owners and the queue come out as before, and the owner table is read by no
-- sequential scan. On the previous definition (20261207143457) "no sequential scan" fails.
begin;
select plan(5);

create temp table u on commit drop as
  select i, tests.create_user('add_ids_279_' || i) as id from generate_series(1, 2) as i;

-- 20,000 owner rows of other ids, with statistics, as at a year's volume.
insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
select 'own279-' || k, 1, 'ad', (select id from u where i = 2), false
from generate_series(1, 20000) as k;
-- Two ids already stored: one with the owner the insert below computes (kept, not queued), one
-- owned by user 2 at a worse level (the insert's ad level wins: changed, queued).
insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
select 'ad279-kept', 1, 'ad', (select id from u where i = 1), false
union all
select 'ad279-won', 3, 'campaign', (select id from u where i = 2), false;
analyze private.traffic_attribution_id_owners;

create temp table seq_before on commit drop as
  select pg_stat_get_xact_numscans('private.traffic_attribution_id_owners'::regclass) as n;
delete from private.traffic_attribution_queue where key like '%279%';

insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
select (select id from u where i = 1), a, 'set279-new', 'camp279-new'
from unnest(array['ad279-new', 'ad279-kept', 'ad279-won']) as a;

select is(
  pg_stat_get_xact_numscans('private.traffic_attribution_id_owners'::regclass)
    - (select n from seq_before),
  0::bigint,
  'the merge read the owner table by no sequential scan (each added id probed by its key)');

select set_eq(
  $$select id, rank, level, user_id, shared from private.traffic_attribution_id_owners
    where id like '%279-%' and id not like 'own279-%'$$,
  $$select * from private.traffic_attribution_owners_of(
      array['ad279-new', 'ad279-kept', 'ad279-won', 'set279-new', 'camp279-new'])$$,
  'the stored owners of the added ids are the directory''s');
select is(
  (select array_agg(q.key order by q.key) from private.traffic_attribution_queue q
   where q.kind = 'id' and q.key like '%279%'),
  array['ad279-new', 'ad279-won', 'camp279-new', 'set279-new'],
  'the new ids and the one whose owner changed are queued, the kept one is not');
select is(
  (select user_id from private.traffic_attribution_id_owners where id = 'ad279-won'),
  (select id from u where i = 1),
  'the better level took the id');
select is(
  (select count(*) from private.traffic_attribution_id_owners where id like 'own279-%')::int,
  20000, 'the other owners are untouched');

select * from finish();
rollback;
