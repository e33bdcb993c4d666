// @ts-check
/// <reference lib="dom" />
/**
 * Who is signed in, and with which access token.
 *
 * - Hosted project: Supabase Auth through supabase-js (email + password, or a magic link),
 *   with the project URL and publishable/anon key from the configuration. supabase-js keeps and
 *   refreshes the session; the page only asks it for the current access token.
 * - Local stack (no GoTrue): `npm run demo` prints a link whose fragment carries a JWT minted
 *   with the stack's secret (`#local_access_token=…`). The page keeps it for the tab only
 *   (sessionStorage), removes it from the address bar, and says it is a local session.
 *
 * The claims are decoded only to label the page (email, admin or not, expiry). They grant
 * nothing: the gateway and PostgREST verify the token, and RLS decides what each user sees.
 *
 * @module
 */

const LOCAL_KEY = "traffic-dashboard.local-token";

/**
 * @typedef {{ sub?: string, email?: string, exp?: number, role?: string,
 *   app_metadata?: { traffic_role?: string } }} Claims
 * @typedef {{ kind: "local" | "supabase", token: string, claims: Claims }} Session
 */

/** The payload of a JWT, unverified (labels only). @param {string} token @returns {Claims | null} */
export function decodeClaims(token) {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** @param {Claims} claims */
export function isExpired(claims, nowMs = Date.now()) {
  return typeof claims.exp === "number" && claims.exp * 1000 <= nowMs;
}

/** @param {Claims} claims */
export function isAdmin(claims) {
  return claims.app_metadata?.traffic_role === "admin";
}

/**
 * Takes a local token from the address bar's fragment (and removes it from there), or the
 * one this tab kept. Returns null when there is none.
 * @returns {Session | null}
 */
export function localSession() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromHash = hash.get("local_access_token");
  if (fromHash) {
    sessionStorage.setItem(LOCAL_KEY, fromHash);
    hash.delete("local_access_token");
    const rest = hash.toString();
    history.replaceState(
      null,
      "",
      `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`,
    );
  }
  const token = sessionStorage.getItem(LOCAL_KEY);
  if (!token) return null;
  const claims = decodeClaims(token);
  if (!claims) {
    sessionStorage.removeItem(LOCAL_KEY);
    return null;
  }
  return { kind: "local", token, claims };
}

export function forgetLocalSession() {
  sessionStorage.removeItem(LOCAL_KEY);
}

/**
 * Supabase Auth through supabase-js (the UMD build, loaded as `window.supabase`).
 * @param {string} url @param {string} anonKey
 */
export function supabaseAuth(url, anonKey) {
  /** @type {any} */
  const lib = /** @type {any} */ (globalThis).supabase;
  if (!lib?.createClient) throw new Error("supabase-js is not loaded (dashboard/vendor/)");
  const client = lib.createClient(url, anonKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
  });
  /** @param {any} s @returns {Session | null} */
  const toSession = (s) => {
    if (!s?.access_token) return null;
    return { kind: "supabase", token: s.access_token, claims: decodeClaims(s.access_token) ?? {} };
  };
  return {
    /** @returns {Promise<Session | null>} */
    async current() {
      const { data } = await client.auth.getSession();
      return toSession(data?.session);
    },
    /** @param {(s: Session | null) => void} fn */
    onChange(fn) {
      client.auth.onAuthStateChange((/** @type {string} */ _event, /** @type {any} */ s) =>
        fn(toSession(s))
      );
    },
    /** @param {string} email @param {string} password */
    async signInWithPassword(email, password) {
      const { data, error } = await client.auth.signInWithPassword({ email, password });
      if (error) throw new Error(error.message);
      return toSession(data?.session);
    },
    /** @param {string} email */
    async sendMagicLink(email) {
      const redirect = `${location.origin}${location.pathname}${location.search}`;
      const { error } = await client.auth.signInWithOtp({
        email,
        options: { emailRedirectTo: redirect, shouldCreateUser: false },
      });
      if (error) throw new Error(error.message);
    },
    async signOut() {
      await client.auth.signOut();
    },
  };
}
