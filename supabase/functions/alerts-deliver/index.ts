import { serviceClientKey } from "../_shared/auth.ts";
import { createLogger } from "../_shared/logger.ts";
import { createServiceClient } from "../_shared/supabase.ts";
import { loadConfig } from "./config.ts";
import { denoResolver } from "./destination.ts";
import { createHandler } from "./handler.ts";
import { createStore } from "./store.ts";

const config = loadConfig(Deno.env.toObject());
const logger = createLogger({ fn: "alerts-deliver" });
const db = createServiceClient(config.SUPABASE_URL, serviceClientKey(config));
Deno.serve(
  createHandler({
    config,
    logger,
    store: createStore(db),
    resolver: denoResolver(),
  }),
);
