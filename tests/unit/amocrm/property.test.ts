/**
 * Property tests. Seeded: a failure names its seed; rerun it with AMO_FUZZ_SEED=<seed>.
 */
import assert from "node:assert/strict";
import {
  buildForm,
  type FormObject,
  type FormValue,
  parseForm,
  parseWebhook,
} from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { fixture, FIXTURES } from "./fixtures.ts";
import { prng } from "../../helpers/prng.ts";

const SEED = Number(Deno.env.get("AMO_FUZZ_SEED") ?? 20240611);

type Rand = ReturnType<typeof prng>;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const NOISE = [
  "%",
  "%Z",
  "%E0",
  "%C3%28",
  "%ED%A0%80",
  "%5B",
  "%5D",
  "[",
  "]",
  "[]",
  "&",
  "=",
  "+",
  "%2B",
  "%00",
  "\u0000",
  "\n",
  "ё",
  "😀",
  "\uD800",
  "__proto__",
  "[__proto__]",
  "[constructor]",
  "[99999999999]",
  "%5B99999999999%5D",
  "[-1]",
  "[01]",
  "leads[add][0][id]=",
  "=abc",
  "&&",
];

/** One random edit of a body. */
function mutate(r: Rand, s: string): string {
  const at = int(r, s.length + 1);
  switch (int(r, 9)) {
    case 0: // delete a range
      return s.slice(0, at) + s.slice(at + 1 + int(r, 20));
    case 1: { // duplicate a slice
      const len = int(r, 80);
      return s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
    }
    case 2: // garble one character
      return s.slice(0, at) + String.fromCharCode(int(r, 0x10000)) + s.slice(at + 1);
    case 3: // insert noise
      return s.slice(0, at) + pick(r, NOISE) + s.slice(at);
    case 4: // a very deep key
      return `${s}&leads[add][0]${"[x]".repeat(int(r, 40))}=1`;
    case 5: // huge or odd indices
      return s.replaceAll(
        "%5B0%5D",
        pick(r, ["%5B99999999999%5D", "%5B01%5D", "%5B%5D", "%5B-1%5D"]),
      );
    case 6: // a garbage value for a numeric field
      return s.replace(/(%5D=)[0-9]+/, `$1${pick(r, ["abc", "", "1e9", "-1", "9".repeat(40)])}`);
    case 7: // splice two bodies
      return s.slice(0, at) + "&" + fixture(pick(r, FIXTURES)).slice(int(r, 500));
    default: // decode brackets in place
      return s.slice(0, at) + s.slice(at).replaceAll("%5B", "[").replaceAll("%5D", "]");
  }
}

function randomText(r: Rand, max: number): string {
  let out = "";
  const n = int(r, max);
  for (let i = 0; i < n; i++) {
    out += r() < 0.3 ? pick(r, NOISE) : String.fromCharCode(32 + int(r, 95));
  }
  return out;
}

/** The checks every webhook result must pass. */
function assertWellFormed(body: string, seed: number): boolean {
  let res;
  try {
    res = parseWebhook(body);
  } catch (err) {
    assert.fail(`parseWebhook threw (seed ${seed}): ${err}`);
  }
  if (res.ok) {
    for (const e of res.webhook.events) {
      assert.match(e.leadId, /^[0-9]+$/, `seed ${seed}`);
      if (e.updatedAt) assert.ok(!Number.isNaN(Date.parse(e.updatedAt)), `seed ${seed}`);
    }
    JSON.stringify(res.webhook); // stored as jsonb
  } else {
    assert.equal(typeof res.error, "string");
    assert.ok(res.error.length > 0 && res.error.length < 500, `seed ${seed}`);
    assert.ok(!res.error.startsWith("Unexpected"), `catch-all fired (seed ${seed}): ${res.error}`);
  }
  return res.ok;
}

Deno.test("parseWebhook() never throws on 5000 mutated and random bodies", () => {
  const started = performance.now();
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 5000; i++) {
    const seed = SEED + i;
    const r = prng(seed);
    let body = r() < 0.15 ? randomText(r, 400) : fixture(pick(r, FIXTURES));
    const edits = 1 + int(r, 4);
    for (let k = 0; k < edits; k++) body = mutate(r, body);
    outcomes[assertWellFormed(body, seed) ? "ok" : "error"]++;
  }
  // Both outcomes must actually occur, or the mutations are too weak (or too strong).
  console.log(`fuzz outcomes (seed ${SEED}):`, outcomes);
  assert.ok(outcomes.ok > 500 && outcomes.error > 500, JSON.stringify(outcomes));
  assert.ok(performance.now() - started < 10_000, "fuzz run took over 10 s");
});

Deno.test("parseForm() returns a result with a known error code for any string", () => {
  const codes = new Set(["malformed_encoding", "too_deep", "too_many_keys"]);
  for (let i = 0; i < 2000; i++) {
    const r = prng(SEED * 7 + i);
    const res = parseForm(randomText(r, 200), { maxDepth: 1 + int(r, 6), maxKeys: 1 + int(r, 50) });
    if (!res.ok) assert.ok(codes.has(res.error.code), `seed ${SEED * 7 + i}: ${res.error.code}`);
  }
});

/** A random nested value that buildForm/parseForm can represent exactly. */
function randomValue(r: Rand, depth: number): FormValue {
  if (depth >= 5 || r() < 0.4) return randomLeaf(r);
  if (r() < 0.4) return Array.from({ length: 1 + int(r, 4) }, () => randomValue(r, depth + 1));
  const o = Object.create(null) as FormObject;
  const n = 1 + int(r, 4);
  for (let k = 0; k < n; k++) o[randomKey(r)] = randomValue(r, depth + 1);
  return o;
}

function randomLeaf(r: Rand): string {
  return randomText(r, 30).replaceAll("\uD800", "x"); // lone surrogates are not round-trippable
}

/** A non-empty key without brackets that is not a canonical index (that would make an array). */
function randomKey(r: Rand): string {
  const k = pick(r, ["id", "name", "__proto__", "constructor", "prototype", "01", "-1", "a b"]) +
    randomLeaf(r).replace(/[[\]]/g, "");
  return /^(?:0|[1-9][0-9]*)$/.test(k) ? `k${k}` : k;
}

Deno.test("parseForm(buildForm(x)) deep-equals x for 1000 generated objects", () => {
  for (let i = 0; i < 1000; i++) {
    const seed = SEED * 13 + i;
    const r = prng(seed);
    const x = Object.create(null) as FormObject;
    const n = 1 + int(r, 4);
    for (let k = 0; k < n; k++) x[randomKey(r)] = randomValue(r, 1);
    const res = parseForm(buildForm(x));
    assert.ok(res.ok, `seed ${seed}`);
    assert.deepStrictEqual(res.value, x, `seed ${seed}`);
  }
});
