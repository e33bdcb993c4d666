/**
 * The local gateway's forward (scripts/stack/gateway-forward.ts) against a real upstream that
 * answers with an encoded body: whatever the client asks for, the bytes it gets are what their
 * `Content-Encoding` says. Before, Deno's fetch decoded a gzip / br answer and the gateway kept
 * `Content-Encoding: gzip` on the plain bytes.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, brotliDecompressSync } from "node:zlib";
import { decodedByFetch, forward } from "../../../scripts/stack/gateway-forward.ts";

const json = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i, v: "x" })) });
const plain = new TextEncoder().encode(json);

async function compress(
  format: CompressionFormat,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
async function decompress(
  format: CompressionFormat,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
const encoded: Record<string, Uint8Array<ArrayBuffer>> = {
  gzip: await compress("gzip", plain),
  br: Uint8Array.from(brotliCompressSync(plain)),
  deflate: await compress("deflate", plain),
};
/** Decodes bytes as their Content-Encoding says (none: as they are). */
async function asLabelled(coding: string | null, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const c = coding?.trim().toLowerCase();
  const out = !c || c === "identity"
    ? bytes
    : c === "br"
    ? new Uint8Array(brotliDecompressSync(bytes))
    : await decompress(c as CompressionFormat, bytes);
  return new TextDecoder().decode(out);
}

Deno.test("gateway forward: an encoded answer reaches the client as its Content-Encoding says", async () => {
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const coding = new URL(req.url).searchParams.get("coding")!;
    return new Response(encoded[coding], {
      headers: {
        "content-type": "application/json",
        "content-encoding": coding,
        "x-seen-accept-encoding": req.headers.get("accept-encoding") ?? "",
      },
    });
  });
  try {
    for (const coding of ["gzip", "br", "deflate"]) {
      for (const accept of [null, "gzip, deflate, br", "identity"]) {
        const headers = new Headers(accept ? { "accept-encoding": accept } : {});
        const req = new Request("http://gateway.local/rest/v1/x", { headers });
        const res = await forward(
          req,
          `http://127.0.0.1:${upstream.addr.port}/x?coding=${coding}`,
          new Headers(headers),
        );
        const what = `${coding} answer, client Accept-Encoding ${accept ?? "(none)"}`;
        assert.equal(res.status, 200, what);
        if (accept) {
          assert.equal(res.headers.get("x-seen-accept-encoding"), accept, `${what}: forwarded`);
        }
        const label = res.headers.get("content-encoding");
        const bytes = new Uint8Array(await res.arrayBuffer());
        assert.equal(await asLabelled(label, bytes), json, `${what}: labelled ${label}`);
        assert.equal(res.headers.get("content-length"), null, what);
        // The label goes only where fetch decoded; bytes it left alone keep theirs.
        assert.equal(
          label,
          decodedByFetch(accept, coding) ? null : coding,
          `${what}: Content-Encoding`,
        );
      }
    }
  } finally {
    await upstream.shutdown();
  }
});

Deno.test("gateway forward: what Deno's fetch decodes (the rule the gateway relies on)", () => {
  assert.equal(decodedByFetch(null, "gzip"), true);
  assert.equal(decodedByFetch("gzip", "GZIP"), true);
  assert.equal(decodedByFetch("br", "br"), true);
  assert.equal(decodedByFetch("identity", "gzip"), false);
  assert.equal(decodedByFetch(null, "deflate"), false);
  assert.equal(decodedByFetch(null, null), false);
});
