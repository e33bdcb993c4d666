/** amocrm-webhook's admin replay call: service key only, `replay=failed`, a bounded limit. */
import assert from "node:assert/strict";
import { KEYS, setup } from "./fake.ts";

function replayRequest(
  query: string,
  opts: { key?: string; json?: unknown } = {},
): Request {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  return new Request(`http://fn.local/amocrm-webhook${query}`, {
    method: "POST",
    headers,
    body: opts.json === undefined ? null : JSON.stringify(opts.json),
  });
}

Deno.test("amocrm-webhook replay: 401 without a key, 403 with the anon key", async () => {
  const { handler, store } = setup();
  const none = await handler(replayRequest("?replay=failed"));
  assert.equal(none.status, 401);
  await none.body?.cancel();
  const anon = await handler(replayRequest("?replay=failed", { key: KEYS.anon }));
  assert.equal(anon.status, 403);
  await anon.body?.cancel();
  const json = await handler(replayRequest("", { json: { replay: "failed" } }));
  assert.equal(json.status, 401, "a JSON body is the admin call too");
  await json.body?.cancel();
  assert.deepEqual(store.replays, []);
});

Deno.test("amocrm-webhook replay: the service key runs it, by query or by JSON body", async () => {
  const { handler, store } = setup();
  const byQuery = await handler(replayRequest("?replay=failed", { key: KEYS.serviceRole }));
  assert.equal(byQuery.status, 200);
  assert.deepEqual(await byQuery.json(), {
    replay: { selected: 0, event_ids: [], processed: 0, ignored: 0, failed: 0 },
  });
  const byBody = await handler(
    replayRequest("", { key: KEYS.serviceRole, json: { replay: "failed", limit: 5 } }),
  );
  assert.equal(byBody.status, 200);
  await byBody.body?.cancel();
  const withLimit = await handler(
    replayRequest("?replay=failed&limit=7", { key: KEYS.serviceRole }),
  );
  await withLimit.body?.cancel();
  assert.deepEqual(store.replays, [100, 5, 7]);
});

Deno.test("amocrm-webhook replay: 400 for anything but replay=failed or a bad limit", async () => {
  const { handler, store } = setup();
  for (
    const [query, json] of [
      ["?replay=all", undefined],
      ["?replay=failed&limit=0", undefined],
      ["?replay=failed&limit=10001", undefined],
      ["?replay=failed&limit=x", undefined],
      ["", { replay: "processed" }],
      ["", { nothing: true }],
    ] as const
  ) {
    const res = await handler(replayRequest(query, { key: KEYS.serviceRole, json }));
    assert.equal(res.status, 400, `${query} ${JSON.stringify(json)}`);
    assert.equal((await res.json()).error.code, "invalid_replay");
  }
  assert.deepEqual(store.replays, []);
});

Deno.test("amocrm-webhook replay does not need the webhook secret to be configured", async () => {
  const { handler, store } = setup({ AMOCRM_WEBHOOK_SECRET: undefined });
  const res = await handler(replayRequest("?replay=failed", { key: KEYS.serviceRole }));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.deepEqual(store.replays, [100]);
});
