import assert from "node:assert/strict";
import { readVerifyJwt } from "../../../scripts/stack/config-toml.ts";

Deno.test("the project's config.toml: every function's verify_jwt as the file sets it", async () => {
  const toml = await Deno.readTextFile(new URL("../../../supabase/config.toml", import.meta.url));
  const settings = readVerifyJwt(toml);
  const functions: string[] = [];
  for await (const entry of Deno.readDir(new URL("../../../supabase/functions", import.meta.url))) {
    if (entry.isDirectory && !entry.name.startsWith("_")) functions.push(entry.name);
  }
  // Every deployed function has its section, so its gateway rule is written down, not defaulted.
  assert.deepEqual(Object.keys(settings).sort(), functions.sort());
  assert.equal(settings["traffic-api"], false);
  assert.equal(settings["amocrm-webhook"], false);
});

Deno.test("a section without verify_jwt needs a JWT, as on Supabase", () => {
  assert.deepEqual(readVerifyJwt('[functions.plain]\nimport_map = "x.json"\n'), { plain: true });
});

Deno.test("TOML as TOML: inline tables, quoted names, comments, keys outside [functions.*]", () => {
  const toml = [
    "[api]",
    "verify_jwt = false # not a function: ignored",
    '[functions."quoted-name"]',
    "verify_jwt = false # trailing comment",
    "[functions]",
    "inline = { verify_jwt = false }",
    "[functions.multi]",
    "entrypoint = './index.ts'",
    "  verify_jwt   =   true",
  ].join("\n");
  assert.deepEqual(readVerifyJwt(toml), { "quoted-name": false, inline: false, multi: true });
});

Deno.test("a verify_jwt that is not a boolean is refused, not read as true", () => {
  assert.throws(
    () => readVerifyJwt('[functions.bad]\nverify_jwt = "false"\n'),
    /functions\.bad\.verify_jwt must be true or false/,
  );
});

Deno.test("a config.toml that is not TOML is refused at start", () => {
  assert.throws(() => readVerifyJwt("[functions.broken\nverify_jwt = false"));
});
