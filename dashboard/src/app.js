// @ts-check
/// <reference lib="dom" />
/**
 * The Traffic Dashboard page: sign-in, the period switch, per-targetologist metrics with their
 * change against the previous equal period, daily charts, the campaign → ad set → ad
 * drill-down, CSV export and data freshness. Everything comes from traffic-api with the
 * signed-in user's JWT; the page never filters for security (RLS decides what the API returns).
 *
 * @module
 */
import config from "../config.js";
import { ApiError, createTrafficApi } from "./api.js";
import {
  decodeClaims,
  forgetLocalSession,
  isAdmin,
  isExpired,
  localSession,
  supabaseAuth,
} from "./auth.js";
import { renderCharts } from "./charts.js";
import {
  changeRatio,
  DASH,
  formatChange,
  formatCount,
  formatDateTime,
  formatDay,
  formatKzt,
  formatPercent,
  formatPoints,
  formatRoas,
  formatUsd,
} from "./format.js";
import { assessFreshness } from "./freshness.js";
import { currentLang, setLang as setLabelsLang, t } from "./i18n.js";
import { addDays, localDate, periodRange } from "./periods.js";
import { downloadCsv, renderTable } from "./table.js";

/** @typedef {import("./api.js").MetricsRow} MetricsRow */
/** @typedef {import("./api.js").CampaignRow} CampaignRow */
/** @typedef {import("./api.js").DailyRow} DailyRow */
/** @typedef {import("./auth.js").Session} Session */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

const query = new URLSearchParams(location.search);
const SUPABASE_URL = (query.get("supabase_url") || config.supabaseUrl || location.origin)
  .replace(/\/+$/, "");
const ANON_KEY = query.get("anon_key") || config.anonKey || "";
const TZ = query.get("tz") || config.timezone || "Asia/Almaty";

/** Teams per page of the metrics table (the API answers every team without a limit). */
const TEAMS_PER_PAGE = 50;

/**
 * @type {{
 *   session: Session | null,
 *   period: string,
 *   custom: { from: string, to: string },
 *   userId: string,
 *   range: { from: string, to: string } | null,
 *   previousRange: { from: string, to: string } | null,
 *   rows: MetricsRow[],
 *   previous: MetricsRow[] | null,
 *   daily: DailyRow[],
 *   campaigns: CampaignRow[],
 *   drill: { campaign: CampaignRow | null, adset: CampaignRow | null },
 *   status: import("./api.js").SyncStatusResponse | null,
 *   settings: import("./api.js").Settings | null,
 *   alerts: import("./api.js").AlertsResponse["data"],
 *   teams: { total: number, offset: number },
 *   metricsSort: any, campaignsSort: any, sourcesSort: any,
 *   loadSeq: number,
 * }}
 */
const state = {
  session: null,
  period: query.get("period") || "7d",
  custom: { from: "", to: "" },
  userId: "",
  range: null,
  previousRange: null,
  rows: [],
  previous: null,
  daily: [],
  campaigns: [],
  drill: { campaign: null, adset: null },
  status: null,
  settings: null,
  alerts: [],
  // The page of teams the metrics table shows (TEAMS_PER_PAGE at a time).
  teams: { total: 0, offset: 0 },
  metricsSort: {},
  campaignsSort: { sort: { key: "spend_usd", dir: -1 } },
  sourcesSort: {},
  loadSeq: 0,
};

const api = createTrafficApi({
  baseUrl: `${SUPABASE_URL}/functions/v1/traffic-api`,
  anonKey: ANON_KEY,
  token: () => state.session?.token ?? null,
});

/**
 * Switches the language and re-labels every element with `data-i18n` (text) or
 * `data-i18n-label` (aria-label).
 * @param {string} next
 */
function setLang(next) {
  document.documentElement.lang = setLabelsLang(next);
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(/** @type {string} */ (el.getAttribute("data-i18n")));
  }
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(/** @type {string} */ (el.getAttribute("data-i18n-label"))));
  }
  document.title = t("title");
}

// ---------------------------------------------------------------- metrics and their columns

/**
 * @typedef {{ key: string, label: string, field: keyof MetricsRow & string,
 *   fmt: (v: any, lang: string) => string, better: 1 | -1 | 0 }} MetricDef
 * better: whether a rise is good (1), bad (-1) or neither (0, spend).
 */
