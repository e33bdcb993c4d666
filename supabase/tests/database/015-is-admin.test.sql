-- private.is_admin() trusts app_metadata.traffic_role only (users can edit user_metadata).
begin;
select plan(5);

select is(private.is_admin(), false, 'no JWT: not an admin');

select tests.authenticate_as(gen_random_uuid());
select is(private.is_admin(), false, 'a plain user is not an admin');

select tests.authenticate_as(gen_random_uuid(), true);
select is(private.is_admin(), true, 'app_metadata.traffic_role = admin is an admin');

select set_config('request.jwt.claims', jsonb_build_object('sub', gen_random_uuid(),
  'role', 'authenticated', 'user_metadata', jsonb_build_object('traffic_role', 'admin'))::text, true);
select is(private.is_admin(), false, 'user_metadata.traffic_role = admin is NOT an admin');

select tests.authenticate_as_anon();
select throws_ok($$select private.is_admin()$$, '42501', null, 'anon cannot call it');

select * from finish();
rollback;
