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

Deno.test("destination: special-purpose IPv4 ranges are refused, their neighbours are not", () => {
  const refused = [
    "0.1.2.3", // 0.0.0.0/8
    "100.127.255.255", // CGNAT's last address
    "192.0.0.1", // 192.0.0.0/24 (IETF protocol assignments)
    "192.0.0.255",
    "192.0.2.10", // TEST-NET-1
    "192.88.99.1", // 6to4 relay anycast
    "198.18.0.1", // 198.18.0.0/15 (benchmarking)
    "198.19.255.255",
    "198.51.100.7", // TEST-NET-2
    "203.0.113.9", // TEST-NET-3
    "224.0.0.1", // multicast
    "239.255.255.250",
    "240.0.0.1", // reserved
    "255.255.255.255", // broadcast
  ];
  for (const ip of refused) assert.equal(isPrivateAddress(ip), true, ip);
  const allowed = [
    "1.0.0.1",
    "100.63.255.255", // just below CGNAT
    "100.128.0.0", // just above CGNAT
    "192.0.1.1", // just above 192.0.0.0/24
    "198.17.255.255", // just below 198.18.0.0/15
    "198.20.0.0", // just above it
    "223.255.255.255", // just below multicast
  ];
  for (const ip of allowed) assert.equal(isPrivateAddress(ip), false, ip);
});

Deno.test("destination: IPv6 forms that embed or route to a private IPv4 address are refused", () => {
  const refused = [
    "::", // unspecified
    "::ffff:127.0.0.1", // IPv4-mapped, dotted
    "::ffff:7f00:1", // IPv4-mapped, hex
    "0:0:0:0:0:ffff:a9fe:a9fe", // IPv4-mapped 169.254.169.254, long form
    "::127.0.0.1", // IPv4-compatible (deprecated)
    "::a00:1", // IPv4-compatible 10.0.0.1, hex
    "::8.8.8.8", // IPv4-compatible: refused whatever it embeds
    "64:ff9b::10.0.0.1", // NAT64 well-known prefix to a private address
    "64:ff9b::a9fe:a9fe", // NAT64 to 169.254.169.254
    "64:ff9b:1::1", // NAT64 local-use prefix
    "2002:a00:1::1", // 6to4 of 10.0.0.1
    "2002:7f00:1::", // 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
    "2001:db8::1", // documentation
    "100::1", // discard-only
    "fc00::1", // unique-local
    "fec0::1", // site-local (deprecated)
    "febf::1", // link-local's last /16
    "ff02::1", // multicast
    "fe80::1%eth0", // link-local with a zone
    "not-an-address",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
  ];
  for (const ip of refused) assert.equal(isPrivateAddress(ip), true, ip);
  const allowed = [
    "::ffff:8.8.8.8", // IPv4-mapped public
    "64:ff9b::8.8.8.8", // NAT64 (DNS64 networks) to a public address
    "64:ff9b::959a:a7dc", // NAT64 to 149.154.167.220, hex
    "2002:808:808::1", // 6to4 of 8.8.8.8
    "2001:67c:4e8:f004::9", // api.telegram.org
    "2606:4700:4700::1111",
  ];
  for (const ip of allowed) assert.equal(isPrivateAddress(ip), false, ip);
});

Deno.test("destination: a name resolving to a private address is refused; no answer means retry, never send", async () => {
  const to = (ips: string[]) => () => Promise.resolve(ips);
  const url = "https://hooks.example.com/x";
  assert.deepEqual(
    await resolvedProblem(url, to(["93.184.215.14", "10.0.0.5"])),
    {
      outcome: "failed",
      problem: "the host resolves to a private or loopback address",
    },
  );
  assert.equal(await resolvedProblem(url, to(["93.184.215.14"])), null);
  // Fail closed: no resolver, a resolver that throws, no address, a lookup that hangs.
  const noResolver = await resolvedProblem(url, null);
  assert.equal(noResolver?.outcome, "retry");
  assert.match(noResolver!.problem, /cannot be checked \(no DNS resolver\)/);
  const throws = await resolvedProblem(
    url,
    () => Promise.reject(new Error("EAI_AGAIN")),
  );
  assert.deepEqual(throws, {
    outcome: "retry",
    problem: "the host's addresses cannot be checked (the DNS lookup failed)",
  });
  assert.deepEqual(await resolvedProblem(url, to([])), {
    outcome: "retry",
    problem: "the host has no address",
  });
  let aborted = false;
  const hangs = (_host: string, signal?: AbortSignal) =>
    new Promise<string[]>((_, reject) => {
      signal?.addEventListener("abort", () => {
        aborted = true;
        reject(new Error("aborted"));
      });
    });
  const t0 = Date.now();
  const slow = await resolvedProblem(url, hangs, 50);
  assert.deepEqual(slow, {
    outcome: "retry",
    problem: "the host's addresses cannot be checked (the DNS lookup took longer than 50 ms)",
  });
  assert.ok(Date.now() - t0 < 1_000, "the time limit holds");
  assert.ok(aborted, "the lookup itself is aborted");
  // Plain http reaches here only for loopback on a stack that allows it: no lookup.
  assert.equal(await resolvedProblem("http://127.0.0.1:9/x", null), null);
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
