// @ts-check
/**
 * The dashboard's configuration. On a hosted project set the project URL and its publishable
 * (or legacy anon) key — both are public by design; RLS protects the data. Query parameters
 * `?supabase_url=…&anon_key=…` override these values, and so does the local link that
 * `npm run demo` prints.
 *
 * Empty `supabaseUrl`: the page's own origin (the local stack's gateway serves both).
 */
export default {
  /** e.g. "https://abcdefghijklmnop.supabase.co" */
  supabaseUrl: "",
  /** e.g. "sb_publishable_…" or the legacy anon JWT */
  anonKey: "",
  /** The calendar of the numbers (the API answers in TRAFFIC_TIMEZONE; used for today's date). */
  timezone: "Asia/Almaty",
};
