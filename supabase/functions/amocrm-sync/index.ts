import { serviceClientKey } from "../_shared/auth.ts";
import { createServiceClient } from "../_shared/supabase.ts";
import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";

const config = loadConfig(Deno.env.toObject());
const supabase = () => createServiceClient(config.SUPABASE_URL, serviceClientKey(config));
Deno.serve(createHandler({
  config,
  logger: createLogger({ fn: "amocrm-sync" }),
  supabase,
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
}));
