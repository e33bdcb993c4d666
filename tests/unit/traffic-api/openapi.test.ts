/** GET /openapi.json: an OpenAPI 3.1 document built from the zod schemas that validate. */
import assert from "node:assert/strict";
import { z } from "../../../supabase/functions/_shared/deps.ts";
import { queryParameters } from "../../../supabase/functions/traffic-api/openapi.ts";
import { routes } from "../../../supabase/functions/traffic-api/router.ts";
import {
  campaignsQuery,
  settingsUpdate,
} from "../../../supabase/functions/traffic-api/validation.ts";
import { anonJwt, request, testHandler } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
async function doc(): Promise<any> {
  const { handler } = testHandler();
  const res = await handler(request("/openapi.json", anonJwt));
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test("openapi.json documents every route and method of the router", async () => {
  const d = await doc();
  assert.equal(d.openapi, "3.1.0");
  assert.equal(d.servers[0].url, "http://db.local/functions/v1/traffic-api");
  for (const [path, methods] of Object.entries(routes)) {
    for (const method of Object.keys(methods)) {
      assert.ok(d.paths[path]?.[method.toLowerCase()], `${method} ${path}`);
    }
  }
  assert.equal(Object.keys(d.paths).length, Object.keys(routes).length);
});

Deno.test("openapi.json parameters and body come from the validating zod schemas", async () => {
  const d = await doc();
  const params = d.paths["/campaigns"].get.parameters;
  assert.deepEqual(params, JSON.parse(JSON.stringify(queryParameters(campaignsQuery))));
  const level = params.find((p: { name: string }) => p.name === "level");
  assert.deepEqual(level.schema.enum, ["campaign", "adset", "ad"]);
  const period = d.paths["/metrics"].get.parameters.find((p: { name: string }) =>
    p.name === "period"
  );
  assert.match(period.description, /comma-separated/);
  const range = d.paths["/metrics/range"].get.parameters;
  assert.deepEqual(
    range.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name),
    [
      "from",
      "to",
    ],
  );
  const body = d.paths["/settings"].put.requestBody.content["application/json"].schema;
  const { $schema: _, ...expected } = z.toJSONSchema(settingsUpdate, { io: "input" });
  assert.deepEqual(body, JSON.parse(JSON.stringify(expected)));
  assert.equal(body.additionalProperties, false);
  assert.equal(body.properties.facebook_access_token.writeOnly, true);
});

Deno.test("openapi.json: the settings response has no token field, only facebook_token.set", async () => {
  const d = await doc();
  const settings = d.components.schemas.Settings;
  assert.ok(!("facebook_access_token" in settings.properties));
  assert.deepEqual(Object.keys(settings.properties.facebook_token.properties), [
    "set",
    "expires_at",
    "status",
    "status_at",
  ]);
});
