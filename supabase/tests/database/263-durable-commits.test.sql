-- The local stack's Postgres is durable, as production is: a commit is flushed to the WAL before
-- it is confirmed, so a webhook answered 200 survives Postgres being killed (tests/fault proves
-- it under load). It used to run with fsync and synchronous_commit off.
begin;
select plan(3);

select is(current_setting('fsync'), 'on', 'fsync is on');
select is(current_setting('synchronous_commit'), 'on', 'synchronous_commit is on');
select is(current_setting('full_page_writes'), 'on', 'full_page_writes is on');

select * from finish();
rollback;
