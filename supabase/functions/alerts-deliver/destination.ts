/**
 * Which destination URLs alerts-deliver will call, checked again before every send (the SQL
 * trigger on traffic_alert_destinations checks the same when a URL is stored), so a hostile admin
 * cannot make the project call itself or its network (SSRF): https only (plain http only to a
 * loopback address, and only where the stack allows it — the test stacks); no credentials in the
 * URL; a public DNS name (no IP literal, no localhost / *.local / *.internal, no single label); not
 * the project's own host; and, where DNS can be asked, no name resolving to a private, loopback or
 * link-local address. Redirects are never followed (the sender uses `redirect: "manual"`).
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

/** True for an address no alert may be sent to (private, loopback, link-local, CGNAT, multicast). */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || a >= 224 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127);
  }
  const v6 = ip.toLowerCase();
  if (v6 === "::" || v6 === "::1") return true;
  const mapped = v6.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateAddress(mapped[1]);
  return /^(fc|fd|fe[89ab]|ff)/.test(v6);
}

/** Resolves a host name to its addresses; throws when the runtime cannot resolve. */
export type Resolver = (host: string) => Promise<string[]>;

/** Deno's resolver (A and AAAA); null where the runtime has none. */
export function denoResolver(): Resolver | null {
  const resolve = (Deno as { resolveDns?: typeof Deno.resolveDns }).resolveDns;
  if (typeof resolve !== "function") return null;
  return async (host) => {
    const out: string[] = [];
    for (const type of ["A", "AAAA"] as const) {
      try {
        out.push(...await resolve(host, type));
      } catch (err) {
        // No record of that type is normal; anything else (no permission, no resolver) is not.
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return out;
  };
}

/**
 * Why the host of `raw` resolves somewhere private, or null (also when it cannot be checked: the
 * static rules above still hold, and the fetch itself fails for a name that does not exist).
 */
export async function resolvedProblem(
  raw: string,
  resolver: Resolver | null,
): Promise<string | null> {
  if (!resolver) return null;
  const url = new URL(raw);
  if (url.protocol !== "https:") return null; // loopback http (test stacks) was allowed explicitly
  let addresses: string[];
  try {
    addresses = await resolver(url.hostname);
  } catch {
    return null;
  }
  return addresses.some(isPrivateAddress)
    ? "the host resolves to a private or loopback address"
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
