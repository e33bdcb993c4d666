/**
 * A total parser and an encoder for `application/x-www-form-urlencoded` bodies with PHP-style
 * bracket keys (`leads[status][0][custom_fields][0][values][0][value]=…`), the format AmoCRM
 * webhooks use.
 *
 * Parsing never throws: every input string gives `{ ok: true, value }` or `{ ok: false, error }`.
 * Objects are built on `Object.create(null)` (keys like `__proto__` are plain data), nodes are
 * collected in `Map`s first, and a node becomes an array only when every key is a canonical index
 * (`0`, `1`, `12`, never `01` or `-1`), ordered by numeric value and compacted, so `[99999999999]`
 * allocates one slot, not a huge sparse array.
 *
 * @module
 */

/** A parsed value: a string leaf, an array (canonical numeric indices) or a null-prototype object. */
export type FormValue = string | FormValue[] | FormObject;

/** A null-prototype object produced by {@link parseForm}. */
export interface FormObject {
  [key: string]: FormValue;
}

/** Why a body is not acceptable form data. */
export type ParseErrorCode = "malformed_encoding" | "too_deep" | "too_many_keys";

/** A typed parse failure (returned, never thrown). `message` is safe to show to the caller. */
export interface ParseError {
  readonly code: ParseErrorCode;
  readonly message: string;
}

/** The result of {@link parseForm}. */
export type ParseResult =
  | { readonly ok: true; readonly value: FormObject }
  | { readonly ok: false; readonly error: ParseError };

/** Limits for {@link parseForm}. */
export interface ParseOptions {
  /** Maximum nesting: the base key plus its bracket segments (default 16). */
  maxDepth?: number;
  /** Maximum number of `key=value` pairs (default 20 000). */
  maxKeys?: number;
}

/** Default nesting limit of {@link parseForm}. */
export const DEFAULT_MAX_DEPTH = 16;
/** Default pair-count limit of {@link parseForm}. */
export const DEFAULT_MAX_KEYS = 20_000;

/**
 * A node while parsing: its children, and the next index `a[]=` appends at (one past the largest
 * canonical index seen; a number, or a bigint past 15 digits).
 */
class Node {
  readonly children = new Map<string, string | Node>();
  next: number | bigint = 0;
}

/**
 * Parses a urlencoded body with PHP bracket keys into a nested null-prototype object.
 * `+` is a space; `%XX` must be valid UTF-8. Repeated keys: the last one wins (as in PHP).
 * `a[]=x` appends at the next index. A key that is not `base[seg]…` is kept as one flat key.
 * One pass over the text, no regular expressions (it runs for every webhook).
 */
export function parseForm(body: string, options: ParseOptions = {}): ParseResult {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const root = new Node();
  const text = String(body);
  let count = 0;
  // Where the next "=" at or after `start` is (text.length when there is none): found once and
  // reused by the fields before it, so fields without "=" ahead of a long value cost no rescan.
  let eq = -1;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf("&", start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++count > maxKeys) {
        return fail("too_many_keys", `Body has more than ${maxKeys} form fields.`);
      }
      if (eq < start) {
        const at = text.indexOf("=", start);
        eq = at === -1 ? text.length : at;
      }
      const hasValue = eq < end;
      const key = decode(text.slice(start, hasValue ? eq : end));
      const value = hasValue ? decode(text.slice(eq + 1, end)) : "";
      if (key === null || value === null) {
        return fail("malformed_encoding", `Form field #${count} has malformed percent-encoding.`);
      }
      if (key !== "") {
        const path = splitKey(key);
        if (path.length > maxDepth) {
          return fail("too_deep", `Form field #${count} is nested deeper than ${maxDepth} levels.`);
        }
        assign(root, path, value);
      }
    }
    start = end + 1;
  }
  return { ok: true, value: finish(root) as FormObject };
}

function fail(code: ParseErrorCode, message: string): ParseResult {
  return { ok: false, error: { code, message } };
}

