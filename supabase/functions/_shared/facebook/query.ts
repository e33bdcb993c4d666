/**
 * What the client asks Meta for: the row fields, the `filtering` that keeps ARCHIVED and DELETED
 * ads in account-level results, and account-id normalisation.
 *
 * @module
 */
import { InvalidInputError } from "./errors.ts";

/** Fields requested for every row, in this order. */
export const INSIGHT_FIELDS = [
  "account_id",
  "account_name",
  "account_currency",
  "campaign_id",
  "campaign_name",
  "adset_id",
  "adset_name",
  "ad_id",
  "ad_name",
  "spend",
  "impressions",
  "clicks",
  "reach",
  // Meta's own conversions of the ad-day (Ads Insights `actions` / `cost_per_action_type`, lists
  // of Ads Action Stats `{action_type, value}`): same request, two more fields.
  "actions",
  "cost_per_action_type",
  "date_start",
  "date_stop",
] as const;

/**
 * Every ad `effective_status`, so the account-level query also returns ARCHIVED and DELETED ads:
 * Meta's "Manage your ad object's status" says `act_<id>/insights?level=ad` omits deleted objects
 * unless you filter on `ad.effective_status`. The values are `Ad.EffectiveStatus` of Meta's
 * facebook-python-business-sdk (`facebook_business/adobjects/ad.py`), the same list Airbyte sends.
 */
export const ALL_AD_EFFECTIVE_STATUSES = [
  "ACTIVE",
  "PAUSED",
  "DELETED",
  "PENDING_REVIEW",
  "DISAPPROVED",
  "PREAPPROVED",
  "PENDING_BILLING_INFO",
  "CAMPAIGN_PAUSED",
  "ARCHIVED",
  "ADSET_PAUSED",
  "IN_PROCESS",
  "WITH_ISSUES",
] as const;

/** A Graph id: up to 32 digits. */
export const DIGITS = /^\d{1,32}$/;

/** `"act_123"` or `"123"` → `"123"`; throws `InvalidInputError` otherwise. */
export function normalizeAccountId(accountId: string): string {
  const id = accountId.trim().replace(/^act_/, "");
  if (!DIGITS.test(id)) {
    throw new InvalidInputError("Ad account id must be digits, optionally act_");
  }
  return id;
}

/** The `filtering` parameter: tracked campaigns (when any) AND every ad status. */
export function buildFiltering(campaignIds: readonly string[]): unknown[] {
  const filters: unknown[] = [];
  if (campaignIds.length) {
    filters.push({ field: "campaign.id", operator: "IN", value: [...campaignIds] });
  }
  filters.push({
    field: "ad.effective_status",
    operator: "IN",
    value: [...ALL_AD_EFFECTIVE_STATUSES],
  });
  return filters;
}
