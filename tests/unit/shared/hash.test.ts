import assert from "node:assert/strict";
import { sha256Hex } from "../../../supabase/functions/_shared/hash.ts";
import { fixture } from "../amocrm/fixtures.ts";

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

Deno.test("sha256Hex() of bytes equals that of the text they encode (undecodable bodies)", async () => {
  const text = "Привет, мир\n";
  assert.equal(await sha256Hex(new TextEncoder().encode(text)), await sha256Hex(text));
  assert.equal(
    await sha256Hex(new Uint8Array([0xff, 0x00])),
    "ea5dbf9596d187e9500f23e9a680109475341cf4e81f7e043f7d97152c10772f",
  );
});
