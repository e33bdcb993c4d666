-- The comment of private.amocrm_rebuild_leads states what 20261207170000 changed, completely
-- (review R7 M2, L3). That migration's header names one lag ("a lead whose delete reached us only
-- through amocrm-sync ... then restored"); the lag is wider, and this comment is where operators
-- read the rule:
--   * Once amocrm-sync has read a lead's delete or restore (it reads every one, with AmoCRM's
--     time, every 10 minutes), a later delete or restore WEBHOOK (undated) no longer decides:
--     it takes effect at the next amocrm-sync run, up to 10 minutes later. Before any run has
--     read the lead's deletes and restores, the webhooks' own rule applies at once: a delete
--     counts unless a restore has been seen (a restore outranks undated deletes).
--   * traffic_leads.amocrm_updated_at (and traffic_sales.amocrm_updated_at, copied from it) is the
--     latest AmoCRM time of any of the lead's events, dated deletes and restores included (AmoCRM
--     moves a lead's updated_at on both).
-- Why not order the webhooks' deletes and restores by when we received them: the lead-event log
-- is order-independent by design (any delivery order, repetition or replay gives the same state;
-- tests/integration/amocrm-sync-property.test.ts delivers webhooks in random order), and a
-- receipt time would make a late or retried webhook outrank what AmoCRM says happened after it.
-- No behaviour changes here.
comment on function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[]) is
  'Derives the traffic_leads rows of the given AmoCRM leads from private.amocrm_lead_events in '
  'the order p_order gives (private.amocrm_lead_events_order; latest value per field; a new '
  'lead is inserted attributed by private.traffic_attribution_rule); is_deleted from the latest '
  'delete/restore event with AmoCRM''s time (amocrm-sync''s), else (webhook events only) a '
  'restore outranks a delete: a delete/restore webhook after one amocrm-sync has read takes '
  'effect at its next run. amocrm_updated_at is the latest AmoCRM time of any event, dated '
  'deletes and restores included. Returns how many rows were written.';
