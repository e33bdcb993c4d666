-- traffic_try_lock() / traffic_release_lock(): one holder at a time, an expired lease can be
-- taken over, and only the current holder releases.
begin;
select plan(11);
select tests.authenticate_as_service_role();

select set_config('pgtap.h1', public.traffic_try_lock('pgtap-lease', 60)::text, true);
select isnt(nullif(current_setting('pgtap.h1'), ''), null, 'a free key is acquired');
select is(public.traffic_try_lock('pgtap-lease', 60), null, 'a held key is refused');
select is(public.traffic_try_lock('pgtap-other', 60) is not null, true,
  'another key is independent');
select is(public.traffic_release_lock('pgtap-lease', gen_random_uuid()), false,
  'a stranger cannot release it');
select is(public.traffic_release_lock('pgtap-lease', current_setting('pgtap.h1')::uuid), true,
  'the holder releases it');
select is(public.traffic_release_lock('pgtap-lease', current_setting('pgtap.h1')::uuid), false,
  'releasing twice reports false');

-- A crashed holder: its lease runs out and the next caller takes the key.
select set_config('pgtap.h2', public.traffic_try_lock('pgtap-lease', 60)::text, true);
update public.traffic_sync_locks set locked_until = now() - interval '1 second'
  where lock_key = 'pgtap-lease';
select set_config('pgtap.h3', public.traffic_try_lock('pgtap-lease', 60)::text, true);
select isnt(nullif(current_setting('pgtap.h3'), ''), null, 'an expired lease is taken over');
select isnt(current_setting('pgtap.h3'), current_setting('pgtap.h2'), 'by a new holder id');
select is(public.traffic_release_lock('pgtap-lease', current_setting('pgtap.h2')::uuid), false,
  'the expired holder can no longer release it');
select cmp_ok((select locked_until from public.traffic_sync_locks where lock_key = 'pgtap-lease'),
  '>', now() + interval '59 seconds', 'the new lease runs for the requested ttl');

select throws_ok($$select public.traffic_try_lock('pgtap-lease', 0)$$, '22023', null,
  'a ttl of 0 is refused');

select * from finish();
rollback;
