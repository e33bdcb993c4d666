/**
 * The simulated AmoCRM's deals over the last 30 days, deterministic for a given today and now:
 * each team's daily leads (UTM values naming the fake ads, so attribution is by ad id), their
 * status changes to prepayment / full payment / lost, and one refund (a won deal moved to lost).
 * `crmBodies()` turns them into AmoCRM webhook bodies (form-encoded, batched per team and day).
 *
 * @module
 */
import { buildForm } from "../../supabase/functions/_shared/amocrm/mod.ts";
import {
  type DemoAd,
  type DemoTeam,
  LOST,
  PIPELINES,
  PRICES,
  type Product,
  TEAMS,
  WON,
} from "./data.ts";

export const AMO_ACCOUNT = { id: "31555001", subdomain: "kaspiacademy" };
export const LEAD_ID_BASE = 800_000_000;
const DAY_MS = 86_400_000;
/** Asia/Almaty has been UTC+5 all year since 1 March 2024. */
const TZ_OFFSET = "+05:00";

export interface CrmEvent {
  /** Unix seconds (AmoCRM's `updated_at`). */
  at: number;
  action: "add" | "status";
  status: number;
  oldStatus?: number;
  price: number;
}

export interface DemoLead {
  id: number;
  team: DemoTeam;
  ad: DemoAd;
  product: Product;
  /** YYYY-MM-DD (Almaty) the lead came in; sales happen the same day. */
  day: string;
  name: string;
  events: CrmEvent[];
  outcome: "open" | "lost" | "prepayment" | "full" | "refunded";
  /** KZT of the active sale (0 when none). */
  amount: number;
}

const NAMES = [
  "Айгерим",
  "Данияр",
  "Асель",
  "Ерлан",
  "Мадина",
  "Нурлан",
  "Жанна",
  "Тимур",
  "Сауле",
  "Алихан",
  "Дина",
  "Бауыржан",
];

/** A YYYY-MM-DD date moved by `days`. */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Every demo lead for the 30 days ending `today`. `nowMs` keeps today's events in the past: the
 * day's schedule (09:00–22:00) is compressed into the part of today that has already passed.
 */
export function demoLeads(today: string, nowMs: number): DemoLead[] {
  const todayStart = Date.parse(`${today}T00:00:00${TZ_OFFSET}`);
  const squeeze = Math.max(0, Math.min(1, (nowMs - 120_000 - todayStart) / DAY_MS));
  const at = (day: string, hour: number, minute: number): number => {
    const start = Date.parse(`${day}T00:00:00${TZ_OFFSET}`);
    let offset = (hour * 60 + minute) * 60_000;
    if (day === today) offset *= squeeze;
    return Math.floor((start + offset) / 1000);
  };
  const leads: DemoLead[] = [];
  for (const team of TEAMS) {
    const ads = team.accounts.flatMap((a) => a.ads);
    const perProduct: Record<Product, number> = { challenge3d: 0, express: 0, intensive1d: 0 };
    let k = 0;
    for (let back = 29; back >= 0; back--) {
      const day = addDays(today, -back);
      for (let i = 0; i < team.leadsPerDay; i++, k++) {
        const ad = ads[k % ads.length];
        const product = ad.product;
        const n = perProduct[product]++;
        const pipe = PIPELINES[product];
        const hour = 9 + i * 3;
        const minute = team.index * 7;
        const events: CrmEvent[] = [
          { at: at(day, hour, minute), action: "add", status: pipe.newStatus, price: 0 },
        ];
        const step = (h: number, status: number, price: number) => {
          const oldStatus = events[events.length - 1].status;
          events.push({
            at: at(day, hour + h, minute),
            action: "status",
            status,
            oldStatus,
            price,
          });
        };
        let outcome: DemoLead["outcome"] = "open";
        let amount = 0;
        if (product === "challenge3d" && n % 4 === 1) {
          step(1, pipe.prepayment[0], PRICES.prepayment);
          outcome = "prepayment";
          amount = PRICES.prepayment;
          if (n % 8 === 1) {
            step(3, WON, PRICES.challenge3d);
            outcome = "full";
            amount = PRICES.challenge3d;
          }
        } else if (
          (product === "express" && n % 3 === 0) || (product === "intensive1d" && n % 5 === 2)
        ) {
          step(2, WON, PRICES[product]);
          outcome = "full";
          amount = PRICES[product];
        } else if (n % 7 === 6) {
          step(1, LOST, 0);
          outcome = "lost";
        }
        const id = LEAD_ID_BASE + team.index * 1_000 + k;
        const who = NAMES[(k + team.index) % NAMES.length];
        leads.push({
          id,
          team,
          ad,
          product,
          day,
          name: `${pipe.name} — ${who}`,
          events,
          outcome,
          amount,
        });
      }
    }
  }
  // The refund: Arman's first full payment from 12 or fewer days ago is moved to "lost" a day later.
  const refunded = leads.find((l) =>
    l.team.team_name === "Arman" && l.outcome === "full" && l.day >= addDays(today, -12)
  );
  if (refunded) {
    const last = refunded.events[refunded.events.length - 1];
    refunded.events.push({
      at: at(addDays(refunded.day, 1), 11, 0),
      action: "status",
      status: LOST,
      oldStatus: WON,
      price: last.price,
    });
    refunded.outcome = "refunded";
    refunded.amount = 0;
  }
  return leads;
}

