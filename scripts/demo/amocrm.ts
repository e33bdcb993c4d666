/**
 * The demo's AmoCRM account behind a fake API v4 (tests/fakes/amocrm-api.ts), built from the same
 * simulated deals as the webhooks (crm.ts), and the webhooks the simulated AmoCRM "drops": every
 * `DROP_EVERY`-th body never reaches amocrm-webhook, as when AmoCRM gives up on a delivery.
 * amocrm-sync then reads the API and restores what they carried.
 *
 * @module
 */
import { FakeCrm } from "../../tests/fakes/amocrm-api.ts";
import { AMO_ACCOUNT, type DemoLead } from "./crm.ts";
import { PIPELINES } from "./data.ts";

/** One webhook body in this many is dropped. */
export const DROP_EVERY = 3;

/** The demo's leads as an AmoCRM account (status changes carry their price, as the bodies do). */
export function demoCrm(leads: DemoLead[], token: string): FakeCrm {
  const crm = new FakeCrm(token, AMO_ACCOUNT);
  for (const lead of leads) {
    const [first, ...rest] = lead.events;
    crm.create({
      id: lead.id,
      at: first.at,
      status: first.status,
      pipeline: PIPELINES[lead.product].pipeline_id,
      price: first.price,
      name: lead.name,
      responsibleUserId: 10455000 + lead.team.index,
      utm: {
        source: lead.team.utm_source,
        medium: "cpc",
        campaign: lead.ad.campaign_id,
        content: lead.ad.ad_id,
      },
    });
    for (const e of rest) {
      crm.setStatus(lead.id, e.at, e.status);
      if (e.price !== crm.leads.get(lead.id)!.price) crm.setPrice(lead.id, e.at, e.price);
    }
  }
  return crm;
}

/** Whether the simulated AmoCRM drops the `index`-th webhook body (0-based). */
export function dropped(index: number): boolean {
  return index % DROP_EVERY === DROP_EVERY - 1;
}
