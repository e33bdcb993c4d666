/**
 * _shared/http.ts, used by every function: the request id a client may set, and body limits
 * enforced without reading past them.
 */
import assert from "node:assert/strict";
import {
  readJson,
  readLimitedBytes,
  requestIdOf,
  withErrors,
} from "../../../supabase/functions/_shared/http.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function withId(id: string): Request {
  return new Request("http://fn.local/x", { headers: { "x-request-id": id } });
}

Deno.test("x-request-id: a short safe token is echoed, anything else is replaced by a new UUID", async () => {
  for (const ok of ["abc", "req-1.2_3:4", "A".repeat(128)]) {
    assert.equal(requestIdOf(withId(ok)), ok);
  }
  for (const bad of ["A".repeat(129), "x".repeat(6000), "<script>alert(1)</script>", "a b", "é"]) {
    assert.match(requestIdOf(withId(bad)), UUID, bad.slice(0, 20));
  }
  assert.match(requestIdOf(new Request("http://fn.local/x")), UUID);
  const handler = withErrors(memoryLogger(), () => Promise.resolve(new Response("ok")));
  const echoed = await handler(withId(`<b>${"x".repeat(6000)}</b>`));
  await echoed.body?.cancel();
  assert.match(echoed.headers.get("x-request-id") ?? "", UUID, "a 6 KB HTML id is not echoed");
});

/** A body stream of `total` bytes in 64 KiB chunks that counts what was pulled. */
function countingBody(total: number) {
  const chunk = new Uint8Array(65_536).fill(0x20);
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= total) return controller.close();
      seen.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

Deno.test("readJson stops reading a 50 MB body as soon as it passes the limit (413)", async () => {
  const { stream, seen } = countingBody(50 * 1_048_576);
  const req = new Request("http://fn.local/x", { method: "POST", body: stream });
  await assert.rejects(readJson(req, 100_000), (e: { status: number; code: string }) => {
    assert.equal(e.status, 413);
    assert.equal(e.code, "payload_too_large");
    return true;
  });
  assert.ok(seen.pulled <= 100_000 + 2 * 65_536, `read ${seen.pulled} bytes of 50 MB`);
  assert.ok(seen.cancelled, "the stream is cancelled");
});

Deno.test("readLimitedBytes refuses a Content-Length above the limit before reading a byte", async () => {
  const { stream, seen } = countingBody(50 * 1_048_576);
  const req = new Request("http://fn.local/x", {
    method: "POST",
    body: stream,
    headers: { "content-length": String(50 * 1_048_576) },
  });
  await assert.rejects(readLimitedBytes(req, 1_000), (e: { status: number }) => e.status === 413);
  assert.equal(seen.pulled, 0, "nothing was read");
});

Deno.test("readLimitedBytes returns a body of exactly the limit; readJson answers 400 to non-UTF-8", async () => {
  const body = new TextEncoder().encode('{"a":"' + "x".repeat(92) + '"}');
  assert.equal(body.byteLength, 100);
  const bytes = await readLimitedBytes(
    new Request("http://fn.local/x", { method: "POST", body }),
    100,
  );
  assert.deepEqual(bytes, body);
  assert.deepEqual(
    await readJson(new Request("http://fn.local/x", { method: "POST", body: "" })),
    {},
  );
  await assert.rejects(
    readJson(new Request("http://fn.local/x", { method: "POST", body: new Uint8Array([0xff]) })),
    (e: { status: number; code: string }) => e.status === 400 && e.code === "invalid_json",
  );
});

Deno.test("withErrors adds x-request-id to the handler's own response in place (its body is passed on, not re-wrapped); a response with immutable headers is copied", async () => {
  const own = new Response(new Uint8Array([1, 2, 3]), { status: 201 });
  const passed = await withErrors(memoryLogger(), () => Promise.resolve(own))(withId("r-1"));
  assert.equal(passed, own, "the same response object");
  assert.equal(passed.headers.get("x-request-id"), "r-1");
  assert.deepEqual(new Uint8Array(await passed.arrayBuffer()), new Uint8Array([1, 2, 3]));

  // A response whose headers may not be changed (as fetch returns them): a copy, same body.
  const locked = Response.error();
  assert.throws(() => locked.headers.set("x", "y"), TypeError);
  const fetched = new Response("from upstream", { status: 202 });
  Object.defineProperty(fetched, "headers", { value: locked.headers });
  const copied = await withErrors(memoryLogger(), () => Promise.resolve(fetched))(withId("r-2"));
  assert.notEqual(copied, fetched);
  assert.equal(copied.status, 202);
  assert.equal(copied.headers.get("x-request-id"), "r-2");
  assert.equal(await copied.text(), "from upstream");
});
