-- Every policy is scoped `to authenticated` and calls auth.uid() / private.is_admin() through a
-- scalar subquery (evaluated once per statement, not per row).
begin;
select plan(3);

select is(
  (select array_agg(policyname::text) from pg_policies
    where schemaname = 'public' and roles <> '{authenticated}'),
  null,
  'every policy in public is to authenticated');

select is(
  (select array_agg(policyname::text) from pg_policies
    where schemaname = 'public'
      and (coalesce(qual, '') || ' ' || coalesce(with_check, ''))
        ~ '(?<!SELECT )(auth\.uid\(\)|private\.is_admin\(\))'),
  null,
  'auth.uid() and private.is_admin() are only called as (select ...)');

select is(
  (select array_agg(p.polname::text) from pg_policy p
    join pg_class c on c.oid = p.polrelid
    where c.relnamespace = 'public'::regnamespace
      and obj_description(p.oid, 'pg_policy') is null),
  null,
  'every policy has a comment');

select * from finish();
rollback;
