import { serviceClientKey } from "../_shared/auth.ts";
import { createServiceClient } from "../_shared/supabase.ts";
import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { liveRuntime } from "../_shared/runtime.ts";
import { createHandler } from "./handler.ts";

const config = loadConfig(Deno.env.toObject());
const supabase = () => createServiceClient(config.SUPABASE_URL, serviceClientKey(config));
Deno.serve(createHandler({
  config,
  logger: createLogger({ fn: "fb-ads-sync" }),
  supabase,
  ...liveRuntime,
}));
