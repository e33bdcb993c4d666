/** Display helpers of the command-line scripts (rounding happens only here, at display). */

/** Groups the integer part of a decimal string with commas: "59000.5" → "59,000.5". */
export function groupDigits(value: string): string {
  const [int, frac] = value.split(".");
  const sign = int.startsWith("-") ? "-" : "";
  const digits = int.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${digits}${frac ? `.${frac}` : ""}`;
}

/** Rounds a decimal string to `places` for display, without going through a float sum. */
export function roundDecimal(value: string | number | null | undefined, places = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const s = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return s;
  const neg = s.startsWith("-");
  const [int, frac = ""] = s.replace("-", "").split(".");
  const scaled = BigInt(int + frac.padEnd(places, "0").slice(0, places));
  const roundUp = Number(frac[places] ?? "0") >= 5;
  const n = (scaled + (roundUp ? 1n : 0n)).toString().padStart(places + 1, "0");
  const out = places > 0 ? `${n.slice(0, -places)}.${n.slice(-places)}` : n;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

/** "59,000 ₸" for a KZT amount (whole tenge). */
export function formatKzt(value: string | number | null | undefined): string {
  const r = roundDecimal(value, 0);
  return r === "—" ? r : `${groupDigits(r)} ₸`;
}

/** "$1,234.56" for a USD amount. */
export function formatUsd(value: string | number | null | undefined): string {
  const r = roundDecimal(value, 2);
  return r === "—" ? r : `$${groupDigits(r)}`;
}

/** "0.05x" for a ROAS, "—" when undefined (no spend). */
export function formatRoas(value: string | number | null | undefined): string {
  const r = roundDecimal(value, 2);
  return r === "—" ? r : `${r}x`;
}
