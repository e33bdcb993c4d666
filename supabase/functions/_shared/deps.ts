/**
 * Third-party modules, pinned in one place. Every function imports them from here so the
 * Supabase bundler and `deno test` resolve the very same versions.
 *
 * @module
 */
export { z } from "npm:zod@4.1.12";
export { createClient } from "npm:@supabase/supabase-js@2.86.0";
export type { SupabaseClient } from "npm:@supabase/supabase-js@2.86.0";
