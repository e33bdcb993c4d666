/**
 * One structured logger (JSON lines). Library code receives it as an argument and never calls
 * `console.*` itself. Secrets are redacted here, at the last step, in every encoding a third
 * party may echo them in: raw, URL-encoded (upper or lower hex, `+` for a space, encoded twice),
 * JSON-escaped (`\"`, `\/`, `\u00XX`), HTML character references and base64 / base64url.
 *
 * Two kinds of secret are known: values this process was told about (`rememberSecret`, e.g. each
 * user's Facebook token when a sync picks it up, or `secrets` passed to `redactSecrets`), matched
 * in any of those encodings; and values shaped like one (Meta tokens, JWTs, `access_token=` in a
 * URL), matched by shape. `redact` also blanks object fields whose key names a secret.
 *
 * @module
 */

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Fields): Logger;
}

type Level = "debug" | "info" | "warn" | "error";
export type Sink = (line: string, level: Level) => void;

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

const SECRET_KEY = /(token|secret|password|authorization|apikey|api_key|access_key|proof)/i;
/** Name of a secret query/JSON parameter. */
const SECRET_PARAM = "(?:access_token|appsecret_proof|client_secret|secret)";
const SECRET_VALUE: RegExp[] = [
  /EAA[A-Za-z0-9]{10,}/g, // Meta access tokens
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, // JWTs
  // In a URL or form body, `=` raw or percent-encoded (once or twice); the value ends at `&`
  // (raw or encoded), whitespace, a quote or a backslash.
  new RegExp(`(${SECRET_PARAM})(=|%(?:25)*3[dD])(?:(?!%(?:25)*26)[^&\\s"'\\\\<>])+`, "gi"),
  // In JSON, escaped or not: "access_token": "value" / \"access_token\":\"value\".
  new RegExp(`(\\\\*"${SECRET_PARAM}\\\\*"\\s*:\\s*\\\\*")(?:[^"\\\\]|\\\\[^"])*`, "gi"),
];

/** Shortest value `rememberSecret` and `redactSecrets` take (shorter ones would redact noise). */
export const MIN_SECRET_LENGTH = 6;

const hexClass = (n: number, width: number) =>
  n.toString(16).padStart(width, "0").split("").map((d) =>
    /[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d
  ).join("");
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
const utf8 = new TextEncoder();

/** One character of a secret in any of the encodings (see the module doc). */
function charPattern(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const alts = [`\\\\*${escapeRe(ch)}`];
  const bytes = [...utf8.encode(ch)];
  alts.push(bytes.map((b) => `%(?:25)*${hexClass(b, 2)}`).join(""));
  if (cp <= 0xffff) alts.push(`\\\\*[uU]${hexClass(cp, 4)}`);
  alts.push(`&#(?:[xX]0*${hexClass(cp, 1)}|0*${cp});`);
  if (ch === " ") alts.push("\\+");
  return `(?:${alts.join("|")})`;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/**
 * The base64 and base64url text that the secret's bytes alone determine, at each of the three
 * alignments it may sit at inside a longer encoded value.
 */
function base64Forms(secret: string): string[] {
  const raw = utf8.encode(secret);
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const padded = new Uint8Array(k + raw.length);
    padded.set(raw, k);
    let b64 = toBase64(padded).replace(/=+$/, "");
    const start = k === 0 ? 0 : 4; // the first group mixes in bytes before the secret
    const end = (k + raw.length) % 3 === 0 ? b64.length : b64.length - ((k + raw.length) % 3 + 1);
    b64 = b64.slice(start, Math.max(start, end));
    if (b64.length >= 8) {
      out.push(b64, b64.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  return [...new Set(out)];
}

const patternCache = new Map<string, string>();

/** A regex source matching `secret` in every encoding this module knows. */
export function secretPattern(secret: string): string {
  let p = patternCache.get(secret);
  if (p === undefined) {
    const chars = Array.from(secret, charPattern).join("");
    p = [chars, ...base64Forms(secret).map(escapeRe)].join("|");
    if (patternCache.size > 2000) patternCache.clear();
    patternCache.set(secret, p);
  }
  return p;
}

const known = new Set<string>();
let knownRe: RegExp | null = null;

/**
 * Registers values (tokens, app secrets, appsecret_proof) that must never leave this process:
 * from now on every log line and every `redact`/`redactValues` result has them replaced, in any
 * encoding. Values shorter than `MIN_SECRET_LENGTH` are ignored. Bounded (oldest dropped).
 */
export function rememberSecret(...values: (string | null | undefined)[]): void {
  let changed = false;
  for (const v of values) {
    const s = v?.trim();
    if (!s || s.length < MIN_SECRET_LENGTH || known.has(s)) continue;
    if (known.size >= 1000) known.delete(known.values().next().value!);
    known.add(s);
    changed = true;
  }
  if (changed) knownRe = null;
}

function secretsRe(extra: readonly string[]): RegExp | null {
  const list = extra.map((s) => s.trim()).filter((s) =>
    s.length >= MIN_SECRET_LENGTH && !known.has(s)
  );
  if (list.length === 0) {
    if (known.size === 0) return null;
    // Longest first: a secret that contains another is replaced whole.
    knownRe ??= new RegExp(
      [...known].sort((a, b) => b.length - a.length).map(secretPattern).join("|"),
      "g",
    );
    return knownRe;
  }
  const all = [...new Set([...known, ...list])].sort((a, b) => b.length - a.length);
  return new RegExp(all.map(secretPattern).join("|"), "g");
}

/** `text` with the known secrets and `secrets` (every encoding) and secret shapes redacted. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  const re = secretsRe(secrets);
  let out = re ? text.replace(re, REDACTED) : text;
  for (const shape of SECRET_VALUE) {
    out = out.replace(
      shape,
      (m, name?: string, sep?: string) =>
        typeof name === "string" && typeof sep === "string" && m.startsWith(name + sep)
          ? `${name}${sep}${REDACTED}`
          : typeof name === "string" && m.startsWith(name) && sep === undefined
          ? `${name}${REDACTED}`
          : REDACTED,
    );
  }
  return out;
}

/**
 * Every string inside `value` (keys kept) through `redactSecrets`: for answers and stored rows,
 * whose field names are the API's (a field named `token_source` keeps its value).
 */
export function redactValues<T>(value: T, secrets: readonly string[] = [], depth = 0): T {
  if (typeof value === "string") return redactSecrets(value, secrets) as T;
  if (depth > 12) return value;
  if (Array.isArray(value)) return value.map((v) => redactValues(v, secrets, depth + 1)) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValues(v, secrets, depth + 1);
    return out as T;
  }
  return value;
}

/** Log redaction: `redactValues`, and a field whose key names a secret is blanked whole. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v != null && v !== "" ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

const consoleSink: Sink = (line, level) => {
  // The one place a function writes to the console (`npm test` lints supabase/functions with
  // no-console): everything else logs through this module, which redacts secrets.
  // deno-lint-ignore no-console
  if (level === "error" || level === "warn") console.error(line);
  // deno-lint-ignore no-console
  else console.log(line);
};

/** Creates a JSON-lines logger writing to `sink` (the console by default). */
export function createLogger(base: Fields = {}, sink: Sink = consoleSink): Logger {
  const write = (level: Level, msg: string, fields?: Fields) => {
    const entry = redact({ ts: new Date().toISOString(), level, msg, ...base, ...fields });
    // The JSON text once more: a secret split across escapes only JSON adds is caught here too.
    sink(redactSecrets(JSON.stringify(entry)), level);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}

/** A logger that keeps its lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({}, (line) => lines.push(line));
  return Object.assign(logger, { lines });
}
