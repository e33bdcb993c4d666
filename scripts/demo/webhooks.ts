/**
 * The simulated AmoCRM: POSTs the demo's webhook bodies (crm.ts) to
 * `/functions/v1/amocrm-webhook?secret=…` over HTTP, oldest first, a few at a time, and counts
 * the answers; the bodies `drop` selects are never sent (AmoCRM gave up on them). A body the function did not store (not 200) is an error.
 *
 * @module
 */
import { crmBodies, type DemoLead } from "./crm.ts";

export interface PostResult {
  bodies: number;
  /** Bodies the simulated AmoCRM never delivered (`drop`). */
  dropped: number;
  events: Record<string, number>;
}

export async function postWebhooks(
  supabaseUrl: string,
  secret: string,
  leads: DemoLead[],
  concurrency = 4,
  drop: (index: number) => boolean = () => false,
): Promise<PostResult> {
  const all = crmBodies(leads);
  const bodies = all.filter((_, i) => !drop(i));
  const url = new URL(`${supabaseUrl}/functions/v1/amocrm-webhook`);
  url.searchParams.set("secret", secret);
  const events: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const { body } = bodies[next++];
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      const text = await res.text();
      if (res.status !== 200) {
        throw new Error(`amocrm-webhook answered ${res.status}: ${text.slice(0, 200)}`);
      }
      const status = (JSON.parse(text) as { status?: string }).status ?? "unknown";
      events[status] = (events[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { bodies: all.length, dropped: all.length - bodies.length, events };
}
