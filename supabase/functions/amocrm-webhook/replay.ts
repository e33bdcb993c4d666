/**
 * The admin call: `POST ?replay=failed[&limit=N]`, or (without a `secret` in the URL) a JSON body
 * `{ "replay": "failed", "limit": N }`, with the service-role key. Reprocesses failed and stale
 * pending events.
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { json, readJson } from "../_shared/http.ts";
import type { Deps } from "./context.ts";
import { parseInput } from "../_shared/validation.ts";

const ReplayRequest = z.object({
  replay: z.literal("failed", { message: 'replay must be "failed"' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

/**
 * True when the request is explicitly the admin call rather than a webhook: `?replay=…` in the
 * URL, or a JSON body on a URL without `secret`. Anything carrying `secret` and no `replay` is a
 * webhook, whatever its content type (a JSON body with the right secret is kept as `rejected`,
 * never turned away as a replay without a key).
 */
export function isReplayCall(req: Request, url: URL): boolean {
  if (url.searchParams.has("replay")) return true;
  if (url.searchParams.has("secret")) return false;
  return (req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json");
}

/** Runs `amocrm_replay_failed` for a service caller. */
export async function replay(req: Request, url: URL, deps: Deps): Promise<Response> {
  requireServiceCaller(req, deps.config);
  const isJson = (req.headers.get("content-type") ?? "").toLowerCase()
    .startsWith("application/json");
  const body = isJson ? await readJson(req, 64 * 1024) : {};
  const fromBody = body && typeof body === "object" && !Array.isArray(body)
    ? body as Record<string, unknown>
    : {};
  const { limit } = parseInput(ReplayRequest, {
    replay: url.searchParams.get("replay") ?? fromBody.replay,
    limit: url.searchParams.get("limit") ?? fromBody.limit ?? undefined,
  }, { code: "invalid_replay", where: "request" });
  const result = await deps.store.replayFailed(limit);
  deps.logger.info("replay of failed AmoCRM events done", {
    selected: result.selected,
    processed: result.processed,
    ignored: result.ignored,
    failed: result.failed,
  });
  return json({ replay: result });
}
