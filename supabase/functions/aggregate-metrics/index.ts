import { serviceClientKey } from "../_shared/auth.ts";
import { createServiceClient } from "../_shared/supabase.ts";
import { createNbkClient } from "../_shared/exchange-rates/mod.ts";
import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";
import { createStore } from "./store.ts";

const config = loadConfig(Deno.env.toObject());
const logger = createLogger({ fn: "aggregate-metrics" });
const db = createServiceClient(config.SUPABASE_URL, serviceClientKey(config));
const nbk = createNbkClient({ baseUrl: config.EXCHANGE_RATES_URL, logger });
Deno.serve(createHandler({ config, logger, store: createStore(db), nbk }));
