// @ts-check
/**
 * Freshness from `/sync-status` (and the caller's own `/settings`): when each source last
 * synced, and the warnings a person must not miss — a failed sync or webhook replay, data older
 * than its schedule allows, a failed cron job, a Facebook token that is invalid or expiring.
 *
 * @module
 */
import { t } from "./i18n.js";

/** @typedef {import("./api.js").SyncStatusResponse} SyncStatusResponse */
/** @typedef {import("./api.js").Settings} Settings */
/** @typedef {SyncStatusResponse["runs"][number]} SyncRun */

/** How old the latest run of each scheduled source may be before its data counts as stale. */
export const STALE_AFTER_MS = /** @type {Record<string, number>} */ ({
  facebook_ads: 2 * 3600e3, // hourly at :05
  aggregation: 30 * 60e3, // every 10 minutes
  amocrm: 30 * 60e3, // every 10 minutes
});
/** A Facebook token this close to its expiry gets a warning. */
export const TOKEN_WARN_MS = 7 * 24 * 3600e3;
/** Sources listed even before their first run (a targetologist's own Facebook sync). */
const ALWAYS = ["facebook_ads"];

/** @param {string} type */
export function sourceLabel(type) {
  const known = ["facebook_ads", "aggregation", "amocrm", "full"];
  if (known.includes(type)) return t(type);
  if (type === "amocrm_replay") return `${t("amocrm")} (webhooks)`;
  return type;
}

/** "5 min" / "3 h" / "2 d". @param {number} ms */
export function ago(ms) {
  const min = Math.max(0, Math.round(ms / 60e3));
  if (min < 120) return t("minutes", { n: min });
  const h = Math.round(min / 60);
  if (h < 48) return t("hours", { n: h });
  return t("days", { n: Math.round(h / 24) });
}

/**
 * @typedef {{ type: string, label: string, at: string | null, state: "ok" | "failed" | "running" | "never" | "stale" }} SourceRow
 * @typedef {{ kind: "failed" | "stale" | "never" | "cron" | "token", text: string }} Warning
 */

/**
 * @param {SyncStatusResponse} status
 * @param {Settings | null} settings the caller's own settings (null for an admin without a row)
 * @param {(iso: string) => string} when formats a timestamp
 * @returns {{ sources: SourceRow[], warnings: Warning[] }}
 */
export function assessFreshness(status, settings, when, now = Date.now()) {
  /** @type {SourceRow[]} */
  const sources = [];
  /** @type {Warning[]} */
  const warnings = [];
  const byType = new Map(status.runs.map((r) => [r.sync_type, r]));
  for (const type of ALWAYS) if (!byType.has(type)) byType.set(type, /** @type {any} */ (null));
  for (const [type, run] of [...byType.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const label = sourceLabel(type);
    if (!run) {
      sources.push({ type, label, at: null, state: "never" });
      warnings.push({ kind: "never", text: t("warnNever", { source: label }) });
      continue;
    }
    const at = run.finished_at ?? run.started_at;
    /** @type {SourceRow["state"]} */
    let state = run.success === false ? "failed" : run.finished_at ? "ok" : "running";
    if (run.success === false) {
      warnings.push({
        kind: "failed",
        text: t("warnFailed", { source: label, message: run.error_message ?? t("failed") }),
      });
    }
    const limit = STALE_AFTER_MS[type];
    const age = now - Date.parse(run.started_at);
    if (limit && age > limit) {
      if (state === "ok") state = "stale";
      warnings.push({ kind: "stale", text: t("warnStale", { source: label, ago: ago(age) }) });
    }
    sources.push({ type, label, at, state });
  }
  for (const job of status.cron ?? []) {
    if (job.active && job.last_run_status && job.last_run_status !== "succeeded") {
      if (job.last_run_status === "running" || job.last_run_status === "starting") continue;
      warnings.push({
        kind: "cron",
        text: t("warnCron", { job: job.jobname, status: job.last_run_status }),
      });
    }
  }
  const token = settings?.facebook_token;
  if (token?.status === "invalid") {
    warnings.push({ kind: "token", text: t("warnTokenInvalid") });
  } else if (token?.set && token.expires_at) {
    const left = Date.parse(token.expires_at) - now;
    if (left <= 0) {
      warnings.push({
        kind: "token",
        text: t("warnTokenExpired", { when: when(token.expires_at) }),
      });
    } else if (left < TOKEN_WARN_MS) {
      warnings.push({
        kind: "token",
        text: t("warnTokenExpiring", { when: when(token.expires_at) }),
      });
    }
  }
  return { sources, warnings };
}