/** @returns {MetricDef[]} */
function metricDefs() {
  return [
    { key: "spend_usd", label: t("spendUsd"), field: "spend_usd", fmt: formatUsd, better: 0 },
    { key: "spend_kzt", label: t("spendKzt"), field: "spend_kzt", fmt: formatKzt, better: 0 },
    { key: "leads", label: t("leads"), field: "leads", fmt: formatCount, better: 1 },
    { key: "meta_leads", label: t("metaLeads"), field: "meta_leads", fmt: formatCount, better: 1 },
    {
      key: "meta_leads_gap",
      label: t("metaGap"),
      field: "meta_leads_gap",
      fmt: formatCount,
      better: -1,
    },
    {
      key: "meta_leads_gap_pct",
      label: t("metaGapPct"),
      field: "meta_leads_gap_pct",
      fmt: formatPoints,
      better: -1,
    },
    { key: "total_sales", label: t("sales"), field: "total_sales", fmt: formatCount, better: 1 },
    {
      key: "total_revenue",
      label: t("revenue"),
      field: "total_revenue",
      fmt: formatKzt,
      better: 1,
    },
    { key: "roas", label: t("roas"), field: "roas", fmt: formatRoas, better: 1 },
    { key: "cpa_usd", label: t("cpa"), field: "cpa_usd", fmt: formatUsd, better: -1 },
    {
      key: "cost_per_lead_usd",
      label: t("cpl"),
      field: "cost_per_lead_usd",
      fmt: formatUsd,
      better: -1,
    },
    { key: "ctr", label: t("ctr"), field: "ctr", fmt: formatPercent, better: 1 },
    { key: "cpc_usd", label: t("cpc"), field: "cpc_usd", fmt: formatUsd, better: -1 },
    { key: "cpm_usd", label: t("cpm"), field: "cpm_usd", fmt: formatUsd, better: -1 },
    {
      key: "lead_to_sale_rate",
      label: t("conversion"),
      field: "lead_to_sale_rate",
      fmt: formatPercent,
      better: 1,
    },
  ];
}

/** @param {MetricsRow} row */
function previousOf(row) {
  return state.previous?.find((p) => p.user_id === row.user_id) ?? null;
}

/**
 * The change badge of one metric of `row` (its previous-period value in the title).
 * @param {MetricDef} def @param {MetricsRow} row
 */
function changeBadge(def, row) {
  const lang = currentLang();
  const prev = previousOf(row);
  const el = document.createElement("span");
  el.className = "chg";
  const prevValue = prev ? prev[def.field] : null;
  const ratio = prev
    ? changeRatio(/** @type {any} */ (row[def.field]), /** @type {any} */ (prevValue))
    : null;
  el.dataset.previous = prevValue === null || prevValue === undefined ? "" : String(prevValue);
  if (ratio === null) {
    el.textContent = DASH;
    el.classList.add("flat");
  } else {
    el.textContent = formatChange(ratio, lang);
    const sign = Math.sign(Math.round(ratio * 1000));
    el.classList.add(
      sign === 0 || def.better === 0 ? "flat" : sign * def.better > 0 ? "good" : "bad",
    );
  }
  const prevText = prev ? def.fmt(prevValue, lang) : t("noPrevious");
  el.title = `${t("change")}: ${prevText}`;
  return el;
}

/** @param {MetricsRow} row */
function teamName(row) {
  if (row.user_id === null) return t("teamTotal");
  return row.team_name ?? row.user_id;
}

// ---------------------------------------------------------------- rendering

function renderSummary() {
  const lang = currentLang();
  const focus = state.userId
    ? state.rows.find((r) => r.user_id === state.userId)
    : state.rows.find((r) => r.user_id === null) ??
      (state.rows.length === 1 ? state.rows[0] : undefined);
  const cards = $("cards");
  cards.replaceChildren();
  const pr = state.previousRange;
  $("compare-note").textContent = focus
    ? `${teamName(focus)} · ${
      pr ? t("vsPrevious", { from: formatDay(pr.from, lang), to: formatDay(pr.to, lang) }) : ""
    }`
    : t("noRows");
  if (!focus) return;
  for (const def of metricDefs()) {
    const card = document.createElement("div");
    card.className = "metric";
    card.dataset.metric = def.key;
    const label = document.createElement("div");
    label.className = "label";
    label.textContent = def.label;
    const value = document.createElement("div");
    value.className = "value";
    value.textContent = def.fmt(focus[def.field], lang);
    value.dataset.value = String(focus[def.field] ?? "");
    card.append(label, value, changeBadge(def, focus));
    cards.append(card);
  }
}

