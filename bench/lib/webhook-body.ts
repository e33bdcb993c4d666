/**
 * The webhook benchmarks' body: one new deal (`leads[add]`) as AmoCRM posts it, in a pipeline
 * mapped to Challenge3D, with UTM custom fields whose utm_content names an ad. As a template for
 * bench/lua/load.lua (__ID__ the lead id, __AD__ the ad id, __TS__ unix time), or filled in.
 *
 * @module
 */
import { buildForm } from "../../supabase/functions/_shared/amocrm/mod.ts";

/** The AmoCRM account a body comes from (as the stack's AMOCRM_ACCOUNT_ID / AMOCRM_SUBDOMAIN). */
export interface BenchAccount {
  id: string;
  subdomain: string;
}

/** The template: __ID__ / __AD__ / __TS__ left for load.lua (or {@link fillWebhookBody}). */
export function webhookBodyTemplate(pipelineId: number, account: BenchAccount): string {
  return buildForm({
    leads: {
      add: [{
        id: "__ID__",
        name: "Заявка с сайта: Челлендж 3D #__ID__",
        status_id: "61234501",
        price: "0",
        responsible_user_id: "10455001",
        last_modified: "__TS__",
        modified_user_id: "10455001",
        created_user_id: "0",
        date_create: "__TS__",
        pipeline_id: String(pipelineId),
        account_id: account.id,
        custom_fields: [
          ...Object.entries({
            UTM_SOURCE: "facebook",
            UTM_MEDIUM: "cpc",
            UTM_CAMPAIGN: "challenge3d_december",
            UTM_CONTENT: "__AD__",
          }).map(([code, value], k) => ({
            id: String(971001 + k),
            name: code.toLowerCase(),
            values: [{ value }],
            code,
          })),
          { id: "972001", name: "Продукт", values: [{ value: "Челлендж 3D", enum: "1500301" }] },
        ],
        created_at: String(1_718_000_000),
        updated_at: "__TS__",
      }],
    },
    account: { ...account, _links: { self: `https://${account.subdomain}.amocrm.ru` } },
  });
}

/** The template filled in as load.lua fills it. */
export function fillWebhookBody(template: string, leadId: number, ad: string, ts: number): string {
  return template.replaceAll("__ID__", String(leadId)).replaceAll("__AD__", ad)
    .replaceAll("__TS__", String(ts));
}
