/**
 * `GET /settings` and `PUT /settings`: the caller's own row of `traffic_targetologist_settings`.
 * The Facebook token is write-only: it is never selected (the column is not even readable by
 * `authenticated`), and responses say only whether one is set, when it expires and its status.
 *
 * @module
 */
import { HttpError, json, readJson } from "../../_shared/http.ts";
import type { RouteContext } from "../context.ts";
import { callerOf, dbFailure, unwrap } from "../db.ts";
import { noQuery, parseBody, parseQuery, settingsUpdate } from "../validation.ts";

/** Every readable column the response needs; never `*` (the token column is not selectable). */
const COLUMNS = "user_id,team_name,fb_ad_accounts,tracked_campaigns,utm_sources,is_active," +
  "has_facebook_token,facebook_token_expires_at,facebook_token_status,facebook_token_status_at," +
  "created_at,updated_at";
const NO_STORE = { "cache-control": "private, no-store" };

interface SettingsRow {
  user_id: string;
  team_name: string;
  fb_ad_accounts: string[];
  tracked_campaigns: string[];
  utm_sources: string[];
  is_active: boolean;
  has_facebook_token: boolean;
  facebook_token_expires_at: string | null;
  facebook_token_status: string | null;
  facebook_token_status_at: string | null;
  created_at: string;
  updated_at: string;
}

function present(row: SettingsRow | null) {
  if (!row) {
    throw new HttpError(404, "settings_not_found", "No settings exist for this user yet.");
  }
  return {
    user_id: row.user_id,
    team_name: row.team_name,
    fb_ad_accounts: row.fb_ad_accounts,
    tracked_campaigns: row.tracked_campaigns,
    utm_sources: row.utm_sources,
    is_active: row.is_active,
    facebook_token: {
      set: row.has_facebook_token,
      expires_at: row.facebook_token_expires_at,
      status: row.facebook_token_status,
      status_at: row.facebook_token_status_at,
    },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function getSettings({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  parseQuery(url, noQuery);
  const row = unwrap(
    await caller.db.from("traffic_targetologist_settings").select(COLUMNS)
      .eq("user_id", caller.userId).maybeSingle(),
  ) as SettingsRow | null;
  return json(present(row), 200, NO_STORE);
}

export async function putSettings({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  parseQuery(url, noQuery);
  const body = parseBody(await readJson(req, 64_000), settingsUpdate);
  const result = await caller.db.from("traffic_targetologist_settings").update(body)
    .eq("user_id", caller.userId).select(COLUMNS);
  if (result.error) throw claimConflict(result.error) ?? dbFailure(result.error, result.status);
  const rows = result.data as unknown as SettingsRow[];
  return json(present(rows[0] ?? null), 200, NO_STORE);
}

/**
 * The database refuses (SQLSTATE 23505, private.traffic_utm_sources_unique) a utm_source another
 * targetologist already claims: utm_sources are unique across teams, case-insensitively, so a
 * claim can never move another team's leads. The answer names the source, never its holder.
 */
function claimConflict(error: { code?: string; message?: string }): HttpError | null {
  const m = /^utm_source "(.*)" is already claimed by another targetologist$/s.exec(
    error.message ?? "",
  );
  if (error.code !== "23505" || !m) return null;
  return new HttpError(
    409,
    "utm_source_taken",
    `utm_source "${m[1]}" is already claimed by another targetologist; utm_sources are unique ` +
      "across teams (case-insensitive). Use one of your own, or ask an admin to release it.",
  );
}
