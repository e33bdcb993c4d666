/**
 * `storedPayload`: the payload amocrm-webhook stores serializes exactly as `storable`'s copy
 * (strings with U+0000 made U+FFFD), whether or not the copy is skipped for a body without `%00`.
 */
import assert from "node:assert/strict";
import { buildForm, parseWebhook } from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { storable, storedPayload } from "../../../supabase/functions/amocrm-webhook/body.ts";
import { fixture, FIXTURES } from "../amocrm/fixtures.ts";
import { prng } from "../../helpers/prng.ts";

const NOISE = ["%00", "%2500", "%0", "a%00b", "\u0000", "%C3%A9", "+", "%2B", "%5B", "", "ё", "00"];

/** Fixture bodies, and each with noise put into values and keys at random places. */
function bodies(): string[] {
  const out: string[] = FIXTURES.map((name) => fixture(name));
  const rand = prng(20261208);
  for (let i = 0; i < 400; i++) {
    const base = out[Math.floor(rand() * FIXTURES.length)];
    const at = Math.floor(rand() * (base.length + 1));
    const noise = NOISE[Math.floor(rand() * NOISE.length)];
    out.push(base.slice(0, at) + noise + base.slice(at));
  }
  out.push(buildForm({
    leads: { add: [{ id: "1", name: "a\u0000b", custom_fields: [] }] },
    "odd\u0000entity": "x",
  }));
  return out;
}

Deno.test("storedPayload serializes as storable's copy, with and without %00", () => {
  let parsed = 0, withNul = 0;
  for (const body of bodies()) {
    const result = parseWebhook(body);
    if (!result.ok) continue;
    parsed++;
    const copy = JSON.stringify(storable(result.webhook));
    const stored = JSON.stringify(storedPayload(body, result.webhook));
    assert.equal(stored, copy, body);
    assert.ok(!stored.includes("\\u0000"), "no NUL reaches jsonb");
    if (JSON.stringify(result.webhook).includes("\\u0000")) withNul++;
  }
  assert.ok(parsed > 200, `most bodies parse (${parsed})`);
  assert.ok(withNul > 10, `some parsed values hold a NUL (${withNul})`);
});

Deno.test("storedPayload copies only a body with %00", () => {
  const body = fixture("add");
  const result = parseWebhook(body);
  assert.ok(result.ok);
  assert.equal(storedPayload(body, result.webhook), result.webhook, "no copy");
  const nul = body + "&leads[add][0][name]=a%00b";
  const withNul = parseWebhook(nul);
  assert.ok(withNul.ok);
  assert.notEqual(storedPayload(nul, withNul.webhook), withNul.webhook, "a copy");
});
