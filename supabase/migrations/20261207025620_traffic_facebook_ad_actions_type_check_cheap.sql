-- The action-type check of traffic_facebook_ad_actions, cheaper and the same rule: a bounded
-- repetition `{1,200}` makes PostgreSQL's regex engine run a large automaton on every row. On the
-- local stack (min of 7, 1,935 rows: one fb-ads-sync page's actions) the old expression took
-- ~41 ms, the class without the bound plus a length check ~1 ms; it was the largest single cost
-- of writing a page's actions. Same accepted strings: 1 to 200 characters, each a letter, digit,
-- `_`, `.`, `:` or `-`.
alter table public.traffic_facebook_ad_actions
  drop constraint traffic_facebook_ad_actions_type_check;
-- NOT VALID: no rescan of the table here, under this migration's ACCESS EXCLUSIVE lock; the next
-- migration validates it under SHARE UPDATE EXCLUSIVE (writes and reads go on). That matters on a
-- deployed project's filled table; a fresh database's table is empty. (Edited after review,
-- 2026-12-07, before any deployment ran it: the schema it leaves, with the next one, is the same.)
alter table public.traffic_facebook_ad_actions
  add constraint traffic_facebook_ad_actions_type_check
    check (action_type ~ '^[A-Za-z0-9_.:-]+$' and length(action_type) <= 200) not valid;
