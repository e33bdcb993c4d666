/**
 * What the demo data should add up to, per team and period, straight from data.ts and crm.ts
 * (no database): spend per account currency, leads, active sales and their revenue. docs/demo.md
 * explains the rules; `npm run demo -- --summary` prints this for today.
 *
 * @module
 */
import { adSpend, TEAMS } from "./data.ts";
import { addDays, type DemoLead } from "./crm.ts";

export const PERIOD_DAYS = { today: 1, "7d": 7, "30d": 30 } as const;
export type Period = keyof typeof PERIOD_DAYS;

export interface Expected {
  team_name: string;
  period: Period;
  /** Currency → spend as a decimal string. */
  spend: Record<string, string>;
  leads: number;
  sales: number;
  revenue: number;
}

/** Sums decimal strings with two places exactly (as integer cents). */
function sumCents(values: string[]): string {
  const cents = values.reduce((s, v) => s + Math.round(Number(v) * 100), 0);
  return (cents / 100).toFixed(2);
}

export function expectedFigures(today: string, leads: DemoLead[]): Expected[] {
  const out: Expected[] = [];
  for (const team of TEAMS) {
    for (const [period, days] of Object.entries(PERIOD_DAYS) as [Period, number][]) {
      const from = addDays(today, -(days - 1));
      const inRange = (d: string) => d >= from && d <= today;
      const spend: Record<string, string> = {};
      for (const a of team.accounts) {
        const values = [];
        for (let i = 0; i < days; i++) {
          for (const ad of a.ads) values.push(adSpend(ad, addDays(today, -i)));
        }
        spend[a.currency] = sumCents([
          ...(spend[a.currency] ? [spend[a.currency]] : []),
          ...values,
        ]);
      }
      const mine = leads.filter((l) => l.team === team && inRange(l.day));
      const sold = mine.filter((l) => l.amount > 0);
      out.push({
        team_name: team.team_name,
        period,
        spend,
        leads: mine.length,
        sales: sold.length,
        revenue: sold.reduce((s, l) => s + l.amount, 0),
      });
    }
  }
  return out;
}
