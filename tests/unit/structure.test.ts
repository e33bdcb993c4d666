/**
 * Guardrails for "one rule, one place" (issue 16): the plumbing every function shares stays in
 * `_shared/`, and every function's README keeps its data path. Each check reads the source as
 * text and names the file that breaks it, so a copy of shared logic fails `npm test` (the SQL side:
 * pgTAP `245-rules-written-once`).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const FUNCTIONS = new URL("supabase/functions/", ROOT);

/** Every .ts file below `dir` (a URL ending in /), as [path relative to the repo, text]. */
function sources(dir: URL): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) out.push(...sources(url));
    else if (entry.name.endsWith(".ts")) {
      out.push([url.pathname.slice(ROOT.pathname.length), Deno.readTextFileSync(url)]);
    }
  }
  return out;
}

const all = sources(FUNCTIONS);
const functionFolders = [...Deno.readDirSync(FUNCTIONS)]
  .filter((e) => e.isDirectory && !e.name.startsWith("_")).map((e) => e.name).sort();
/** Code without comments (so a comment may name what the code must not do). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

/** Files (other than `allowed`) whose code matches `pattern`. */
function offenders(pattern: RegExp, allowed: string[], files = all): string[] {
  return files.filter(([path, text]) => !allowed.includes(path) && pattern.test(code(text)))
    .map(([path]) => path);
}

Deno.test("the database plumbing is only in _shared/store.ts (errors, unwrap, leases, history)", () => {
  const store = ["supabase/functions/_shared/store.ts"];
  assert.deepEqual(offenders(/class \w*StoreError\b/, store), [], "a StoreError of its own");
  assert.deepEqual(offenders(/"traffic_(try|release)_lock"/, store), [], "lease calls");
  assert.deepEqual(offenders(/"traffic_sync_history"/, store), [], "history writes");
  // traffic-api's `unwrap` is another job: it maps a failed read made with the caller's JWT to
  // the caller's HTTP answer (db.ts), where a store's `unwrap` throws a StoreError for the logs.
  const reads = [...store, "supabase/functions/traffic-api/db.ts"];
  assert.deepEqual(
    offenders(/function (unwrap|check|fail)\s*</, reads),
    [],
    "an unwrap of its own",
  );
});

