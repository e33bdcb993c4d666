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

/** The versions of the migrations that create or redefine `name` ([schema.]object), oldest first. */
function definitions(name: string): string[] {
  const [schema, object] = name.includes(".") ? name.split(".") : [null, name];
  const qualified = schema ? `${schema}\\.` : "(?:public\\.|private\\.)?";
  const defines = new RegExp(
    String.raw`create\s+(?:or\s+replace\s+)?(?:function|view|materialized\s+view|procedure|table)` +
      String.raw`\s+(?:if\s+not\s+exists\s+)?${qualified}${object}\b`,
  );
  return migrations.filter(([, text]) => defines.test(text)).map(([v]) => v);
}

/** What a version in a data path says, from the words around it. */
type Cite = "newest" | "created" | "history" | "both";

/**
 * Every migration version a README's data path names, each with the SQL objects (or pg_cron job)
 * it is given for, read from the backticked names before it. A version says an object's newest
 * definition, except: "`created`, newest `newest`" (the first names where it was created), and
 * "moved from / since / of `v`" (history: v only has to mention the object). "(both `v`" covers
 * the two objects before it, "`a` / `b` (`v`)" both a and b. Returns what it could not read too.
 */
function dataPathCitations(path: string) {
  const tokens = [...path.matchAll(/`([^`]+)`/g)].map((m) => ({
    text: m[1],
    start: m.index!,
    end: m.index! + m[0].length,
  }));
  const isVersion = (t: string) => /^\d{14}$/.test(t);
  const cron = (t: string) => /^[a-z0-9]+(?:-[a-z0-9]+)+$/.test(t);
  const sqlName = (t: string) => t.replace(/\(.*$/s, "");
  const known = (t: string) =>
    /^(?:(?:public|private)\.)?[a-z_][a-z0-9_]*(?:\(.*\))?$/s.test(t) &&
    definitions(sqlName(t)).length > 0;
  const out: { version: string; objects: string[]; kind: Cite | "cites" | "cron" }[] = [];
  const unread: string[] = [];
  tokens.forEach((tok, i) => {
    if (!isVersion(tok.text)) return;
    const before = path.slice(i > 0 ? tokens[i - 1].end : 0, tok.start).replace(/\s+/g, " ");
    const after = path.slice(tok.end, tok.end + 12);
    const kind: Cite | "cites" = /newest\s*$/.test(before)
      ? "newest"
      : /^\s*,\s*newest/.test(after)
      ? "created"
      : /\b(?:from|since|of)\s*$/.test(before)
      ? "history"
      : /\bboth\s*$/.test(before)
      ? "both"
      : "cites";
    const objects: string[] = [];
    for (let j = i - 1; j >= 0 && j >= i - 8; j--) {
      const t = tokens[j].text;
      if (isVersion(t)) {
        if (kind === "newest" || kind === "history") continue; // "`v1`, newest `v2`", "(`v1`; … of `v2`"
        break;
      }
      if (cron(t) && objects.length === 0) {
        out.push({ version: tok.text, objects: [t], kind: "cron" });
        return;
      }
      if (!known(t)) continue; // a file, a column, a parameter
      objects.push(sqlName(t));
      const joined = path.slice(j > 0 ? tokens[j - 1].end : 0, tokens[j].start);
      const pair = kind === "both" && objects.length < 2;
      if (!pair && !/^\s*\/\s*$/.test(joined)) break; // "`a` / `b` (`v`)": a too
    }
    if (objects.length === 0) unread.push(`${tok.text} (after "…${before.slice(-40)}")`);
    else out.push({ version: tok.text, objects, kind });
  });
  // A schema-qualified name no migration creates is a typo (or a dropped object).
  for (const t of tokens) {
    if (/^(?:public|private)\.[a-z_]/.test(t.text) && !known(t.text)) {
      unread.push(`unknown object ${t.text}`);
    }
  }
  return { citations: out, unread };
}

Deno.test("a README's data path names each SQL object's newest definition", () => {
  let checked = 0;
  const stale: string[] = [];
  for (const fn of functionFolders) {
    const readme = Deno.readTextFileSync(new URL(`${fn}/README.md`, FUNCTIONS));
    const { citations, unread } = dataPathCitations(
      readme.slice(readme.lastIndexOf("## Data path")),
    );
    stale.push(...unread.map((u) => `${fn}/README.md: cannot read ${u}`));
    for (const { version, objects, kind } of citations) {
      checked++;
      const text = migrations.find(([v]) => v === version)?.[1];
      if (!text) {
        stale.push(`${fn}/README.md: ${version} is no migration`);
        continue;
      }
      for (const name of objects) {
        const defs = definitions(name);
        const newest = defs.at(-1);
        const ok = kind === "cron"
          ? text.includes("cron.schedule") && text.includes(`'${name}'`)
          : kind === "created"
          ? defs.includes(version)
          : kind === "history"
          ? text.includes(name.replace(/^(public|private)\./, ""))
          : newest === version;
        if (!ok) {
          stale.push(`${fn}/README.md: ${name} cites ${version} (${kind}), newest ${newest}`);
        }
      }
    }
  }
  assert.deepEqual(stale, []);
  assert.ok(checked >= 40, `only ${checked} citations read: the parser no longer matches`);
});
