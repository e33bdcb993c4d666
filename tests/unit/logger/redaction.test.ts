/**
 * Secrets are redacted in every encoding a third party may echo them in, before a log line, a
 * stored row or an answer is written (issue 12 item 7: Meta echoed a token URL-encoded, `%7C`
 * for `|`, and it reached the log, the sync response and traffic_sync_history.details).
 */
import assert from "node:assert/strict";
import {
  memoryLogger,
  REDACTED,
  redactSecrets,
  redactValues,
  rememberSecret,
} from "../../../supabase/functions/_shared/logger.ts";

/** Shaped like a Meta app token (`app_id|secret`) with every character URLs and JSON escape. */
const TOKEN = 'EAAB1234567890|s3cr/t+pa ss"wd\\ümlaut=&x';

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const upperHex = encodeURIComponent(TOKEN);
const lowerHex = upperHex.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const encodings: Record<string, string> = {
  raw: TOKEN,
  "URL-encoded, upper hex": upperHex,
  "URL-encoded, lower hex": lowerHex,
  "URL-encoded twice": encodeURIComponent(upperHex),
  "form-encoded (+ for space)": new URLSearchParams({ t: TOKEN }).toString().slice(2),
  "JSON-escaped": JSON.stringify(TOKEN).slice(1, -1),
  "JSON-escaped twice": JSON.stringify(JSON.stringify(TOKEN)).slice(1, -1),
  "JSON \\u escapes": [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .join(""),
  "HTML character references": [...TOKEN].map((c) => `&#${c.codePointAt(0)};`).join(""),
  base64: b64(TOKEN),
  base64url: b64(TOKEN).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
};

/** The longest piece of `secret` (or of one of its encodings) still readable in `text`. */
function leak(text: string, secret: string): string | null {
  for (const e of [secret, ...Object.values(encodings)]) {
    for (let len = 10; len <= e.length; len++) {
      for (let i = 0; i + len <= e.length; i++) {
        const piece = e.slice(i, i + len);
        if (!/^[\w+/=%-]{10,}$/.test(piece) || !text.includes(piece)) continue;
        if (len >= 12) return piece;
      }
    }
  }
  return null;
}

Deno.test("a secret passed to redactSecrets is removed in every encoding, the text around it kept", () => {
  for (const [name, encoded] of Object.entries(encodings)) {
    const text = `Invalid OAuth access token ${encoded} (#190) fbtrace_id=Abc123`;
    const out = redactSecrets(text, [TOKEN]);
    assert.ok(!out.includes(encoded), `${name}: still in ${out}`);
    assert.equal(leak(out, TOKEN), null, `${name}: a piece is left in ${out}`);
    assert.ok(out.startsWith("Invalid OAuth access token "), `${name}: ${out}`);
    assert.ok(out.endsWith(" (#190) fbtrace_id=Abc123"), `${name}: ${out}`);
    assert.ok(out.includes(REDACTED), name);
  }
});

Deno.test("base64 of a longer value that contains the secret at any offset is redacted", () => {
  for (const prefix of ["", "a", "ab", "abc"]) {
    const encoded = b64(`${prefix}token=${TOKEN};rest`);
    const out = redactSecrets(`blob ${encoded}`, [TOKEN]);
    assert.ok(out.includes(REDACTED), `offset ${prefix.length}: ${out}`);
    assert.ok(out.length < encoded.length, `offset ${prefix.length}: ${out}`);
  }
});

Deno.test("remembered secrets are redacted from every log line, also inside fields and nested JSON", () => {
  const secret = `EAAG-${crypto.randomUUID()}|remembered`;
  rememberSecret(secret);
  const logger = memoryLogger();
  logger.error("graph error", {
    error: `Meta said: invalid token ${encodeURIComponent(secret)}`,
    body: JSON.stringify({ error: { message: secret } }),
    nested: { list: [`x ${secret.replace("|", "%7c")}`] },
  });
  const line = logger.lines.join("\n");
  for (const e of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
    assert.ok(!line.includes(e), `leaked ${e}: ${line}`);
  }
  assert.ok(!line.includes("remembered"), line);
  assert.match(line, /graph error/);
});

Deno.test("redactValues keeps field names and non-secret values (token_source stays readable)", () => {
  const secret = `tok-${crypto.randomUUID()}`;
  const v = redactValues({
    token_source: "user",
    rows: 3,
    errors: [`act_1: Meta API error: ${encodeURIComponent(secret)}`],
  }, [secret]);
  assert.equal(v.token_source, "user");
  assert.equal(v.rows, 3);
  assert.equal(v.errors[0], `act_1: Meta API error: ${REDACTED}`);
});

Deno.test("secret-shaped values are redacted without being known: URL, form, JSON, encoded", () => {
  const cases = [
    "GET /v27.0/act_1/insights?limit=500&access_token=abcDEF123456&after=x",
    "next=https%3A%2F%2Fgraph%2F%3Faccess_token%3DabcDEF123456%26after%3Dx",
    '{"access_token": "abcDEF123456", "x": 1}',
    '{\\"access_token\\":\\"abcDEF123456\\"}',
    "appsecret_proof=abcDEF123456",
  ];
  for (const c of cases) {
    const out = redactSecrets(c);
    assert.ok(!out.includes("abcDEF123456"), `${c} -> ${out}`);
  }
  assert.equal(redactSecrets("plain text, nothing secret"), "plain text, nothing secret");
});
