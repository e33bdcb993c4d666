/**
 * Bench-only baseline for traffic-api (served by `npm run bench`'s stack, never deployed): the
 * least work across the same plumbing — gateway → this Deno function → supabase-js → PostgREST —
 * one `select=*` of the one-row table `public.bench_tiny` as the caller (the user's JWT forwarded,
 * RLS on), its rows answered as JSON. The client is built once; only the caller's
 * `Authorization` header changes per request.
 *
 * It crosses the gateway's checks as traffic-api does: no `verify_jwt` check of its own call
 * (bench/functions/config.toml; traffic-api verifies the JWT itself) and, on its PostgREST call,
 * the API key traffic-api sends (`clientKeyOf`: the project's publishable key when it has one,
 * which the gateway looks up, else the legacy anon key, a JWT the gateway verifies per request).
 */
import { createClient } from "../../../supabase/functions/_shared/deps.ts";
import { serverAuthOptions } from "../../../supabase/functions/_shared/supabase.ts";
import { clientKeyOf, loadConfig } from "../../../supabase/functions/traffic-api/config.ts";

const config = loadConfig(Deno.env.toObject());
const client = createClient(config.SUPABASE_URL, clientKeyOf(config), { auth: serverAuthOptions });

Deno.serve(async (req) => {
  const auth = req.headers.get("authorization");
  if (!auth) return Response.json({ error: "no token" }, { status: 401 });
  const { data, error, status } = await client.from("bench_tiny").select("*")
    .setHeader("Authorization", auth);
  if (error) return Response.json({ error: error.message }, { status: status || 500 });
  return Response.json(data);
});
