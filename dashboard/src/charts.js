// @ts-check
/// <reference lib="dom" />
/**
 * The daily series (`/daily`) as four small uPlot charts: spend ($), leads, revenue (₸) and
 * ROAS per day (revenue / spend in tenge, computed here for the plot only; the exact figures
 * stay in the tables). uPlot is pinned in package.json and copied to dashboard/vendor/.
 *
 * @module
 */
import uPlotModule from "../vendor/uPlot.esm.js";
import { formatCount, formatKzt, formatRoas, formatUsd } from "./format.js";
import { currentLang, t } from "./i18n.js";

/** @typedef {import("./api.js").DailyRow} DailyRow */

/** The uPlot constructor (the vendored file carries no types). @type {any} */
const UPlot = uPlotModule;
/** @type {{ destroy(): void }[]} */
let plots = [];

/**
 * @param {DailyRow[]} rows
 * @returns {{ key: string, title: string, color: string, values: (number | null)[], fmt: (v: number) => string }[]}
 */
export function seriesOf(rows) {
  const lang = currentLang();
  return [
    {
      key: "spend",
      title: t("chartSpend"),
      color: "#1f5fbf",
      values: rows.map((r) => Number(r.spend_usd ?? 0)),
      fmt: (v) => formatUsd(v.toFixed(2), lang),
    },
    {
      key: "leads",
      title: t("chartLeads"),
      color: "#7a3db8",
      values: rows.map((r) => r.leads),
      fmt: (v) => formatCount(v, lang),
    },
    {
      key: "revenue",
      title: t("chartRevenue"),
      color: "#1d7a46",
      values: rows.map((r) => Number(r.revenue ?? 0)),
      fmt: (v) => formatKzt(v.toFixed(0), lang),
    },
    {
      key: "roas",
      title: t("chartRoas"),
      color: "#b3541e",
      values: rows.map((r) => {
        const spend = Number(r.spend_kzt ?? 0);
        return spend > 0 ? Number(r.revenue ?? 0) / spend : null;
      }),
      fmt: (v) => formatRoas(v.toFixed(2), lang),
    },
  ];
}

/**
 * Draws the charts into `root` (one figure each), replacing earlier ones.
 * @param {HTMLElement} root @param {DailyRow[]} rows
 */
export function renderCharts(root, rows) {
  for (const p of plots) p.destroy();
  plots = [];
  root.replaceChildren();
  const shortDay = new Intl.DateTimeFormat(currentLang() === "ru" ? "ru-RU" : "en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: currentLang() === "ru" ? "2-digit" : "short",
  });
  const xs = rows.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000);
  for (const s of seriesOf(rows)) {
    const fig = document.createElement("figure");
    fig.className = "chart";
    fig.dataset.series = s.key;
    const cap = document.createElement("figcaption");
    cap.textContent = s.title;
    const total = s.values.reduce((/** @type {number} */ n, v) => n + (v ?? 0), 0);
    const plot = document.createElement("div");
    plot.setAttribute("role", "img");
    plot.setAttribute(
      "aria-label",
      `${s.title}: ${rows.length} ${t("days", { n: "" }).trim()}; ${
        s.key === "roas" ? "" : `Σ ${s.fmt(total)}`
      }`,
    );
    fig.append(cap, plot);
    root.append(fig);
    // The figure's own width (the grid decides it: 1–4 columns, phone to desktop).
    const width = Math.max(240, Math.floor(fig.clientWidth || 300));
    const opts = {
      width,
      height: 180,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          stroke: "#333",
          grid: { stroke: "#e4e4e4" },
          // Day and month as read locally: 26.11 (ru), 26 Nov (en).
          values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
            ticks.map((ts) => shortDay.format(new Date(ts * 1000))),
        },
        {
          stroke: "#333",
          grid: { stroke: "#e4e4e4" },
          size: 70,
          values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
            ticks.map((v) => s.fmt(v)),
        },
      ],
      series: [{}, {
        label: s.title,
        stroke: s.color,
        width: 2,
        fill: `${s.color}22`,
        points: { show: rows.length <= 31 },
        spanGaps: false,
      }],
    };
    plots.push(new UPlot(opts, [xs, s.values], plot));
  }
}
