/**
 * Bench-only baseline for amocrm-webhook (served by `npm run bench`'s stack, never deployed): the
 * least work across the same plumbing — gateway → this Deno function → supabase-js → PostgREST —
 * the raw request body inserted as one row of `public.bench_inserts` with the service key
 * (`Prefer: return=minimal`), answered 200. No secret check, parsing or processing.
 */
import { createServiceClient } from "../../../supabase/functions/_shared/supabase.ts";

const client = createServiceClient(
  Deno.env.get("SUPABASE_URL")!,
  Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!,
);

Deno.serve(async (req) => {
  const body = await req.text();
  const { error } = await client.from("bench_inserts").insert({ body });
  if (error) return Response.json({ error: error.message }, { status: 500 });
  return Response.json({ ok: true });
});
