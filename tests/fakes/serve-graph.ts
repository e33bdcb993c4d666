/**
 * The fake Graph API as a process of its own, for the benchmark (so its CPU is not the
 * measured process's): `scaledModel()` served on 127.0.0.1. Prints "ready" once listening;
 * `GET /_fake/stats` answers how many insights requests it has seen.
 *
 * A page is built once per distinct URL and then served from memory (after the same latency):
 * building 500 rows costs CPU the measured function would otherwise compete with on a shared
 * machine, and a re-run or a baseline asking for the same page must not pay it again.
 * `GET /_fake/stats` also answers how many pages were built (`built`): the benchmark asks for
 * every page it measures once before measuring, so each measured run should build none.
 *
 * Usage: deno run -A tests/fakes/serve-graph.ts <port> <latencyMs> <users> <accountsPerUser>
 *        <campaigns> <adsPerCampaign>
 */
import { graphApi, scaledModel } from "./graph-api.ts";

const [port, latencyMs, users, accountsPerUser, campaigns, adsPerCampaign] = Deno.args.map(Number);
const { model } = scaledModel({ users, accountsPerUser, campaigns, adsPerCampaign, latencyMs });
const api = graphApi(model);
const pages = new Map<string, { status: number; headers: [string, string][]; body: string }>();
let served = 0, built = 0;
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
  if (new URL(req.url).pathname === "/_fake/stats") return Response.json({ calls: served, built });
  served++;
  let page = pages.get(req.url);
  if (page) {
    await new Promise((ok) => setTimeout(ok, latencyMs));
  } else {
    built++;
    const res = await api.handle(req);
    page = { status: res.status, headers: [...res.headers], body: await res.text() };
    if (res.ok) pages.set(req.url, page);
  }
  return new Response(page.body, { status: page.status, headers: page.headers });
});
console.log("ready");