function renderMetricsTable() {
  const lang = currentLang();
  /** @type {import("./table.js").Column[]} */
  const columns = [
    { key: "team", label: t("team"), value: (r) => teamName(r), text: (r) => teamName(r) },
    ...metricDefs().map((def) => ({
      key: def.key,
      label: def.label,
      numeric: true,
      value: (/** @type {MetricsRow} */ r) => /** @type {any} */ (r[def.field]),
      text: (/** @type {MetricsRow} */ r) => def.fmt(r[def.field], lang),
      extra: (/** @type {MetricsRow} */ r) => changeBadge(def, r),
    })),
  ];
  const table = /** @type {HTMLTableElement} */ ($("metrics-table"));
  renderTable(table, columns, state.rows, state.metricsSort, {
    pinLast: (r) => r.user_id === null,
    rowData: (r) => ({ userId: r.user_id ?? "total" }),
  });
}

/** The pager under the metrics table: shown when the teams fill more than one page. */
function renderPager() {
  const { total, offset } = state.teams;
  const pager = $("metrics-pager");
  pager.hidden = total <= TEAMS_PER_PAGE && offset === 0;
  const shown = state.rows.filter((r) => r.user_id !== null).length;
  $("teams-page").textContent = t("teamsPage", {
    from: String(shown ? offset + 1 : offset),
    to: String(offset + shown),
    total: String(total),
  });
  /** @type {HTMLButtonElement} */ ($("teams-prev")).disabled = offset === 0;
  /** @type {HTMLButtonElement} */ ($("teams-next")).disabled = offset + TEAMS_PER_PAGE >= total;
}

function renderTargetPicker() {
  const admin = state.session ? isAdmin(state.session.claims) : false;
  const members = state.rows.filter((r) => r.user_id !== null);
  const wrap = $("target-wrap");
  wrap.hidden = !admin || members.length === 0;
  const select = /** @type {HTMLSelectElement} */ ($("target"));
  select.replaceChildren(new Option(t("allTeams"), ""));
  for (const r of [...members].sort((a, b) => teamName(a).localeCompare(teamName(b)))) {
    select.append(new Option(teamName(r), /** @type {string} */ (r.user_id)));
  }
  select.value = state.userId;
}

/** @param {CampaignRow} r */
function entityName(r) {
  if (r.ad_id) return r.ad_name ?? r.ad_id;
  if (r.adset_id) return r.adset_name ?? r.adset_id;
  return r.campaign_name ?? r.campaign_id;
}

function drillLevel() {
  return state.drill.adset ? "ad" : state.drill.campaign ? "adset" : "campaign";
}

/** The rows of the current drill level (narrowed to the chosen campaign / ad set). */
function campaignRows() {
  const { campaign, adset } = state.drill;
  return state.campaigns.filter((r) =>
    (!campaign || r.campaign_id === campaign.campaign_id) &&
    (!adset || r.adset_id === adset.adset_id)
  );
}

function renderCrumbs() {
  const nav = $("crumbs");
  nav.replaceChildren();
  const ol = document.createElement("ol");
  /** @param {string} text @param {(() => void) | null} go */
  const crumb = (text, go) => {
    const li = document.createElement("li");
    if (go) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = text;
      b.addEventListener("click", go);
      li.append(b);
    } else {
      li.textContent = text;
      li.setAttribute("aria-current", "location");
    }
    ol.append(li);
  };
  const { campaign, adset } = state.drill;
  crumb(t("allCampaigns"), campaign ? () => drillTo(null, null) : null);
  if (campaign) {
    crumb(
      `${t("campaign")}: ${entityName(campaign)}`,
      adset ? () => drillTo(campaign, null) : null,
    );
  }
  if (adset) crumb(`${t("adset")}: ${entityName(adset)}`, null);
  nav.append(ol);
}

