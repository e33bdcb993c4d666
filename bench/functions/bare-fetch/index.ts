/**
 * Bench-only second baseline for traffic-api (served by `npm run bench`'s stack, never deployed):
 * `bare-read`'s read without supabase-js — gateway → this Deno function → one `fetch` → PostgREST,
 * the same `select=*` of the one-row table `public.bench_tiny` as the caller, with the headers
 * traffic-api's response cache sends for its one call (db.ts `restGet`: the caller's token, the
 * client key, the `public` profile), its rows answered as JSON.
 *
 * Why: the baseline (`bare-read`) is one supabase-js select, and supabase-js's builder and
 * fetch wrapper cost that function ~70–125 µs of CPU per request here; since traffic-api sends its
 * check without supabase-js (camp, eighth session), bench/traffic-api.ts prints the revalidating
 * repeats against this stricter read too (one run per route and caller), so no reader takes the
 * supabase-js cost the route skips for a margin of the route's own.
 */
import { clientKeyOf, loadConfig } from "../../../supabase/functions/traffic-api/config.ts";

const config = loadConfig(Deno.env.toObject());
const url = `${config.SUPABASE_URL.replace(/\/+$/, "")}/rest/v1/bench_tiny?select=*`;
const key = clientKeyOf(config);

Deno.serve(async (req) => {
  const auth = req.headers.get("authorization");
  if (!auth) return Response.json({ error: "no token" }, { status: 401 });
  const res = await fetch(url, {
    headers: { "accept-profile": "public", "apikey": key, "authorization": auth },
  });
  const data = await res.json();
  if (!res.ok) return Response.json({ error: data?.message ?? "error" }, { status: res.status });
  return Response.json(data);
});
