/**
 * Which destination URLs alerts-deliver will call, checked again before every send (the SQL
 * trigger on traffic_alert_destinations checks the same when a URL is stored), so a hostile admin
 * cannot make the project call itself or its network (SSRF): https only (plain http only to a
 * loopback address, and only where the stack allows it — the test stacks); no credentials in the
 * URL; a public DNS name (no IP literal, no localhost / *.local / *.internal, no single label); not
 * the project's own host; and no name resolving to a private, loopback, link-local or reserved
 * address — when that cannot be checked (no resolver, a lookup error or timeout) nothing is sent
 * and the message is retried (fail closed). Redirects are never followed (the sender uses
 * `redirect: "manual"`). The name is resolved again by fetch itself: a DNS-rebinding host could
 * answer differently the second time (documented in the README; the window is one lookup).
 *
 * @module
 */

const INTERNAL_SUFFIX = /(^|\.)(localhost|local|internal|intranet|lan|home|corp|arpa)$/;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface DestinationRules {
  allowLoopbackHttp: boolean;
  /** host[:port] of the project (SUPABASE_URL): never a destination. */
  projectHost: string;
}

/** Why `raw` is refused as a destination of `kind`, or null. Never includes the URL. */
export function destinationProblem(
  raw: string,
  kind: "telegram" | "webhook",
  rules: DestinationRules,
): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "the URL cannot be parsed";
  }
  if (url.username || url.password) return "credentials in the URL are refused";
  const host = url.hostname.toLowerCase();
  const project = new URL(`http://${rules.projectHost}`);
  const sameLoopback = LOOPBACK_HOSTS.has(host) &&
    LOOPBACK_HOSTS.has(project.hostname) &&
    (url.port || "80") === (project.port || "80");
  if (
    sameLoopback || (host === project.hostname && !LOOPBACK_HOSTS.has(host))
  ) {
    return "the project's own URL is not accepted as an alert destination";
  }
  if (
    url.protocol === "http:" && rules.allowLoopbackHttp &&
    LOOPBACK_HOSTS.has(host)
  ) {
    return null;
  }
  if (url.protocol !== "https:") return "only https URLs are accepted";
  if (/^[0-9.]+$/.test(host) || host.startsWith("[")) {
    return "an IP address is not accepted as the host: use a public host name";
  }
  if (!host.replace(/\.$/, "").includes(".")) {
    return "the host must be a public DNS name with a dot";
  }
  if (INTERNAL_SUFFIX.test(host.replace(/\.$/, ""))) {
    return "the host is a local or internal name";
  }
  if (
    kind === "telegram" &&
    (host !== "api.telegram.org" ||
      !/^\/bot[0-9]+:[A-Za-z0-9_-]+\/sendMessage$/.test(url.pathname))
  ) {
    return "a telegram destination is https://api.telegram.org/bot<token>/sendMessage";
  }
  return null;
}

/** An IPv4 address as a 32-bit number, or null. */
function ipv4(ip: string): number | null {
  const m = ip.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) +
    parts[3];
}