function renderCampaigns() {
  const lang = currentLang();
  const level = drillLevel();
  const admin = state.session ? isAdmin(state.session.claims) : false;
  /** @type {import("./table.js").Column[]} */
  const columns = [
    {
      key: "name",
      label: t(level),
      value: (r) => entityName(r),
      text: (r) => entityName(r),
    },
    ...(admin && !state.userId
      ? [{
        key: "team",
        label: t("team"),
        value: (/** @type {CampaignRow} */ r) => r.team_name,
        text: (/** @type {CampaignRow} */ r) => r.team_name ?? DASH,
      }]
      : []),
    {
      key: "spend_usd",
      label: t("spendUsd"),
      numeric: true,
      value: (r) => r.spend_usd,
      text: (r) => formatUsd(r.spend_usd, lang),
    },
    {
      key: "spend_kzt",
      label: t("spendKzt"),
      numeric: true,
      value: (r) => r.spend_kzt,
      text: (r) => formatKzt(r.spend_kzt, lang),
    },
    {
      key: "impressions",
      label: t("impressions"),
      numeric: true,
      value: (r) => r.impressions,
      text: (r) => formatCount(r.impressions, lang),
    },
    {
      key: "clicks",
      label: t("clicks"),
      numeric: true,
      value: (r) => r.clicks,
      text: (r) => formatCount(r.clicks, lang),
    },
    {
      key: "leads",
      label: t("leads"),
      numeric: true,
      value: (r) => r.leads,
      text: (r) => formatCount(r.leads, lang),
    },
    {
      key: "meta_leads",
      label: t("metaLeads"),
      numeric: true,
      value: (r) => r.meta_leads,
      text: (r) => formatCount(r.meta_leads, lang),
    },
    {
      key: "meta_leads_gap",
      label: t("metaGap"),
      numeric: true,
      value: (r) => r.meta_leads_gap,
      text: (r) => formatCount(r.meta_leads_gap, lang),
    },
    {
      key: "sales",
      label: t("sales"),
      numeric: true,
      value: (r) => r.sales,
      text: (r) => formatCount(r.sales, lang),
    },
    {
      key: "revenue",
      label: t("revenue"),
      numeric: true,
      value: (r) => r.revenue,
      text: (r) => formatKzt(r.revenue, lang),
    },
    {
      key: "roas",
      label: t("roas"),
      numeric: true,
      value: (r) => r.roas,
      text: (r) => formatRoas(r.roas, lang),
    },
    {
      key: "cpa_usd",
      label: t("cpa"),
      numeric: true,
      value: (r) => r.cpa_usd,
      text: (r) => formatUsd(r.cpa_usd, lang),
    },
  ];
  const table = /** @type {HTMLTableElement} */ ($("campaigns-table"));
  table.dataset.level = level;
  renderTable(table, columns, campaignRows(), state.campaignsSort, {
    rowData: (r) => ({ id: r.ad_id ?? r.adset_id ?? r.campaign_id }),
    onRow: level === "ad"
      ? undefined
      : (r) => level === "campaign" ? drillTo(r, null) : drillTo(state.drill.campaign, r),
    rowLabel: (r) => entityName(r),
  });
  renderCrumbs();
}

/** The open alerts (issue 15), each with its message: team, figure and what to do. */
function renderAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  $("alerts-box").hidden = state.alerts.length === 0;
  for (const a of state.alerts) {
    const li = document.createElement("li");
    li.className = `warn alert ${a.severity}`;
    li.dataset.rule = a.rule_key;
    li.dataset.id = String(a.id);
    li.textContent = `${a.severity === "critical" ? "⛔" : "⚠"} ${a.message}`;
    list.append(li);
  }
}

