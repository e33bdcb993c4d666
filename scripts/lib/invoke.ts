/** Calls a function through supabase-js `functions.invoke` and reads its JSON answer or error. */
import type { SupabaseClient } from "../../supabase/functions/_shared/deps.ts";

export interface Invoked {
  ok: boolean;
  status: number;
  body: unknown;
  /** A one-line reason when not ok (the function's error message, or the transport error). */
  message: string;
}

/** Invokes `name` with a JSON body; never throws. */
export async function invoke(
  supabase: SupabaseClient,
  name: string,
  body: Record<string, unknown>,
): Promise<Invoked> {
  const { data, error, response } = await supabase.functions.invoke(name, { body });
  if (!error) return { ok: true, status: response?.status ?? 200, body: data, message: "" };
  const ctx = (error as { context?: Response }).context;
  if (ctx instanceof Response) {
    let payload: unknown = null;
    try {
      payload = await ctx.json();
    } catch {
      payload = null;
    }
    const msg = (payload as { error?: { message?: string } } | null)?.error?.message ??
      (payload as { message?: string } | null)?.message ?? `HTTP ${ctx.status}`;
    return { ok: false, status: ctx.status, body: payload, message: `${msg} (HTTP ${ctx.status})` };
  }
  return { ok: false, status: 0, body: null, message: error.message };
}
