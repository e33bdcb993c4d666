// @ts-check
/// <reference lib="dom" />
/**
 * Tables: sortable by any column (a button in each header, so a keyboard can sort too), each
 * cell keeping the API's exact value for CSV export next to the text it shows.
 *
 * @module
 */
import { t } from "./i18n.js";

/**
 * @typedef {{ key: string, label: string, numeric?: boolean,
 *   value: (row: any) => string | number | null,
 *   text: (row: any) => string,
 *   extra?: (row: any) => Node | null }} Column
 * @typedef {{ onRow?: (row: any) => void, rowLabel?: (row: any) => string,
 *   pinLast?: (row: any) => boolean, rowData?: (row: any) => Record<string, string> }} TableOptions
 */

/** Compares two exact values: numbers by value, anything else as text. @param {any} a @param {any} b */
function compareValues(a, b) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a).localeCompare(String(b));
}

/**
 * Renders `rows` into `table` (thead + tbody), sorted by `state.sort`.
 * @param {HTMLTableElement} table
 * @param {Column[]} columns
 * @param {any[]} rows
 * @param {{ sort?: { key: string, dir: 1 | -1 } }} state kept by the caller between renders
 * @param {TableOptions} [opts]
 */
export function renderTable(table, columns, rows, state, opts = {}) {
  const sorted = [...rows];
  const sort = state.sort;
  if (sort) {
    const col = columns.find((c) => c.key === sort.key);
    if (col) {
      sorted.sort((a, b) => {
        const pin = opts.pinLast ? Number(opts.pinLast(a)) - Number(opts.pinLast(b)) : 0;
        return pin || sort.dir * compareValues(col.value(a), col.value(b));
      });
    }
  }
  table.replaceChildren();
  const thead = table.createTHead();
  const hr = thead.insertRow();
  for (const col of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.dataset.key = col.key;
    if (col.numeric) th.className = "num";
    const active = sort?.key === col.key;
    th.setAttribute("aria-sort", active ? (sort.dir === 1 ? "ascending" : "descending") : "none");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "sort";
    btn.textContent = col.label;
    btn.title = t("sortBy", { name: col.label });
    btn.addEventListener("click", () => {
      state.sort = {
        key: col.key,
        dir: active && sort?.dir === -1 ? 1 : active ? -1 : col.numeric ? -1 : 1,
      };
      renderTable(table, columns, rows, state, opts);
      /** @type {HTMLButtonElement | null} */ (table.querySelector(
        `th[data-key="${col.key}"] button`,
      ))?.focus();
    });
    th.append(btn);
    hr.append(th);
  }
  const tbody = table.createTBody();
  if (sorted.length === 0) {
    const tr = tbody.insertRow();
    const td = tr.insertCell();
    td.colSpan = columns.length;
    td.className = "empty";
    td.textContent = t("noRows");
  }
  for (const row of sorted) {
    const tr = tbody.insertRow();
    for (const [k, v] of Object.entries(opts.rowData?.(row) ?? {})) tr.dataset[k] = v;
    for (const [i, col] of columns.entries()) {
      const cell = i === 0 ? document.createElement("th") : document.createElement("td");
      if (i === 0) /** @type {HTMLTableCellElement} */ (cell).scope = "row";
      const v = col.value(row);
      cell.dataset.key = col.key;
      cell.dataset.value = v === null || v === undefined ? "" : String(v);
      if (col.numeric) cell.className = "num";
      if (i === 0 && opts.onRow) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.className = "drill";
        btn.textContent = col.text(row);
        btn.setAttribute("aria-label", t("open", { name: opts.rowLabel?.(row) ?? col.text(row) }));
        btn.addEventListener("click", () => opts.onRow?.(row));
        cell.append(btn);
      } else {
        const span = document.createElement("span");
        span.className = "v";
        span.textContent = col.text(row);
        cell.append(span);
      }
      const extra = col.extra?.(row);
      if (extra) cell.append(extra);
      tr.append(cell);
    }
  }
}

/** One CSV field (RFC 4180 quoting). @param {string} s */
function csvField(s) {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The table as CSV, in its current order: the header labels, then each cell's exact value
 * (decimal strings as the API sent them, not the rounded display text).
 * @param {HTMLTableElement} table
 */
export function tableToCsv(table) {
  const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent ?? "");
  const lines = [head.map(csvField).join(",")];
  for (const tr of table.querySelectorAll("tbody tr")) {
    const cells = [...tr.querySelectorAll("[data-key]")];
    if (cells.length === 0) continue;
    lines.push(
      cells.map((c) => csvField(/** @type {HTMLElement} */ (c).dataset.value ?? "")).join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

/**
 * Downloads the table as `name.csv` (UTF-8 with a BOM, so spreadsheet apps read ₸ and Cyrillic).
 * @param {HTMLTableElement} table @param {string} name
 */
export function downloadCsv(table, name) {
  const blob = new Blob(["\ufeff", tableToCsv(table)], { type: "text/csv;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
