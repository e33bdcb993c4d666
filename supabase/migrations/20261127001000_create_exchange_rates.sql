-- Official daily rates (National Bank of Kazakhstan) used to convert ad spend to KZT.
create table public.exchange_rates (
  rate_date date not null,
  currency text not null,
  rate_kzt numeric not null check (rate_kzt > 0),
  quant int not null default 1,
  source text not null default 'nbk',
  fetched_at timestamptz not null default now(),
  primary key (rate_date, currency)
);
alter table public.exchange_rates enable row level security;

comment on table public.exchange_rates is
  'Daily official rates to KZT, one row per (date, currency); written by aggregate-metrics.';
comment on column public.exchange_rates.rate_kzt is
  'KZT for ONE unit of the currency (the feed''s value already divided by quant).';
comment on column public.exchange_rates.quant is
  'How many units the source quoted the rate for (NBK quotes some currencies per 10 or 100).';

revoke all on table public.exchange_rates from anon, authenticated;
grant select on table public.exchange_rates to authenticated;
grant all on table public.exchange_rates to service_role;

create policy "exchange rates: authenticated read"
  on public.exchange_rates for select to authenticated
  using (true);
comment on policy "exchange rates: authenticated read" on public.exchange_rates is
  'Public information: every signed-in user may read the rates.';