Deno.test("each store.ts names its factory createStore", () => {
  for (const fn of functionFolders) {
    const file = all.find(([p]) => p === `supabase/functions/${fn}/store.ts`);
    if (file) assert.match(code(file[1]), /export function createStore\(/, `${fn}/store.ts`);
  }
});

Deno.test("configs use _shared/env.ts: one rule for blanks, one parser, one time zone", () => {
  const configs = all.filter(([p]) => /^supabase\/functions\/[a-z-]+\/config\.ts$/.test(p));
  assert.equal(configs.length, functionFolders.length, "every function has a config.ts");
  for (const [path, text] of configs) {
    assert.match(text, /from "\.\.\/_shared\/env\.ts"/, path);
    assert.doesNotMatch(code(text), /safeParse\(|z\.preprocess\(|\.trim\(\) === ""/, path);
  }
  assert.deepEqual(
    offenders(/"Asia\/Almaty"/, ["supabase/functions/_shared/dates.ts"]),
    [],
    "the default time zone is DEFAULT_TIME_ZONE (_shared/dates.ts)",
  );
  assert.deepEqual(
    offenders(/\bDeno\.env\b/, []).filter((p) => !p.endsWith("/index.ts")),
    [],
    "only index.ts reads the environment",
  );
});

Deno.test("request validation goes through _shared/validation.ts (one way to answer 400)", () => {
  const inFunctions = all.filter(([p]) => !p.startsWith("supabase/functions/_shared/"));
  assert.deepEqual(offenders(/\.safeParse\(/, [], inFunctions), []);
});

Deno.test("one SHA-256, one decimal normaliser, one calendar-day helper", () => {
  assert.deepEqual(
    offenders(/crypto\.subtle\.digest\(/, ["supabase/functions/_shared/hash.ts"]),
    [],
  );
  assert.deepEqual(
    offenders(/function normalize\w*Decimal\(/, ["supabase/functions/_shared/decimal.ts"]),
    [],
  );
  assert.deepEqual(
    offenders(/new Intl\.DateTimeFormat\(/, ["supabase/functions/_shared/dates.ts"]),
    [],
  );
});

Deno.test("no module of a function imports its handler (no import cycles through handler.ts)", () => {
  const cycles = all.filter(([path, text]) =>
    !path.startsWith("supabase/functions/_shared/") && !/\/(index|handler)\.ts$/.test(path) &&
    /from "\.\/handler\.ts"/.test(text)
  ).map(([p]) => p);
  assert.deepEqual(cycles, []);
});

Deno.test("every function's README ends with its data path, naming each SQL function it calls", () => {
  for (const fn of functionFolders) {
    const readme = Deno.readTextFileSync(new URL(`${fn}/README.md`, FUNCTIONS));
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    assert.equal(headings.at(-1), "Data path", `${fn}/README.md: the last section`);
    const path = readme.slice(readme.lastIndexOf("## Data path"));
    const called = new Set<string>();
    for (const [file, text] of all) {
      if (!file.startsWith(`supabase/functions/${fn}/`)) continue;
      const calls = /(?:\.rpc|callRpc(?:<[\s\S]*?>)?)\(\s*(?:\w+,\s*)?"(\w+)"/g;
      for (const m of code(text).matchAll(calls)) called.add(m[1]);
    }
    const missing = [...called].filter((name) => !path.includes(name)).sort();
    assert.deepEqual(missing, [], `${fn}/README.md's data path does not name`);
  }
});

/** The migration files, oldest first, as [version, lower-cased text]. */
const migrations = [...Deno.readDirSync(new URL("supabase/migrations/", ROOT))]
  .map((e) => e.name).filter((n) => n.endsWith(".sql")).sort()
  .map((n) => [
    n.slice(0, 14),
    Deno.readTextFileSync(new URL(`supabase/migrations/${n}`, ROOT)).toLowerCase(),
  ]);

/** The version of the newest migration that creates or redefines `name` ([schema.]object). */
function newestDefinition(name: string): string | undefined {
  const [schema, object] = name.includes(".") ? name.split(".") : [null, name];
  const qualified = schema ? `${schema}\\.` : "(?:public\\.|private\\.)?";
  const defines = new RegExp(
    String.raw`create\s+(?:or\s+replace\s+)?(?:function|view|materialized\s+view|procedure|table)` +
      String.raw`\s+(?:if\s+not\s+exists\s+)?${qualified}${object}\b`,
  );
  return migrations.findLast(([, text]) => defines.test(text))?.[0];
}

Deno.test("a README's data path names each SQL object's newest definition", () => {
  // `name(...)` (`<version>`) or (migration `<version>`): the migration a reader opens for it.
  const cited =
    /`((?:public\.|private\.)?[a-z_][a-z0-9_]*)(?:\([^`]*\))?`\s*\((?:migration\s+)?`(\d{14})`/g;
  let checked = 0;
  const stale: string[] = [];
  for (const fn of functionFolders) {
    const readme = Deno.readTextFileSync(new URL(`${fn}/README.md`, FUNCTIONS));
    for (
      const [, name, version] of readme.slice(readme.lastIndexOf("## Data path")).matchAll(cited)
    ) {
      const newest = newestDefinition(name);
      if (!newest) continue; // not created by a migration of ours (a cron job, an extension's)
      checked++;
      if (newest !== version) {
        stale.push(`${fn}/README.md: ${name} cites ${version}, newest ${newest}`);
      }
    }
  }
  assert.deepEqual(stale, []);
  assert.ok(checked >= 20, `only ${checked} citations found: the pattern no longer matches`);
});
