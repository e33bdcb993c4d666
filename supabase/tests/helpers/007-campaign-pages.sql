-- GET /campaigns' pages beside the slices of the full answer they must equal (283, 291): the page
-- as traffic_api_campaigns_answer serves it (without its snapshot), and the same rows taken from
-- traffic_api_campaigns' full list, with whether more follows.

begin;

create or replace function tests.campaigns_page(p_from date, p_to date, p_level text,
  p_limit int, p_offset int)
returns text
language sql
as $$
  select (public.traffic_api_campaigns_answer(p_from, p_to, 'Asia/Almaty', p_level, null,
    p_limit, p_offset)::jsonb - 'snapshot')::text
$$;
comment on function tests.campaigns_page(date, date, text, int, int) is
  'traffic_api_campaigns_answer''s page (Asia/Almaty, every visible team) without its snapshot.';

create or replace function tests.campaigns_slice(p_from date, p_to date, p_level text,
  p_limit int, p_offset int)
returns text
language sql
as $$
  select jsonb_build_object(
    'data', coalesce(string_agg(x.j, ',' order by x.n) filter (
      where x.n > p_offset and x.n <= p_offset + p_limit), ''),
    'more', count(*) > p_offset + p_limit)::text
  from (
    select row_to_json(c)::text as j, row_number() over () as n
    from public.traffic_api_campaigns(p_from, p_to, 'Asia/Almaty', p_level, null) as c
  ) x
$$;
comment on function tests.campaigns_slice(date, date, text, int, int) is
  'The rows of traffic_api_campaigns'' full list that campaigns_page(the same arguments) must '
  'answer, in the same form.';

grant execute on function tests.campaigns_page(date, date, text, int, int),
  tests.campaigns_slice(date, date, text, int, int) to authenticated;

commit;