function leadForm(lead: DemoLead, e: CrmEvent) {
  const pipe = PIPELINES[lead.product];
  const utm: [string, string, string][] = [
    ["utm_source", "UTM_SOURCE", lead.team.utm_source],
    ["utm_medium", "UTM_MEDIUM", "cpc"],
    ["utm_campaign", "UTM_CAMPAIGN", lead.ad.campaign_id],
    ["utm_content", "UTM_CONTENT", lead.ad.ad_id],
  ];
  const created = lead.events[0].at;
  return {
    id: String(lead.id),
    name: lead.name,
    status_id: String(e.status),
    ...(e.oldStatus !== undefined ? { old_status_id: String(e.oldStatus) } : {}),
    price: String(e.price),
    responsible_user_id: String(10455000 + lead.team.index),
    last_modified: String(e.at),
    modified_user_id: String(10455000 + lead.team.index),
    created_user_id: "0",
    date_create: String(created),
    pipeline_id: String(pipe.pipeline_id),
    account_id: AMO_ACCOUNT.id,
    custom_fields: utm.map(([name, code, value], i) => ({
      id: String(971001 + i),
      name,
      values: [{ value }],
      code,
    })),
    created_at: String(created),
    updated_at: String(e.at),
  };
}

/** One webhook body: every event of `action` in `events`, batched as AmoCRM does. */
function body(action: "add" | "status", items: [DemoLead, CrmEvent][]): string {
  return buildForm({
    leads: { [action]: items.map(([l, e]) => leadForm(l, e)) },
    account: {
      ...AMO_ACCOUNT,
      _links: { self: `https://${AMO_ACCOUNT.subdomain}.amocrm.ru` },
    },
  });
}

/**
 * The webhook bodies, oldest first: per team and day one `leads[add]` body, then one
 * `leads[status]` body with that day's status changes (the refund arrives on its own day).
 */
export function crmBodies(leads: DemoLead[]): { at: number; body: string }[] {
  const groups = new Map<
    string,
    { at: number; action: "add" | "status"; items: [DemoLead, CrmEvent][] }
  >();
  for (const lead of leads) {
    for (const e of lead.events) {
      const day = new Date(e.at * 1000 + 5 * 3_600_000).toISOString().slice(0, 10);
      const key = `${day}|${lead.team.index}|${e.action}`;
      const g = groups.get(key) ?? { at: e.at, action: e.action, items: [] };
      g.at = Math.max(g.at, e.at);
      g.items.push([lead, e]);
      groups.set(key, g);
    }
  }
  return [...groups.values()]
    .sort((a, b) => a.at - b.at || (a.action === "add" ? -1 : 1))
    .map((g) => ({ at: g.at, body: body(g.action, g.items) }));
}
