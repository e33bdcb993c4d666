-- Access matrix for exchange_rates: every signed-in user reads; only service_role writes.
begin;
select plan(20);
select tests.create_fixture();

select tests.authenticate_as_anon();
select throws_ok($$select * from public.exchange_rates$$, '42501', null, 'anon: select denied');
select throws_ok($$insert into public.exchange_rates (rate_date, currency, rate_kzt)
  values ('2000-01-02', 'USD', 1)$$, '42501', null, 'anon: insert denied');
select throws_ok($$update public.exchange_rates set rate_kzt = 1$$, '42501', null, 'anon: update denied');
select throws_ok($$delete from public.exchange_rates$$, '42501', null, 'anon: delete denied');

-- A, B and admin alike: read the rates, write nothing.
select * from tests.as_each(array['a', 'b', 'admin'],
  $c$select is((select count(*)::int from public.exchange_rates where source = 'pgtap'), 1,
    '{who}: select sees the rates')$c$,
  $c$select throws_ok($$insert into public.exchange_rates (rate_date, currency, rate_kzt)
    values ('2000-01-02', 'USD', 1)$$, '42501', null, '{who}: insert denied')$c$,
  $c$select throws_ok($$update public.exchange_rates set rate_kzt = 1$$, '42501', null,
    '{who}: update denied')$c$,
  $c$select throws_ok($$delete from public.exchange_rates$$, '42501', null,
    '{who}: delete denied')$c$);

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.exchange_rates where source = 'pgtap'), 1,
  'service_role: select sees the rates');
select lives_ok($$insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
  values ('2000-01-02', 'USD', 501, 'pgtap')$$, 'service_role: insert allowed');
select is(tests.row_count($$update public.exchange_rates set fetched_at = now()
  where source = 'pgtap'$$), 2, 'service_role: update allowed');
select is(tests.row_count($$delete from public.exchange_rates where source = 'pgtap'$$), 2,
  'service_role: delete allowed');

select * from finish();
rollback;
