/**
 * Dedupe helpers: a content hash for raw bodies and a stable key for one lead event.
 *
 * @module
 */
import type { LeadEvent } from "./schema.ts";

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text` (WebCrypto). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A stable key for one event: `lead:<id>:<action>:<statusId|->:<updatedAt|->`. Two deliveries of
 * the same change (AmoCRM retries, or the same change inside two bodies) share a key; a later
 * change of the same lead does not.
 */
export function eventKey(event: LeadEvent): string {
  return [
    "lead",
    event.leadId,
    event.action,
    event.statusId ?? "-",
    event.updatedAt ?? "-",
  ].join(":");
}
