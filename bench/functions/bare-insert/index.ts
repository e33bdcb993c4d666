/**
 * Bench-only baseline for amocrm-webhook (served by `npm run bench`'s stack, never deployed): the
 * least work across the same plumbing — gateway → this Deno function → supabase-js → PostgREST —
 * the raw request body inserted as one row of `public.bench_inserts` with the service key
 * (`Prefer: return=minimal`), answered 200. No secret check, parsing or processing. Its client
 * takes the key amocrm-webhook's takes (`serviceClientKey`: the secret key when the project has
 * one, which the gateway maps to a cached role JWT), not the legacy service-role JWT, whose HMAC
 * the gateway verifies on every call (review R9 M1: the baseline paid a check the webhook does not).
 */
import { serviceClientKey, serviceKeySchema } from "../../../supabase/functions/_shared/auth.ts";
import { createServiceClient } from "../../../supabase/functions/_shared/supabase.ts";

const client = createServiceClient(
  Deno.env.get("SUPABASE_URL")!,
  serviceClientKey(serviceKeySchema.parse(Deno.env.toObject())),
);

Deno.serve(async (req) => {
  const body = await req.text();
  const { error } = await client.from("bench_inserts").insert({ body });
  if (error) return Response.json({ error: error.message }, { status: 500 });
  return Response.json({ ok: true });
});
