import assert from "node:assert/strict";
import {
  eventKey,
  type LeadEvent,
  parseWebhook,
  sha256Hex,
} from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { fixture } from "./fixtures.ts";

Deno.test("sha256Hex() matches known SHA-256 vectors, UTF-8 included", async () => {
  assert.equal(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    await sha256Hex("Привет, мир\n"),
    "4f67a852deac1c3b6c9ae8f99ce55b0b6cd4aa9d4692201acd510ffe6bd0643d",
  );
});

Deno.test("sha256Hex() gives the same key to a redelivered body and another to a changed one", async () => {
  const body = fixture("batch");
  assert.equal(await sha256Hex(body), await sha256Hex(fixture("batch")));
  assert.notEqual(await sha256Hex(body), await sha256Hex(body + "&x=1"));
});

const base: LeadEvent = {
  action: "status",
  leadId: "34120011",
  statusId: "142",
  updatedAt: "2024-06-11T07:13:20.000Z",
  customFields: [],
  utm: {},
};

Deno.test("eventKey() is lead:<id>:<action>:<status>:<updatedAt>, with - for missing parts", () => {
  assert.equal(eventKey(base), "lead:34120011:status:142:2024-06-11T07:13:20.000Z");
  assert.equal(
    eventKey({ action: "delete", leadId: "1", customFields: [], utm: {} }),
    "lead:1:delete:-:-",
  );
});

Deno.test("eventKey() ignores fields outside the change and separates real changes", () => {
  assert.equal(eventKey({ ...base, name: "other", price: "1" }), eventKey(base));
  assert.notEqual(eventKey({ ...base, statusId: "143" }), eventKey(base));
  assert.notEqual(eventKey({ ...base, action: "update" }), eventKey(base));
  assert.notEqual(eventKey({ ...base, updatedAt: "2024-06-11T07:13:21.000Z" }), eventKey(base));
});

Deno.test("eventKey() tells apart every event of a batched body", () => {
  const res = parseWebhook(fixture("batch"));
  assert.ok(res.ok);
  const keys = res.webhook.events.map(eventKey);
  assert.equal(new Set(keys).size, keys.length);
});
