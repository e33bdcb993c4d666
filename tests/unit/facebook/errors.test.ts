import assert from "node:assert/strict";
import {
  classifyGraphError,
  FacebookError,
  isThrottleCode,
  scrub,
  ThrottledError,
  TokenInvalidError,
  TransientError,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import { type ErrorFixture, fixture } from "./helpers.ts";

Deno.test("classifyGraphError() maps every literal Meta error payload to its class", () => {
  const all = fixture<Record<string, ErrorFixture | string>>("errors.json");
  const cases = Object.entries(all).filter(([k]) => !k.startsWith("_")) as [string, ErrorFixture][];
  assert.ok(cases.length >= 14);
  for (const [name, e] of cases) {
    const err = classifyGraphError(e.status, e.body);
    assert.ok(err instanceof FacebookError, name);
    assert.equal(err.kind, e.kind, name);
    assert.equal(err.httpStatus, e.status, name);
    assert.equal(err.name, err.constructor.name);
  }
});

Deno.test("classifyGraphError() decides by the body, not only the HTTP status", () => {
  const body = (code: number, extra = {}) => ({ error: { message: "x", code, ...extra } });
  assert.ok(classifyGraphError(500, body(190)) instanceof TokenInvalidError);
  assert.ok(classifyGraphError(400, body(2)) instanceof TransientError);
  assert.ok(classifyGraphError(200, body(613)) instanceof ThrottledError);
  assert.ok(
    classifyGraphError(400, body(190, { error_subcode: 467 })) instanceof TokenInvalidError,
  );
  assert.equal(classifyGraphError(400, body(299)).kind, "permission");
  assert.equal(classifyGraphError(400, body(100)).kind, "api_error"); // invalid parameter
  assert.equal(classifyGraphError(400, body(9999, { is_transient: true })).kind, "transient");
});

Deno.test("classifyGraphError() handles bodies that are not Meta's envelope", () => {
  assert.equal(classifyGraphError(502, null).kind, "transient");
  assert.equal(classifyGraphError(429, null).kind, "throttled");
  assert.equal(classifyGraphError(404, null).kind, "api_error");
  assert.equal(classifyGraphError(400, { error: "nope" }).kind, "api_error");
  assert.equal(classifyGraphError(400, { error: { code: "17", message: "x" } }).kind, "throttled");
});

Deno.test("isThrottleCode() covers 4, 17, 32, 613 and 80000-80014 only", () => {
  for (const c of [4, 17, 32, 613, 80000, 80004, 80014]) assert.ok(isThrottleCode(c), String(c));
  for (const c of [1, 2, 100, 190, 79999, 80015, undefined]) assert.ok(!isThrottleCode(c));
});

Deno.test("error messages are scrubbed of the token, the proof and token-shaped values", () => {
  const err = classifyGraphError(400, {
    error: { message: "bad token sekrit-123 and EAAB1234567890abcdefXYZ", code: 190 },
  }, ["sekrit-123"]);
  assert.ok(!err.message.includes("sekrit-123"));
  assert.ok(!err.message.includes("EAAB1234567890abcdefXYZ"));
  assert.equal(scrub("x?access_token=abc&y=1"), "x?access_token=[redacted]&y=1");
  assert.equal(scrub("a".repeat(600)).length, 501);
});