/** An IPv6 address as its eight 16-bit groups (a trailing dotted quad allowed), or null. */
function ipv6(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/%.*$/, "");
  const quad = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (quad) {
    const v = ipv4(quad[2]);
    if (v === null) return null;
    s = `${quad[1]}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [
    ...head,
    ...Array(halves.length === 2 ? fill : 0).fill("0"),
    ...tail,
  ];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

/** [network, prefix length] of IPv4 ranges no alert may reach (RFC 6890 special-purpose). */
const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // TEST-NET-1
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

function v4Blocked(v: number): boolean {
  return V4_BLOCKED.some(([net, len]) => {
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    return ((v & mask) >>> 0) === ((ipv4(net)! & mask) >>> 0);
  });
}

/**
 * True for an address no alert may be sent to: private, loopback, link-local, CGNAT, benchmarking,
 * documentation, multicast, reserved; in IPv6 also unique-local, site-local, Teredo, discard,
 * documentation, NAT64 local-use, and any address that embeds a blocked IPv4 address
 * (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16).
 * Anything that is not a well-formed address is refused too.
 */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ipv4(ip);
  if (v4 !== null) return v4Blocked(v4);
  const g = ipv6(ip);
  if (!g) return true;
  const embedded = (hi: number, lo: number) => v4Blocked(((hi << 16) >>> 0) + lo);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::/96 holds :: and ::1 and the IPv4-compatible form (deprecated): refused outright.
  if (zeros(0, 6)) return true;
  if (zeros(0, 5) && g[5] === 0xffff) return embedded(g[6], g[7]); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    return g[2] !== 0 || !zeros(3, 6) || embedded(g[6], g[7]); // 64:ff9b:1::/48 local; /96 NAT64
  }
  if (g[0] === 0x2002) return embedded(g[1], g[2]); // 6to4
  if (g[0] === 0x2001 && g[1] === 0) return true; // Teredo
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // documentation
  if (g[0] === 0x100 && zeros(1, 4)) return true; // discard-only 100::/64
  return (g[0] & 0xfe00) === 0xfc00 || // unique-local fc00::/7
    (g[0] & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g[0] & 0xffc0) === 0xfec0 || // site-local fec0::/10
    (g[0] & 0xff00) === 0xff00; // multicast
}

/**
 * Resolves a host name to its addresses; throws when the runtime cannot resolve. `signal` ends a
 * lookup that takes too long.
 */
export type Resolver = (
  host: string,
  signal?: AbortSignal,
) => Promise<string[]>;

/** Deno's resolver (A and AAAA); null where the runtime has none. */
export function denoResolver(): Resolver | null {
  const resolve = (Deno as { resolveDns?: typeof Deno.resolveDns }).resolveDns;
  if (typeof resolve !== "function") return null;
  return async (host, signal) => {
    const out: string[] = [];
    for (const type of ["A", "AAAA"] as const) {
      try {
        out.push(...await resolve(host, type, signal ? { signal } : undefined));
      } catch (err) {
        // No record of that type is normal; anything else (no permission, no resolver) is not.
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return out;
  };
}

/** Why a destination was not sent to: `retry` when it may pass later, `failed` when it never will. */
export interface ResolvedProblem {
  outcome: "retry" | "failed";
  problem: string;
}

/**
 * Checks where the host of `raw` resolves, failing closed: a name resolving to a private,
 * loopback or reserved address is refused (failed); when the check cannot be made (no resolver in
 * this runtime, a lookup error, no address, no answer within `timeoutMs`) nothing is sent and the
 * message is retried later. Null when every address is public.
 */
export async function resolvedProblem(
  raw: string,
  resolver: Resolver | null,
  timeoutMs = 10_000,
): Promise<ResolvedProblem | null> {
  const url = new URL(raw);
  if (url.protocol !== "https:") return null; // loopback http (test stacks) was allowed explicitly
  if (!resolver) {
    return {
      outcome: "retry",
      problem: "the host's addresses cannot be checked (no DNS resolver)",
    };
  }
  const controller = new AbortController();
  let late = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      controller.abort();
      reject(new Error("timeout"));
    }, timeoutMs);
  });
  let addresses: string[];
  try {
    addresses = await Promise.race([
      resolver(url.hostname, controller.signal),
      timedOut,
    ]);
  } catch {
    const why = late ? `the DNS lookup took longer than ${timeoutMs} ms` : "the DNS lookup failed";
    return {
      outcome: "retry",
      problem: `the host's addresses cannot be checked (${why})`,
    };
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) {
    return { outcome: "retry", problem: "the host has no address" };
  }
  return addresses.some(isPrivateAddress)
    ? {
      outcome: "failed",
      problem: "the host resolves to a private or loopback address",
    }
    : null;
}

/**
 * The values to redact wherever a message about this destination may be written: the URL, its
 * path and query, and every path segment or query value long enough to be a token (a Telegram
 * bot token, a signed hook's key).
 */
export function destinationSecrets(raw: string): string[] {
  const out = [raw];
  try {
    const url = new URL(raw);
    out.push(url.pathname + url.search);
    for (const seg of url.pathname.split("/")) {
      const s = decodeURIComponent(seg);
      if (s.length >= 8) out.push(s, s.replace(/^bot/, ""));
    }
    for (const [, v] of url.searchParams) if (v.length >= 8) out.push(v);
  } catch {
    // unparseable: the raw value is all there is
  }
  return [...new Set(out)].filter((s) => s.length >= 6);
}
