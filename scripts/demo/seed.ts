/**
 * Seeds the demo's users and configuration with SQL (fixed ids, `on conflict`, so it can run
 * again): the admin and the three targetologists in `auth.users`, their
 * `traffic_targetologist_settings` (token, ad accounts, tracked campaigns, utm_sources), and the
 * AmoCRM pipeline → product mapping.
 *
 * With `realAccounts` (the real-API branch) the users get no token of their own (the functions'
 * `FACEBOOK_ADS_TOKEN` is the fallback), the given ad accounts shared round-robin, and every
 * campaign tracked.
 *
 * @module
 */
import { postgres } from "../lib/deps.ts";
import { ADMIN, PIPELINES, TEAMS, WON } from "./data.ts";

export async function seedDemo(dbUrl: string, realAccounts: string[] | null): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      const users = [
        { id: ADMIN.user_id, email: ADMIN.email, meta: { traffic_role: "admin" } },
        ...TEAMS.map((t) => ({ id: t.user_id, email: t.email, meta: {} })),
      ];
      for (const u of users) {
        await tx`insert into auth.users (id, email, raw_app_meta_data)
          values (${u.id}, ${u.email}, ${tx.json(u.meta)})
          on conflict (id) do update set email = excluded.email,
            raw_app_meta_data = excluded.raw_app_meta_data`;
      }
      for (const [i, t] of TEAMS.entries()) {
        const accounts = realAccounts
          ? realAccounts.filter((_, j) => j % TEAMS.length === i)
          : t.accounts.map((a) => `act_${a.id}`);
        const campaigns = realAccounts
          ? []
          : [...new Set(t.accounts.flatMap((a) => a.ads.map((ad) => ad.campaign_id)))];
        await tx`insert into public.traffic_targetologist_settings (user_id, team_name,
            facebook_access_token, facebook_token_expires_at, fb_ad_accounts, tracked_campaigns,
            utm_sources, is_active)
          values (${t.user_id}, ${t.team_name}, ${realAccounts ? null : t.token},
            now() + interval '60 days', ${accounts}, ${campaigns}, ${[t.utm_source]}, true)
          on conflict (user_id) do update set team_name = excluded.team_name,
            facebook_access_token = excluded.facebook_access_token,
            facebook_token_expires_at = excluded.facebook_token_expires_at,
            fb_ad_accounts = excluded.fb_ad_accounts,
            tracked_campaigns = excluded.tracked_campaigns,
            utm_sources = excluded.utm_sources, is_active = true`;
      }
      for (const [product, p] of Object.entries(PIPELINES)) {
        await tx`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
            prepayment_status_ids, full_payment_status_ids)
          values (${p.pipeline_id}, ${p.name}, ${product}, ${p.prepayment}, ${[WON]})
          on conflict (pipeline_id) do update set name = excluded.name,
            product = excluded.product, prepayment_status_ids = excluded.prepayment_status_ids,
            full_payment_status_ids = excluded.full_payment_status_ids`;
      }
    });
  } finally {
    await sql.end();
  }
}
