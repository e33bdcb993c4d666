/**
 * The request body of fb-ads-sync, validated with zod:
 *
 * - `{}` or `{ "triggered_by": "cron" }`: the scheduled run, which fans out (one invocation per
 *   targetologist through pg_net) and calls no Graph API itself;
 * - `{ "user_id": "<uuid>" }`: one targetologist, the default window (today and 2 days before);
 * - `{ "days": N }` or `{ "since": "YYYY-MM-DD", "until": "YYYY-MM-DD" }`, optionally with
 *   `user_id`: every targetologist (or one) for that window, synchronously.
 *
 * @module
 */
import { z } from "../_shared/deps.ts";
import { type SyncWindowInput, syncWindowSchema } from "../_shared/facebook/mod.ts";
import { HttpError } from "../_shared/http.ts";
import { parseInput } from "../_shared/validation.ts";

/** What the caller asked for. */
export type SyncRequest =
  | { mode: "fan_out"; triggeredBy: string }
  | { mode: "sync"; triggeredBy: string; userId: string | null; window: SyncWindowInput };

const envelope = z.strictObject({
  user_id: z.uuid({ message: "user_id must be a UUID" }).optional(),
  triggered_by: z.string().regex(
    /^[A-Za-z0-9_.:-]{1,40}$/,
    "triggered_by must be 1-40 letters, digits or _ . : -",
  ).optional(),
  days: z.unknown().optional(),
  since: z.unknown().optional(),
  until: z.unknown().optional(),
});

const EXPECTED = ["user_id", "days", "since", "until", "triggered_by"];

/** Validates a parsed JSON body; throws `HttpError(400)` with a readable message. */
export function parseSyncRequest(body: unknown): SyncRequest {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "invalid_body", "Invalid request body: expected a JSON object.");
  }
  const { user_id, triggered_by, days, since, until } = parseInput(envelope, body, {
    expected: EXPECTED,
  });
  const hasWindow = days !== undefined || since !== undefined || until !== undefined;
  if (!hasWindow && user_id === undefined) {
    return { mode: "fan_out", triggeredBy: triggered_by ?? "api" };
  }
  const given = Object.entries({ days, since, until }).filter(([, v]) => v !== undefined);
  const window = parseInput(syncWindowSchema, Object.fromEntries(given));
  return {
    mode: "sync",
    triggeredBy: triggered_by ?? "manual",
    userId: user_id ?? null,
    window,
  };
}