function renderFreshness() {
  if (!state.status) return;
  renderAlerts();
  const lang = currentLang();
  const when = (/** @type {string} */ iso) => formatDateTime(iso, lang, TZ);
  const { sources, warnings } = assessFreshness(state.status, state.settings, when);
  const list = $("warnings");
  list.replaceChildren();
  $("warnings-box").setAttribute("role", warnings.length ? "alert" : "status");
  if (warnings.length === 0) {
    const li = document.createElement("li");
    li.className = "fine";
    li.textContent = t("allFresh");
    list.append(li);
  }
  for (const w of warnings) {
    const li = document.createElement("li");
    li.className = `warn ${w.kind}`;
    li.dataset.kind = w.kind;
    li.textContent = `⚠ ${w.text}`;
    list.append(li);
  }
  /** @type {import("./table.js").Column[]} */
  const columns = [
    { key: "source", label: t("source"), value: (r) => r.label, text: (r) => r.label },
    {
      key: "at",
      label: t("lastSync"),
      value: (r) => r.at,
      text: (r) => (r.at ? when(r.at) : t("never")),
    },
    {
      key: "state",
      label: t("status"),
      value: (r) => r.state,
      text: (r) =>
        ({
          ok: t("ok"),
          failed: t("failed"),
          running: t("running"),
          never: t("never"),
          stale: t("stale"),
        })[/** @type {string} */ (r.state)] ?? r.state,
    },
  ];
  renderTable(/** @type {HTMLTableElement} */ ($("sources")), columns, sources, state.sourcesSort);
  for (const tr of /** @type {HTMLTableElement} */ ($("sources")).tBodies[0].rows) {
    const stateCell = tr.querySelector('[data-key="state"]');
    if (stateCell) stateCell.classList.add(`state-${stateCell.getAttribute("data-value")}`);
  }
}

function renderRangeNote() {
  const lang = currentLang();
  const r = state.range;
  $("range-note").textContent = r
    ? `${formatDay(r.from, lang)} – ${formatDay(r.to, lang)} (${TZ})`
    : "";
}

function renderAll() {
  renderRangeNote();
  renderTargetPicker();
  renderSummary();
  renderMetricsTable();
  renderPager();
  renderCharts($("charts"), state.daily);
  renderCampaigns();
  renderFreshness();
}

// ---------------------------------------------------------------- loading

