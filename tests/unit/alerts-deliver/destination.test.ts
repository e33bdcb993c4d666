/**
 * alerts-deliver's destination rules (checked before every send, as the SQL trigger checks them
 * when a URL is stored) and its redaction list.
 */
import assert from "node:assert/strict";
import {
  destinationProblem,
  destinationSecrets,
  isPrivateAddress,
  resolvedProblem,
} from "../../../supabase/functions/alerts-deliver/destination.ts";

const rules = { allowLoopbackHttp: false, projectHost: "abcdefgh.supabase.co" };
const TG = "https://api.telegram.org/bot123456:AAE-secret_token/sendMessage";

Deno.test("destination: https webhooks and the Telegram sendMessage URL are accepted", () => {
  assert.equal(destinationProblem("https://hooks.example.com/T1/B2/xyz", "webhook", rules), null);
  assert.equal(destinationProblem(TG, "telegram", rules), null);
});

Deno.test("destination: SSRF shapes are refused, without echoing the URL", () => {
  const cases: [string, "telegram" | "webhook", RegExp][] = [
    ["http://hooks.example.com/x", "webhook", /only https/],
    ["https://169.254.169.254/latest/meta-data", "webhook", /IP address/],
    ["https://[::1]/x", "webhook", /IP address/],
    ["https://localhost/x", "webhook", /public DNS name/],
    ["https://db.internal/x", "webhook", /local or internal/],
    ["https://printer.local./x", "webhook", /local or internal/],
    ["https://user:pw@hooks.example.com/x", "webhook", /credentials/],
    ["https://abcdefgh.supabase.co/functions/v1/fb-ads-sync", "webhook", /project's own URL/],
    ["https://abcdefgh.supabase.co:8443/x", "webhook", /project's own URL/],
    ["https://api.telegram.org.evil.example/bot1:x/sendMessage", "telegram", /api\.telegram\.org/],
    ["https://api.telegram.org/bot1:x/getUpdates", "telegram", /sendMessage/],
    ["not a url", "webhook", /cannot be parsed/],
  ];
  for (const [url, kind, why] of cases) {
    const problem = destinationProblem(url, kind, rules);
    assert.match(problem ?? "accepted", why, url);
    assert.ok(!problem!.includes(url), "the reason does not contain the URL");
  }
});

Deno.test("destination: loopback http only where the stack allows it, never the project's port", () => {
  const test = { allowLoopbackHttp: true, projectHost: "127.0.0.1:54321" };
  assert.match(destinationProblem("http://127.0.0.1:9/x", "webhook", rules)!, /only https/);
  assert.equal(destinationProblem("http://127.0.0.1:9/x", "webhook", test), null);
  assert.equal(destinationProblem("http://localhost:9/bot1:x/sendMessage", "telegram", test), null);
  assert.match(destinationProblem("http://localhost:54321/rest/v1/", "webhook", test)!, /own URL/);
  assert.match(destinationProblem("http://10.0.0.1/x", "webhook", test)!, /only https/);
});

Deno.test("destination: private, loopback, link-local and CGNAT addresses are recognised", () => {
  for (
    const ip of [
      "10.1.2.3",
      "127.0.0.1",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:10.0.0.1",
    ]
  ) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ["8.8.8.8", "149.154.167.220", "172.32.0.1", "2001:67c:4e8:f004::9"]) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

Deno.test("destination: a name resolving to a private address is refused", async () => {
  const to = (ips: string[]) => () => Promise.resolve(ips);
  assert.match(
    (await resolvedProblem("https://hooks.example.com/x", to(["10.0.0.5"])))!,
    /private or loopback/,
  );
  assert.equal(await resolvedProblem("https://hooks.example.com/x", to(["93.184.215.14"])), null);
  assert.equal(await resolvedProblem("https://hooks.example.com/x", null), null);
});

Deno.test("destination: the redaction list covers the URL, its path and the bot token", () => {
  const s = destinationSecrets(TG);
  assert.ok(s.includes(TG));
  assert.ok(s.includes("/bot123456:AAE-secret_token/sendMessage"));
  assert.ok(s.includes("123456:AAE-secret_token"));
  assert.ok(
    destinationSecrets("https://h.example.com/a/sig?key=abcdefgh12").includes("abcdefgh12"),
  );
});
