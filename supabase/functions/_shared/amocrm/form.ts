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

type Node = Map<string, string | Node>;

const KEY_SHAPE = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
const SEGMENT = /\[([^[\]]*)\]/g;
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses a urlencoded body with PHP bracket keys into a nested null-prototype object.
 * `+` is a space; `%XX` must be valid UTF-8. Repeated keys: the last one wins (as in PHP).
 * `a[]=x` appends at the next index. A key that is not `base[seg]…` is kept as one flat key.
 */
export function parseForm(body: string, options: ParseOptions = {}): ParseResult {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const root: Node = new Map();
  const next = new WeakMap<Node, bigint>();
  let count = 0;
  for (const pair of String(body).split("&")) {
    if (pair === "") continue;
    if (++count > maxKeys) {
      return fail("too_many_keys", `Body has more than ${maxKeys} form fields.`);
    }
    const eq = pair.indexOf("=");
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? "" : pair.slice(eq + 1));
    if (key === null || value === null) {
      return fail("malformed_encoding", `Form field #${count} has malformed percent-encoding.`);
    }
    if (key === "") continue;
    const path = splitKey(key);
    if (path.length > maxDepth) {
      return fail("too_deep", `Form field #${count} is nested deeper than ${maxDepth} levels.`);
    }
    assign(root, path, value, next);
  }
  return { ok: true, value: finish(root) as FormObject };
}

function fail(code: ParseErrorCode, message: string): ParseResult {
  return { ok: false, error: { code, message } };
}

/** `+` → space, then percent-decoding; `null` when the encoding is malformed. */
function decode(s: string): string | null {
  const spaced = s.replaceAll("+", " ");
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return null;
  }
}

/** `a[b][0][]` → `["a", "b", "0", ""]`; anything not of that shape is one literal key. */
function splitKey(key: string): string[] {
  const m = KEY_SHAPE.exec(key);
  if (!m) return [key];
  const path = [m[1]];
  for (const seg of m[2].matchAll(SEGMENT)) path.push(seg[1]);
  return path;
}

function assign(root: Node, path: string[], value: string, next: WeakMap<Node, bigint>): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    let key = path[i];
    if (key === "" && i > 0) key = String(next.get(node) ?? 0n);
    if (INDEX.test(key)) {
      const after = BigInt(key) + 1n;
      if (after > (next.get(node) ?? 0n)) next.set(node, after);
    }
    if (i === path.length - 1) {
      node.set(key, value);
      return;
    }
    let child = node.get(key);
    if (!(child instanceof Map)) {
      child = new Map();
      node.set(key, child);
    }
    node = child;
  }
}

/** Maps → arrays (all keys canonical indices, ordered numerically) or null-prototype objects. */
function finish(node: Node): FormValue[] | FormObject {
  const keys = [...node.keys()];
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    keys.sort(compareIndex);
    return keys.map((k) => leaf(node.get(k)!));
  }
  const out = Object.create(null) as FormObject;
  for (const [k, v] of node) out[k] = leaf(v);
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
