import { liveSyncDeps } from "../_shared/runtime.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";

Deno.serve(createHandler(liveSyncDeps("amocrm-sync", loadConfig(Deno.env.toObject()))));
