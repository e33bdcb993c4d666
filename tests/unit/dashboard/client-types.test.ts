/**
 * The dashboard's typed client (dashboard/api/traffic-api.d.ts) is generated from traffic-api's
 * OpenAPI document: this fails when the committed file no longer matches the document
 * (regenerate with `npm run dashboard:client`).
 */
import assert from "node:assert/strict";
import { CLIENT_TYPES_FILE, generateClientTypes } from "../../../scripts/dashboard/client-types.ts";

Deno.test({
  name: "dashboard client types are generated from the current OpenAPI document (not stale)",
  sanitizeResources: false,
  fn: async () => {
    const fresh = await generateClientTypes();
    const committed = await Deno.readTextFile(CLIENT_TYPES_FILE);
    assert.ok(fresh.includes('"/metrics/range"') && fresh.includes('compare?: "previous"'));
    assert.ok(
      committed === fresh,
      "dashboard/api/traffic-api.d.ts is stale: run npm run dashboard:client and commit it",
    );
  },
});
