/**
 * Bench-only baseline for traffic-api (served by `npm run bench`'s stack, never deployed): the
 * least work across the same plumbing — gateway (JWT verified) → this Deno function → supabase-js
 * → PostgREST — one `select=*` of the one-row table `public.bench_tiny` as the caller (the user's
 * JWT forwarded, RLS on), its rows answered as JSON. The client is built once; only the caller's
 * `Authorization` header changes per request.
 */
import { createClient } from "../../../supabase/functions/_shared/deps.ts";
import { serverAuthOptions } from "../../../supabase/functions/_shared/supabase.ts";

const client = createClient(Deno.env.get("SUPABASE_URL")!, Deno.env.get("SUPABASE_ANON_KEY")!, {
  auth: serverAuthOptions,
});

Deno.serve(async (req) => {
  const auth = req.headers.get("authorization");
  if (!auth) return Response.json({ error: "no token" }, { status: 401 });
  const { data, error, status } = await client.from("bench_tiny").select("*")
    .setHeader("Authorization", auth);
  if (error) return Response.json({ error: error.message }, { status: status || 500 });
  return Response.json(data);
});
