/**
 * Every script a user runs answers `--help` with its usage and exit 0, before touching a stack,
 * a project or a file.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url);
const deno = ["status.ts", "sync.ts", "invoke.ts", "deploy.ts", "amocrm-replay.ts"];
const bash = [
  "demo.sh",
  "bench.sh",
  "test.sh",
  "env-production.sh",
  "stack/start.sh",
  "stack/stop.sh",
];

async function help(cmd: string, args: string[]) {
  const { code, stdout } = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { STACK_DIR: "/nonexistent-stack-dir-for-help-test" },
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code, out: new TextDecoder().decode(stdout) };
}

Deno.test("every script answers --help with its usage and exit 0", async () => {
  for (const s of deno) {
    const { code, out } = await help(Deno.execPath(), [
      "run",
      "-q",
      "-A",
      `scripts/${s}`,
      "--help",
    ]);
    assert.equal(code, 0, s);
    assert.match(out, /usage: npm run /, s);
  }
  for (const s of bash) {
    const { code, out } = await help("bash", [`scripts/${s}`, "--help"]);
    assert.equal(code, 0, s);
    assert.ok(out.trim().length > 20 && !out.includes("#!"), `${s}: ${out}`);
  }
});

Deno.test("npm run status without a stack prints one line, not a stack trace", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-A", "scripts/status.ts"],
    cwd: ROOT,
    env: { STACK_DIR: "/nonexistent-stack-dir-for-help-test", SUPABASE_DB_URL: "" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr).trim();
  assert.equal(code, 2);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /^error: .*npm run stack:start/);
});
