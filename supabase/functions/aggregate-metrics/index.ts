import { createClient } from "../_shared/deps.ts";
import { createNbkClient } from "../_shared/exchange-rates/mod.ts";
import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";
import { createSupabaseStore } from "./store.ts";

const config = loadConfig(Deno.env.toObject());
const logger = createLogger({ fn: "aggregate-metrics" });
const db = createClient(config.SUPABASE_URL, config.SUPABASE_SERVICE_ROLE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
});
const nbk = createNbkClient({ baseUrl: config.EXCHANGE_RATES_URL, logger });
Deno.serve(createHandler({ config, logger, store: createSupabaseStore(db), nbk }));
