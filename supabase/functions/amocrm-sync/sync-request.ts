/**
 * The request body of amocrm-sync, validated with zod: `{}` or `{ "triggered_by": "cron" }`
 * (the scheduled run), `{ "triggered_by": "manual" }` (npm run sync). Nothing else: the run's
 * window comes from the stored watermarks, never from the caller.
 *
 * @module
 */
import { z } from "../_shared/deps.ts";
import { parseInput } from "../_shared/validation.ts";

const schema = z.strictObject({
  triggered_by: z.string().regex(
    /^[A-Za-z0-9_.:-]{1,40}$/,
    "triggered_by must be 1-40 letters, digits or _ . : -",
  ).optional(),
});

/** `{ triggeredBy }` from a parsed JSON body (null/empty body = `{}`); 400 otherwise. */
export function parseSyncRequest(body: unknown): { triggeredBy: string } {
  const parsed = parseInput(schema, body ?? {}, { expected: ["triggered_by"] });
  return { triggeredBy: parsed.triggered_by ?? "api" };
}
