/**
 * The fake Graph API as a process of its own, for the benchmark (so its CPU is not the
 * measured process's): `scaledModel()` served on 127.0.0.1. Prints "ready" once listening;
 * `GET /_fake/stats` answers how many insights requests it has seen.
 *
 * Usage: deno run -A tests/fakes/serve-graph.ts <port> <latencyMs> <users> <accountsPerUser>
 *        <campaigns> <adsPerCampaign>
 */
import { scaledModel, serveGraphApi } from "./graph-api.ts";

const [port, latencyMs, users, accountsPerUser, campaigns, adsPerCampaign] = Deno.args.map(Number);
const { model } = scaledModel({ users, accountsPerUser, campaigns, adsPerCampaign, latencyMs });
serveGraphApi(model, port);
console.log("ready");
