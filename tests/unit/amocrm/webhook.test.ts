import assert from "node:assert/strict";
import {
  buildForm,
  type LeadEvent,
  parseWebhook,
  type Webhook,
} from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { fixture } from "./fixtures.ts";

/** Parses and asserts success. */
function ok(body: string): Webhook {
  const res = parseWebhook(body);
  assert.ok(res.ok, `expected ok, got ${JSON.stringify(res)}`);
  return res.webhook;
}

/** Parses and returns the error message, asserting failure. */
function error(body: string): string {
  const res = parseWebhook(body);
  assert.equal(res.ok, false, `expected an error for ${body}`);
  return res.ok ? "" : res.error;
}

function only(webhook: Webhook): LeadEvent {
  assert.equal(webhook.events.length, 1);
  return webhook.events[0];
}

Deno.test("parseWebhook() reads a real-shaped leads[add] body with account and UTM codes", () => {
  const w = ok(fixture("add"));
  assert.deepEqual(w.account, { id: "31555001", subdomain: "kaspiacademy" });
  assert.deepEqual(w.ignored, []);
  const e = only(w);
  assert.equal(e.action, "add");
  assert.equal(e.leadId, "34120011");
  assert.equal(e.statusId, "61234501");
  assert.equal(e.pipelineId, "7340001");
  assert.equal(e.price, "0");
  assert.equal(e.name, "Заявка с сайта: Челлендж 3D");
  assert.equal(e.responsibleUserId, "10455001");
  assert.equal(e.createdAt, "2024-06-10T06:13:20.000Z");
  assert.equal(e.updatedAt, "2024-06-10T06:13:20.000Z");
  assert.deepEqual(e.utm, {
    source: "facebook",
    medium: "cpc",
    campaign: "challenge3d_kz_march",
    content: "ad set #2 | креатив",
    term: "онлайн курс",
    fbclid: "IwAR3xYz-AbC_123",
  });
  assert.equal(e.customFields.length, 7);
  assert.deepEqual(e.customFields[6], {
    id: "972001",
    name: "Продукт",
    values: [{ value: "Челлендж 3D", enum: "1500301" }],
  });
});

Deno.test("parseWebhook() reads leads[update] with enums, bare date values and old_status_id", () => {
  const e = only(ok(fixture("update")));
  assert.equal(e.action, "update");
  assert.equal(e.oldStatusId, "61234501");
  assert.equal(e.price, "35000");
  assert.equal(e.updatedAt, "2024-06-10T07:13:20.000Z");
  assert.deepEqual(e.customFields[1], {
    id: "72417",
    name: "Начало программы",
    values: [{ value: "1718236800" }],
  });
  assert.equal(e.customFields[4].name, "Группа обучения [дистант]");
  assert.deepEqual(e.utm, {});
});

Deno.test("parseWebhook() keeps custom fields 7 levels deep and orders index 10 after 9", () => {
  const e = only(ok(fixture("status")));
  assert.equal(e.action, "status");
  assert.equal(e.statusId, "142");
  assert.equal(e.oldStatusId, "61234504");
  assert.equal(e.customFields.length, 13);
  assert.deepEqual(
    e.customFields.slice(9).map((f) => f.id),
    ["1363223", "1376331", "1376333", "1376337"],
  );
  assert.equal(
    e.customFields[5].values[0].value,
    "https://kaspiacademy.kz/promo?utm_source=ig&amp;utm_medium=stories",
  );
  assert.deepEqual(e.utm, { source: "instagram", medium: "stories", campaign: "intensive_june" });
});

Deno.test("parseWebhook() reads a minimal status body with only ids", () => {
  const w = ok(fixture("status-minimal"));
  assert.deepEqual(w.events, [{
    action: "status",
    leadId: "10754147",
    statusId: "54423922",
    oldStatusId: "54435014",
    pipelineId: "6344290",
    oldPipelineId: "6344290",
    customFields: [],
    utm: {},
  }]);
});

Deno.test("parseWebhook() reads leads[delete] and leads[restore] minimal bodies", () => {
  for (const action of ["delete", "restore"] as const) {
    const w = ok(fixture(action));
    assert.deepEqual(w.events, [{
      action,
      leadId: "34120011",
      statusId: "61234504",
      pipelineId: "7340002",
      customFields: [],
      utm: {},
    }]);
  }
});

Deno.test("parseWebhook() splits a batched POST into events in body order, ignoring contacts", () => {
  const w = ok(fixture("batch"));
  assert.deepEqual(
    w.events.map((e) => [e.action, e.leadId, e.statusId]),
    [
      ["add", "34120021", "61234501"],
      ["add", "34120022", "61234501"],
      ["update", "34120021", "61234501"],
      ["status", "34120021", "61234504"],
      ["status", "34120022", "142"],
      ["delete", "34110000", "143"],
    ],
  );
  assert.equal(w.events[4].price, "490000");
  assert.deepEqual(w.ignored, [
    { entity: "contacts", action: "add", count: 1 },
    { entity: "contacts", action: "update", count: 1 },
    { entity: "unsorted", action: "add", count: 1 },
    { entity: "talk", action: "add", count: 1 },
  ]);
});

