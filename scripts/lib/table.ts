/** Plain-text tables for the command-line scripts. */

/** Formats rows as an aligned text table with the given column order. */
export function formatTable(
  rows: Record<string, unknown>[],
  columns: string[] = rows.length > 0 ? Object.keys(rows[0]) : [],
): string {
  if (rows.length === 0) return "  (none)";
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return "—";
    if (v instanceof Date) return v.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
    const s = typeof v === "object" ? JSON.stringify(v) : String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    "  " + vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
