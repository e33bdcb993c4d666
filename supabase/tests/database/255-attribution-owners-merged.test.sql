-- An insert into the ad directory merges each id's owner into the stored row (migration
-- 20261207143457: the better level wins; at the same level the lower user_id, shared when the
-- users differ) instead of recomputing it under an exclusive lock. Whatever the order of the
-- adds, the stored rows equal the owners computed from the whole directory
-- (private.traffic_attribution_owners_of, the one definition): ids at several levels, ties
-- between users, the same user at two levels. A delete recomputes, and still agrees.
-- (tests/integration/attribution-concurrent-writers.test.ts: the same with writers at once.)
begin;
select plan(5);
select setseed(0.25);

create temp table u on commit drop as
  select i, tests.create_user('merge_' || i) as id from generate_series(1, 4) as i;
-- Ids that appear at several levels and under several users: ads 1-7, adsets 5-10 (5-7 are
-- ads too), campaigns 9-12 (9-10 are adsets too), and one ad of each user alone (u1-u4).
create temp table d on commit drop as
  select distinct on (u.id, a.n, s.n, c.n) u.id as user_id, 'mrg-' || a.n as ad_id,
    'mrg-' || s.n as adset_id, 'mrg-' || c.n as campaign_id
  from u
  cross join lateral (select (random() * 6)::int + 1 as n from generate_series(1, 6)) as a
  cross join lateral (select (random() * 5)::int + 5 as n) as s
  cross join lateral (select (random() * 3)::int + 9 as n) as c
  union all
  select u.id, 'mrg-u' || u.i, 'mrg-8', 'mrg-12' from u;
create temp table ids on commit drop as
  select 'mrg-' || n as id from generate_series(1, 12) as n
  union all
  select 'mrg-u' || i from generate_series(1, 4) as i;

-- The stored owner rows of the test's ids against the ones computed from the directory now.
create function pg_temp.owners_agree(p_what text)
returns text
language sql
as $f$
  select set_eq(
    $$select id, rank, level, user_id, shared from private.traffic_attribution_id_owners
      where id like 'mrg-%'$$,
    $$select * from private.traffic_attribution_owners_of((select array_agg(id) from ids))$$,
    p_what)
$f$;

-- Half of the rows one statement each, in random order (each merges into what is stored) ...
do $$
declare
  r record;
begin
  for r in select * from d order by random() limit (select count(*) / 2 from d) loop
    insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
    values (r.user_id, r.ad_id, r.adset_id, r.campaign_id) on conflict do nothing;
  end loop;
end
$$;
select pg_temp.owners_agree('rows added one statement at a time: the stored owners are the directory''s');

-- ... then the rest in one statement.
insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
select * from d on conflict do nothing;
select pg_temp.owners_agree('the rest in one statement: the stored owners are the directory''s');
select ok(
  (select bool_or(shared) and bool_or(not shared) and count(distinct level) = 3
   from private.traffic_attribution_id_owners where id like 'mrg-%'),
  'the data has shared and unshared ids at all three levels');

-- A user's rows go: their ids are recomputed (exclusively) and still agree.
delete from private.traffic_ad_directory where user_id = (select id from u where i = 1);
delete from private.traffic_ad_directory
  where ad_id in ('mrg-3', 'mrg-7') and user_id = (select id from u where i = 2);
select pg_temp.owners_agree('after deletes: the stored owners are the directory''s');

select is(
  (select count(*)::int from ids
   where not exists (select 1 from private.traffic_attribution_queue q
                     where q.kind = 'id' and q.key = ids.id)
     and exists (select 1 from private.traffic_attribution_id_owners o where o.id = ids.id)),
  0, 'every id that gained an owner was queued for re-attribution');

select * from finish();
rollback;