Deno.test("parseWebhook() falls back to UTM names when coded UTM fields have no value", () => {
  const e = only(ok(fixture("utm-empty")));
  assert.deepEqual(e.utm, { source: "google", campaign: "brand_kz", content: "banner_1" });
  assert.deepEqual(e.customFields[0].values, [{ value: "" }]);
  assert.deepEqual(e.customFields[1].values, []);
});

Deno.test("parseWebhook() keeps Cyrillic, emoji and control characters exactly", () => {
  const e = only(ok(fixture("cyrillic")));
  assert.equal(e.name, "Айгерим Нұрланқызы\n\t«Интенсив 1 день» + 50% скидка & бонус = ✓ 😀");
  assert.equal(
    e.customFields[0].values[0].value,
    'C++ / C# <script>alert("x")</script>\r\nстрока 2; a=b&c=d',
  );
  assert.equal(e.price, "1990.50");
  assert.deepEqual(e.utm, { campaign: "весна_2024+kz" });
});

Deno.test("parseWebhook() reads a bare [values][0]=<unix ts> as a value", () => {
  const body = "leads[add][0][id]=1&leads[add][0][custom_fields][0][id]=9" +
    "&leads[add][0][custom_fields][0][values][0]=1700000000";
  assert.deepEqual(only(ok(body)).customFields, [{ id: "9", values: [{ value: "1700000000" }] }]);
});

Deno.test("parseWebhook() takes updatedAt from last_modified and createdAt from date_create", () => {
  const e = only(ok(buildForm({
    leads: { update: [{ id: 5, last_modified: 1700000000, date_create: 0, price: "" }] },
  })));
  assert.equal(e.updatedAt, "2023-11-14T22:13:20.000Z");
  assert.equal(e.createdAt, "1970-01-01T00:00:00.000Z");
  assert.equal(e.price, undefined);
  assert.ok(!("price" in e));
});

Deno.test("parseWebhook() keeps ids as exact digit strings beyond 2^53, up to bigint max", () => {
  const e = only(ok("leads[status][0][id]=9007199254740993123&leads[status][0][status_id]=007"));
  assert.equal(e.leadId, "9007199254740993123");
  assert.equal(e.statusId, "7");
  assert.equal(only(ok("leads[add][0][id]=9223372036854775807")).leadId, "9223372036854775807");
  assert.match(error("leads[add][0][id]=9223372036854775808"), /fits a bigint/);
  assert.equal(only(ok("leads[add][0][id]=00000000000000000000000001")).leadId, "1");
});

Deno.test("parseWebhook() turns a nested custom field value into JSON text instead of failing", () => {
  const body = "leads[add][0][id]=1&leads[add][0][custom_fields][0][id]=2" +
    "&leads[add][0][custom_fields][0][values][0][value][name]=ТОО";
  assert.equal(only(ok(body)).customFields[0].values[0].value, '{"name":"ТОО"}');
});

Deno.test("parseWebhook() returns ok with zero events when nothing is recognizable", () => {
  assert.deepEqual(ok(""), { account: {}, events: [], ignored: [] });
  assert.deepEqual(
    ok("hello=world&contacts[add][0][id]=1&contacts[add][1][id]=2&leads[note][0]=x"),
    {
      account: {},
      events: [],
      ignored: [
        { entity: "hello", action: "", count: 1 },
        { entity: "contacts", action: "add", count: 2 },
        { entity: "leads", action: "note", count: 1 },
      ],
    },
  );
});

Deno.test("parseWebhook() is not fooled by prototype-pollution keys", () => {
  const w = ok(
    "__proto__[events]=x&leads[__proto__][add][0][id]=1&leads[constructor]=c" +
      "&account[__proto__][id]=abc&leads[add][0][id]=2&leads[add][0][__proto__][id]=3",
  );
  assert.deepEqual(w.events.map((e) => e.leadId), ["2"]);
  assert.equal(({} as Record<string, unknown>).id, undefined);
  assert.deepEqual(w.account, {});
});

Deno.test("parseWebhook() rejects lead items that fail validation with a field path", () => {
  assert.match(
    error("leads[status][0][id]=abc"),
    /leads\[status\]\[0\]\[id\]: expected an integer id/,
  );
  assert.match(error("leads[add][0][name]=x"), /leads\[add\]\[0\]\[id\]/);
  assert.match(error("leads[add][0][id]=1&leads[add][1][id]=-5"), /leads\[add\]\[1\]\[id\]/);
  assert.match(error("leads[add][0][id]=1&leads[add][0][updated_at]=2024-01-01"), /unix seconds/);
  assert.match(error("leads[add][0][id]=1&leads[add][0][price]=1,5"), /decimal amount/);
  assert.match(
    error("leads[add][0][id]=1&leads[add][0][custom_fields][0][id]=x"),
    /leads\[add\]\[0\]\[custom_fields\]\[0\]\[id\]/,
  );
  assert.match(error("leads[add]=1"), /leads\[add\]\[0\]/);
  assert.match(error("account[id]=acme"), /account\[id\]/);
});

Deno.test("parseWebhook() rejects bodies that are not form data, with a clear message", () => {
  assert.match(error("leads[add][0][id]=%E0%A4%A"), /not valid form data.*percent-encoding/);
  assert.match(error("a" + "[x]".repeat(20) + "=1"), /deeper than 16/);
  assert.match(error("k=1&".repeat(20_001)), /more than 20000/);
});
