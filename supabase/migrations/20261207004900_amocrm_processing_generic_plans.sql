-- The webhook's processing statements keep one generic plan per session instead of being planned
-- again on every call. With plan_cache_mode = auto, PL/pgSQL re-planned the large statements of
-- these functions for every webhook (a generic plan was costed above the custom ones): in one
-- session at a year's volume, planning was most of a webhook's time in these statements; with
-- generic plans one amocrm_receive_event took a fraction of it (figures: docs/benchmarks.md,
-- "Figures that explain settings"). The generic plans probe the same
-- indexes (auto_explain: no sequential scan but of traffic_amocrm_pipelines, 47 rows); results
-- are the same plans' results. A later `create or replace` of these functions must keep the
-- setting (it is part of the definition: proconfig).
alter function private.amocrm_rebuild_leads(bigint[]) set plan_cache_mode = force_generic_plan;
alter function private.amocrm_rebuild_sales(bigint[]) set plan_cache_mode = force_generic_plan;
alter function private.amocrm_attribute_leads(bigint[]) set plan_cache_mode = force_generic_plan;