/** @param {string} text @param {boolean} [isError] */
function setStatus(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

/** @param {unknown} err */
function describe(err) {
  if (err instanceof ApiError) return `${err.message} (${err.status} ${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

async function loadMetrics() {
  if (state.period === "custom") {
    const { from, to } = state.custom;
    const res = await api.metricsRange({
      from,
      to,
      compare: "previous",
      limit: String(TEAMS_PER_PAGE),
      offset: String(state.teams.offset),
    });
    state.teams = { total: res.teams_total, offset: res.offset };
    state.range = { from: res.from, to: res.to };
    state.rows = res.data;
    state.previous = res.previous?.data ?? null;
    state.previousRange = res.previous ? { from: res.previous.from, to: res.previous.to } : null;
    return;
  }
  const res = await api.metrics({
    period: /** @type {any} */ (state.period),
    compare: "previous",
    limit: String(TEAMS_PER_PAGE),
    offset: String(state.teams.offset),
  });
  state.teams = { total: res.teams_total, offset: res.offset };
  state.rows = res.data.filter((r) => r.period === state.period);
  const first = state.rows[0];
  state.range = first
    ? { from: first.period_start, to: first.period_end }
    : periodRange(state.period, TZ);
  const prev = res.previous?.find((p) => p.period === state.period);
  state.previous = prev?.data ?? null;
  state.previousRange = prev ? { from: prev.from, to: prev.to } : null;
}

async function loadDetails() {
  const range = /** @type {{ from: string, to: string }} */ (state.range);
  const userId = state.userId || undefined;
  const level = drillLevel();
  const [daily, campaigns] = await Promise.all([
    api.daily({ from: range.from, to: range.to, user_id: userId }),
    api.campaignsAll({ from: range.from, to: range.to, level, user_id: userId }),
  ]);
  state.daily = daily.data;
  state.campaigns = campaigns;
}

async function loadFreshness() {
  const admin = state.session ? isAdmin(state.session.claims) : false;
  const [status, settings] = await Promise.all([
    api.syncStatus(),
    admin ? Promise.resolve(null) : api.settings().catch((err) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }),
  ]);
  state.status = status;
  state.settings = settings;
  // Open alerts (RLS: the caller's team, or every team for an admin). Best effort: the page works
  // without them.
  state.alerts = (await api.alerts().catch(() => null))?.data ?? [];
}

/** Loads what the current choices need and renders the page. @param {{ metrics?: boolean, freshness?: boolean }} what */
async function load(what = { metrics: true, freshness: true }) {
  const seq = ++state.loadSeq;
  document.body.dataset.loading = "true";
  setStatus(t("loading"));
  try {
    await Promise.all([
      what.metrics ? loadMetrics() : Promise.resolve(),
      what.freshness ? loadFreshness() : Promise.resolve(),
    ]);
    await loadDetails();
    if (seq !== state.loadSeq) return;
    renderAll();
    setStatus("");
  } catch (err) {
    if (seq !== state.loadSeq) return;
    if (err instanceof ApiError && err.status === 401) {
      setStatus(t("sessionExpired"), true);
      await signOut(false);
      return;
    }
    setStatus(t("error", { message: describe(err) }), true);
  } finally {
    if (seq === state.loadSeq) document.body.dataset.loading = "false";
  }
}

/** @param {CampaignRow | null} campaign @param {CampaignRow | null} adset */
async function drillTo(campaign, adset) {
  state.drill = { campaign, adset };
  const seq = ++state.loadSeq;
  document.body.dataset.loading = "true";
  try {
    const range = /** @type {{ from: string, to: string }} */ (state.range);
    state.campaigns = await api.campaignsAll({
      from: range.from,
      to: range.to,
      level: drillLevel(),
      user_id: state.userId || undefined,
    });
    if (seq !== state.loadSeq) return;
    renderCampaigns();
    /** @type {HTMLElement | null} */ ($("campaigns-table").querySelector("button"))?.focus();
  } catch (err) {
    setStatus(t("error", { message: describe(err) }), true);
  } finally {
    if (seq === state.loadSeq) document.body.dataset.loading = "false";
  }
}

// ---------------------------------------------------------------- session

/** @type {ReturnType<typeof supabaseAuth> | null} */
let hosted = null;

/** @param {Session | null} session */
function showSession(session) {
  state.session = session;
  $("main").hidden = !session;
  $("signin").hidden = !!session || !hosted;
  $("who").hidden = !session;
  const note = $("session-note");
  note.hidden = true;
  if (!session) return;
  const c = session.claims;
  $("who-text").textContent = `${t("signedInAs", { email: c.email ?? c.sub ?? "?" })} · ${
    isAdmin(c) ? t("roleAdmin") : t("roleUser")
  }`;
  document.body.dataset.role = isAdmin(c) ? "admin" : "targetologist";
  if (session.kind === "local") {
    note.hidden = false;
    note.dataset.kind = "local";
    note.textContent = t("localSession", {
      time: c.exp ? formatDateTime(new Date(c.exp * 1000).toISOString(), currentLang(), TZ) : DASH,
    });
  }
}

/** @param {boolean} reload */
async function signOut(reload = true) {
  if (state.session?.kind === "local") forgetLocalSession();
  else await hosted?.signOut();
  state.session = null;
  showSession(null);
  if (!hosted) {
    $("session-note").hidden = false;
    $("session-note").textContent = t("localNoAuth");
  }
  if (reload) setStatus("");
}

function wireSignIn() {
  const form = /** @type {HTMLFormElement} */ ($("signin-form"));
  const email = /** @type {HTMLInputElement} */ ($("signin-email"));
  const password = /** @type {HTMLInputElement} */ ($("signin-password"));
  const error = $("signin-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!hosted) return;
    try {
      const session = await hosted.signInWithPassword(email.value, password.value);
      // onAuthStateChange usually got there first; load only if it did not.
      if (session && !state.session) {
        showSession(session);
        await load();
      }
    } catch (err) {
      error.hidden = false;
      error.textContent = t("signInFailed", { message: describe(err) });
    }
  });
  $("signin-magic").addEventListener("click", async () => {
    error.hidden = true;
    if (!hosted || !email.reportValidity()) return;
    try {
      await hosted.sendMagicLink(email.value);
      const msg = $("signin-message");
      msg.hidden = false;
      msg.textContent = t("magicSent", { email: email.value });
    } catch (err) {
      error.hidden = false;
      error.textContent = t("signInFailed", { message: describe(err) });
    }
  });
}

// ---------------------------------------------------------------- controls

function wireControls() {
  const langSelect = /** @type {HTMLSelectElement} */ ($("lang"));
  langSelect.addEventListener("change", () => {
    setLang(langSelect.value);
    localStorage.setItem("traffic-dashboard.lang", langSelect.value);
    if (state.session) showSession(state.session);
    if (state.range) renderAll();
  });
  const customForm = /** @type {HTMLFormElement} */ ($("custom-range"));
  const fromInput = /** @type {HTMLInputElement} */ ($("custom-from"));
  const toInput = /** @type {HTMLInputElement} */ ($("custom-to"));
  for (const radio of document.querySelectorAll('input[name="period"]')) {
    const input = /** @type {HTMLInputElement} */ (radio);
    input.checked = input.value === state.period;
    input.addEventListener("change", () => {
      if (!input.checked) return;
      state.period = input.value;
      customForm.hidden = state.period !== "custom";
      if (state.period === "custom") {
        const today = localDate(new Date(), TZ);
        fromInput.value ||= state.range?.from ?? addDays(today, -13);
        toInput.value ||= state.range?.to ?? today;
        fromInput.focus();
        return;
      }
      state.drill = { campaign: null, adset: null };
      state.teams = { ...state.teams, offset: 0 };
      void load({ metrics: true });
    });
  }
  customForm.hidden = state.period !== "custom";
  customForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.custom = { from: fromInput.value, to: toInput.value };
    state.drill = { campaign: null, adset: null };
    state.teams = { ...state.teams, offset: 0 };
    void load({ metrics: true });
  });
  const target = /** @type {HTMLSelectElement} */ ($("target"));
  target.addEventListener("change", () => {
    state.userId = target.value;
    state.drill = { campaign: null, adset: null };
    renderSummary();
    void load({ metrics: false });
  });
  for (const btn of document.querySelectorAll("button[data-csv]")) {
    btn.addEventListener("click", () => {
      const id = /** @type {string} */ (btn.getAttribute("data-csv"));
      const range = state.range ? `${state.range.from}_${state.range.to}` : "";
      downloadCsv(/** @type {HTMLTableElement} */ ($(id)), `${id.replace("-table", "")}_${range}`);
    });
  }
  $("sign-out").addEventListener("click", () => void signOut());
  /** @param {number} step */
  const turnPage = (step) => {
    const { offset } = state.teams;
    state.teams = { ...state.teams, offset: Math.max(0, offset + step * TEAMS_PER_PAGE) };
    state.userId = "";
    state.drill = { campaign: null, adset: null };
    void load({ metrics: true });
  };
  $("teams-prev").addEventListener("click", () => turnPage(-1));
  $("teams-next").addEventListener("click", () => turnPage(1));
}

// ---------------------------------------------------------------- start

async function start() {
  const lang = query.get("lang") || localStorage.getItem("traffic-dashboard.lang") || "ru";
  setLang(lang);
  /** @type {HTMLSelectElement} */ ($("lang")).value = currentLang();
  if (state.period === "custom") {
    state.custom = { from: query.get("from") ?? "", to: query.get("to") ?? "" };
  }
  wireControls();
  wireSignIn();
  const local = localSession();
  if (local) {
    if (isExpired(local.claims)) {
      forgetLocalSession();
      setStatus(t("sessionExpired"), true);
    } else {
      showSession(local);
      await load();
      return;
    }
  }
  if (!ANON_KEY) {
    const note = $("session-note");
    note.hidden = false;
    note.textContent = SUPABASE_URL === location.origin ? t("localNoAuth") : t("notConfigured");
    return;
  }
  try {
    hosted = supabaseAuth(SUPABASE_URL, ANON_KEY);
  } catch (err) {
    setStatus(t("error", { message: describe(err) }), true);
    return;
  }
  hosted.onChange((s) => {
    if (!s && state.session?.kind === "supabase") {
      showSession(null);
      return;
    }
    if (s && s.token !== state.session?.token) {
      const first = !state.session;
      showSession(s);
      if (first) void load();
    }
  });
  const current = await hosted.current();
  showSession(current);
  if (current) await load();
}

void start();
// For tests and the curious: the decoded claims of the current session (labels only).
Object.defineProperty(globalThis, "trafficDashboard", {
  value: { claims: () => (state.session ? decodeClaims(state.session.token) : null) },
});
