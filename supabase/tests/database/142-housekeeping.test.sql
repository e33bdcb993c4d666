-- private.traffic_housekeeping() prunes pg_cron's run log after 7 days and pg_net's responses
-- after 1 day, and keeps the recent ones.
begin;
select plan(4);

insert into cron.job_run_details (jobid, job_pid, database, username, command, status,
  return_message, start_time, end_time)
values (990000001, 0, 'postgres', 'postgres', 'pgtap old', 'succeeded', '',
        now() - interval '8 days', now() - interval '8 days'),
       (990000001, 0, 'postgres', 'postgres', 'pgtap new', 'succeeded', '',
        now() - interval '6 days', now() - interval '6 days');
insert into net._http_response (id, status_code, content, created)
values (-990000001, 200, 'pgtap old', now() - interval '25 hours'),
       (-990000002, 200, 'pgtap new', now() - interval '23 hours');

select private.traffic_housekeeping();

select is((select count(*)::int from cron.job_run_details where command = 'pgtap old'), 0,
  'run details older than 7 days are deleted');
select is((select count(*)::int from cron.job_run_details where command = 'pgtap new'), 1,
  'recent run details are kept');
select is((select count(*)::int from net._http_response where content = 'pgtap old'), 0,
  'responses older than 1 day are deleted');
select is((select count(*)::int from net._http_response where content = 'pgtap new'), 1,
  'recent responses are kept');

select * from finish();
rollback;
