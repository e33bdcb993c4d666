-- Validates the action-type check added NOT VALID by 20261207025620, in its own migration (its own
-- transaction): VALIDATE CONSTRAINT scans the table under SHARE UPDATE EXCLUSIVE, so fb-ads-sync
-- writes and dashboard reads of traffic_facebook_ad_actions go on meanwhile on a deployed project.
-- New rows were checked from the moment the constraint was added.
alter table public.traffic_facebook_ad_actions
  validate constraint traffic_facebook_ad_actions_type_check;