/** `+` → space, then percent-decoding; `null` when the encoding is malformed. */
function decode(s: string): string | null {
  const spaced = s.includes("+") ? s.replaceAll("+", " ") : s;
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return null;
  }
}

/**
 * `a[b][0][]` → `["a", "b", "0", ""]`: a base without brackets, then `[segment]`s without
 * brackets inside, up to the end; anything not of that shape is one literal key.
 */
function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open === -1) return [key];
  const base = key.slice(0, open);
  if (open === 0 || base.includes("]")) return [key];
  const path = [base];
  for (let i = open; i < key.length;) {
    if (key.charCodeAt(i) !== 0x5b) return [key]; // not "["
    const close = key.indexOf("]", i + 1);
    if (close === -1) return [key];
    const segment = key.slice(i + 1, close);
    if (segment.includes("[")) return [key];
    path.push(segment);
    i = close + 1;
  }
  return path;
}

/** A canonical array index: `0`, or digits without a leading zero (never `01`, `-1`, `1.5`). */
function isIndex(key: string): boolean {
  const n = key.length;
  if (n === 0) return false;
  const first = key.charCodeAt(0);
  if (first === 0x30) return n === 1; // "0"
  if (first < 0x31 || first > 0x39) return false;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function assign(root: Node, path: string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    let key = path[i];
    if (key === "" && i > 0) key = String(node.next);
    if (isIndex(key)) {
      // Exact either way: 15 digits stay below 2^53; longer indices count as bigints.
      const after = key.length <= 15 ? Number(key) + 1 : BigInt(key) + 1n;
      if (after > node.next) node.next = after;
    }
    if (i === path.length - 1) {
      node.children.set(key, value);
      return;
    }
    let child = node.children.get(key);
    if (!(child instanceof Node)) {
      child = new Node();
      node.children.set(key, child);
    }
    node = child;
  }
}

/** Nodes → arrays (all keys canonical indices, ordered numerically) or null-prototype objects. */
function finish(node: Node): FormValue[] | FormObject {
  const keys = [...node.children.keys()];
  if (keys.length > 0 && keys.every(isIndex)) {
    keys.sort(compareIndex);
    return keys.map((k) => leaf(node.children.get(k)!));
  }
  const out = Object.create(null) as FormObject;
  for (const [k, v] of node.children) out[k] = leaf(v);
  return out;
}

function leaf(v: string | Node): FormValue {
  return typeof v === "string" ? v : finish(v);
}

/** Orders canonical index strings numerically without converting them to numbers. */
function compareIndex(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** What {@link buildForm} accepts: nested objects and arrays of scalars. */
export type FormInput =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly FormInput[]
  | { readonly [key: string]: FormInput };

/**
 * Encodes a nested object as a urlencoded body with PHP bracket keys, the way AmoCRM sends it
 * (`leads%5Bstatus%5D%5B0%5D%5Bid%5D=1`, spaces as `+`). `null`/`undefined` are skipped, numbers,
 * bigints and booleans are stringified, empty arrays and objects produce nothing. For strings,
 * arrays and objects whose keys have no brackets, `parseForm(buildForm(x))` deep-equals `x`.
 * Throws `TypeError` on a cyclic input.
 */
export function buildForm(obj: { readonly [key: string]: FormInput }): string {
  const pairs: string[] = [];
  const seen = new WeakSet<object>();
  const walk = (prefix: string, value: FormInput): void => {
    if (value === null || value === undefined) return;
    if (typeof value !== "object") {
      pairs.push(`${encode(prefix)}=${encode(String(value))}`);
      return;
    }
    if (seen.has(value)) throw new TypeError("buildForm: cyclic input");
    seen.add(value);
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    for (const [k, v] of entries) walk(`${prefix}[${k}]`, v);
    seen.delete(value);
  };
  for (const [k, v] of Object.entries(obj)) walk(k, v);
  return pairs.join("&");
}

function encode(s: string): string {
  return encodeURIComponent(s.toWellFormed()).replaceAll("%20", "+");
}
