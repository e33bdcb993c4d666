import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";

const config = loadConfig(Deno.env.toObject());
Deno.serve(createHandler({ config, logger: createLogger({ fn: "traffic-api" }), fetch }));
