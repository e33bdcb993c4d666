/**
 * The Traffic Dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core)
 * against the local stack: the page served by the gateway at /dashboard/, talking to traffic-api
 * with real JWTs. Every number the page shows is compared with what the API answers for the same
 * user; RLS, not the page, decides who sees what.
 */
import assert from "node:assert/strict";
import { type BrowserContext, chromium, type Page } from "./deps.ts";
import { CHROMIUM_ARGS } from "./chromium.ts";
import { withEvaluatorHeld } from "../helpers/alerts.ts";
import { pauseScheduledRuns } from "../helpers/cron.ts";
import { createUser, db, stackEnv } from "../helpers/stack.ts";
import { signedInLink } from "../../scripts/demo/dashboard-link.ts";
import { userJwt } from "../../scripts/lib/jwt.ts";
import { type DashboardSeed, seedDashboard } from "./seed.ts";
import { formatKzt, formatRoas, formatUsd } from "../../dashboard/src/format.js";
import { addDays } from "../../supabase/functions/_shared/dates.ts";

const sql = db();
let seed: DashboardSeed;
let ctx: BrowserContext;
let page: Page;
let profile: string;
let resumeFbSync: (() => Promise<void>) | undefined;
const pageErrors: string[] = [];

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name: `dashboard: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });

// deno-lint-ignore no-explicit-any
type Json = any;

async function api(path: string, jwt: string): Promise<Json> {
  const env = stackEnv();
  const res = await fetch(`${env.SUPABASE_URL}/functions/v1/traffic-api${path}`, {
    headers: { apikey: env.SUPABASE_ANON_KEY, authorization: `Bearer ${jwt}` },
  });
  const body = await res.json();
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
  return body;
}

async function link(user: { id: string; email: string }, admin = false) {
  return await signedInLink(stackEnv(), { ...user, admin });
}

/** Opens `url` with a clean tab state and waits until the page has loaded its data. */
async function open(url: string) {
  await page.goto("about:blank");
  await page.goto(url);
  await settled();
}

async function settled() {
  await page.waitForSelector('body[data-loading="false"]', { timeout: 10_000 });
}

/** The metrics table as { team → { column → exact value } } plus each cell's text. */
async function metricsTable() {
  return await page.$$eval("#metrics-table tbody tr", (trs) =>
    trs.map((tr) => ({
      userId: tr.getAttribute("data-user-id"),
      cells: Object.fromEntries(
        [...tr.querySelectorAll("[data-key]")].map((c) => [
          c.getAttribute("data-key"),
          {
            value: c.getAttribute("data-value"),
            text: c.querySelector(".v, button")?.textContent,
            change: c.querySelector(".chg")?.textContent,
            previous: c.querySelector(".chg")?.getAttribute("data-previous"),
          },
        ]),
      ),
    })));
}

test("setup: seed the stack and start Chromium", async () => {
  // The hourly fb-ads-sync (:05) would open runs of its own for the seeded teams, newer than the
  // seeded failed and successful ones the freshness test reads: it waits until the teardown.
  resumeFbSync = await pauseScheduledRuns(sql, "fb-ads-sync", "facebook_ads");
  seed = await seedDashboard(sql);
  profile = await Deno.makeTempDir({ prefix: "dashboard-chromium-" });
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  page = ctx.pages()[0] ?? await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(10_000);
});

test("the gateway serves the page at /dashboard/ (and nothing outside its folder)", async () => {
  const base = stackEnv().SUPABASE_URL;
  const html = await fetch(`${base}/dashboard/`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(await html.text(), /<script type="module" src="src\/app.js">/);
  const js = await fetch(`${base}/dashboard/src/app.js`);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  await js.body?.cancel();
  const redirect = await fetch(`${base}/dashboard`, { redirect: "manual" });
  assert.equal(redirect.status, 308);
  await redirect.body?.cancel();
  for (const bad of ["/dashboard/../deno.json", "/dashboard/%2e%2e/deno.json", "/dashboard/.env"]) {
    const res = await fetch(`${base}${bad}`);
    assert.notEqual(res.status, 200, bad);
    await res.body?.cancel();
  }
});

test("a local link signs the page in and says it is a local session", async () => {
  await open(await link(seed.admin, true));
  const note = await page.textContent("#session-note");
  assert.match(note ?? "", /Локальная сессия/);
  assert.ok(!page.url().includes("local_access_token"), "the token left the address bar");
  assert.match((await page.textContent("#who-text")) ?? "", new RegExp(seed.admin.email));
  // Reload keeps the tab's session.
  await page.reload();
  await settled();
  assert.equal(await page.isVisible("#main"), true);
});

test("admin sees every team and the team total, with the API's numbers", async () => {
  await open(await link(seed.admin, true));
  const body = await api("/metrics?period=7d&compare=previous", seed.admin.jwt);
  const rows = await metricsTable();
  const ids = rows.map((r) => r.userId);
  assert.ok(ids.includes(seed.a.id) && ids.includes(seed.b.id), String(ids));
  assert.equal(ids.at(-1), "total", "the team total comes last");
  assert.equal(rows.length, body.data.length, "one row per row of the API");
  for (const row of body.data.filter((r: Json) => r.period === "7d")) {
    const shown = rows.find((r) => r.userId === (row.user_id ?? "total"))!;
    assert.equal(shown.cells.spend_usd.value, row.spend_usd);
    assert.equal(shown.cells.spend_usd.text, formatUsd(row.spend_usd, "ru"));
    assert.equal(shown.cells.spend_kzt.text, formatKzt(row.spend_kzt, "ru"));
    assert.equal(shown.cells.total_revenue.text, formatKzt(row.total_revenue, "ru"));
    assert.equal(shown.cells.roas.text, formatRoas(row.roas, "ru"));
    assert.equal(Number(shown.cells.leads.value), row.leads);
    const prev = body.previous[0].data.find((p: Json) => p.user_id === row.user_id);
    assert.equal(shown.cells.spend_usd.previous, prev?.spend_usd ?? "");
  }
  const text = (await page.textContent("#metrics-table")) ?? "";
  assert.ok(text.includes(seed.a.team) && text.includes(seed.b.team));
  assert.ok(text.includes("Итого по команде"));
  // The admin may narrow the charts and campaigns to one targetologist.
  assert.equal(await page.isVisible("#target"), true);
});

test("the page asks traffic-api as a browser does: Accept-Encoding names deflate; a kept answer of 1 kB or more comes deflate-encoded, the same numbers", async () => {
  // The browser's own cache would answer a repeat (max-age=60) without asking: emptied first.
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.clearBrowserCache");
  await cdp.detach();
  await page.goto("about:blank");
  const metrics = (r: { url(): string; status(): number }) =>
    /\/functions\/v1\/traffic-api\/metrics\?/.test(r.url()) && r.status() === 200;
  const [res] = await Promise.all([
    page.waitForResponse(metrics),
    page.goto(await link(seed.admin, true)),
  ]);
  await settled();
  const sent = await res.request().allHeaders();
  // What Chromium sends (recorded for bench/traffic-api.ts, which asks the same way).
  console.log(`Chromium's Accept-Encoding to traffic-api: "${sent["accept-encoding"]}"`);
  assert.match(sent["accept-encoding"] ?? "", /(^|,)\s*deflate\s*(,|;|$)/);
  const got = await res.allHeaders();
  const text = (await res.body()).toString("utf8"); // as the page read it: inflated
  assert.ok(text.length >= 1024, `the admin's /metrics is ${text.length} characters`);
  assert.equal(got["content-encoding"], "deflate");
  assert.match(got["vary"] ?? "", /Accept-Encoding/);
  // The same answer as a client that asks for no encoding, byte for byte once inflated.
  const u = new URL(res.url());
  const plain = await fetch(res.url(), {
    headers: {
      apikey: stackEnv().SUPABASE_ANON_KEY,
      authorization: sent["authorization"],
      "accept-encoding": "identity",
    },
  });
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(await plain.text(), text, u.search);
});

test("admin over many teams: the table pages 50 teams at a time, the team total on each page", async () => {
  // 55 more targetologists with stored 7d rows: more teams than one page holds.
  const extra = Array.from({ length: 55 }, () => crypto.randomUUID());
  await sql`insert into auth.users (id, email)
    select id, 'pager-' || id || '@example.test' from unnest(${extra}::uuid[]) as id`;
  await sql`insert into public.traffic_targetologist_settings (user_id, team_name)
    select id, 'Я pager ' || id from unnest(${extra}::uuid[]) as id`;
  await sql`insert into public.traffic_aggregated_metrics
      (user_id, team_name, period, period_start, period_end, spend_usd)
    select id, 'Я pager ' || id, '7d', ${addDays(seed.today, -6)}, ${seed.today}, 1.005
    from unnest(${extra}::uuid[]) as id`;
  // An admin of its own: the page of the admin test before was answered with
  // `Cache-Control: private, max-age=60`, and the browser may reuse it for the same token and URL
  // for a minute (as documented) — the same admin could be shown the teams before this insert.
  const admin = await createUser(sql, {
    admin: true,
    email: `pager-admin-${extra[0]}@example.test`,
  });
  try {
    await open(await link(admin, true));
    const first = await api("/metrics?period=7d&limit=50", admin.jwt);
    assert.ok(first.teams_total >= 57, `${first.teams_total} teams`);
    assert.equal(first.next_offset, 50);
    assert.equal(await page.isVisible("#metrics-pager"), true);
    assert.equal(
      await page.textContent("#teams-page"),
      `Команды 1–50 из ${first.teams_total}`,
    );
    const ids = (await metricsTable()).map((r) => r.userId);
    assert.deepEqual(
      [...ids].sort(),
      first.data.map((r: Json) => r.user_id ?? "total").sort(),
      "the first page is the API's first page",
    );
    assert.equal(ids.length, 51, "50 teams and the team total");
    assert.equal(ids.at(-1), "total");
    assert.equal(await page.isDisabled("#teams-prev"), true);
    await page.click("#teams-next");
    await settled();
    const second = await api("/metrics?period=7d&limit=50&offset=50", admin.jwt);
    const next = (await metricsTable()).map((r) => r.userId);
    assert.deepEqual(
      [...next].sort(),
      second.data.map((r: Json) => r.user_id ?? "total").sort(),
      "the second page is the API's second page",
    );
    assert.equal(next.at(-1), "total", "the team total on every page");
    assert.ok(!next.some((id) => id !== "total" && ids.includes(id)), "no team on both pages");
    assert.equal(
      await page.textContent("#teams-page"),
      `Команды 51–${first.teams_total} из ${first.teams_total}`,
    );
    await page.click("#teams-prev");
    await settled();
    assert.equal(await page.isDisabled("#teams-prev"), true);
  } finally {
    await sql`delete from public.traffic_aggregated_metrics where user_id = any(${extra}::uuid[])`;
    await sql`delete from public.traffic_targetologist_settings
      where user_id = any(${extra}::uuid[])`;
    await sql`delete from auth.users where id = any(${extra}::uuid[]) or id = ${admin.id}`;
  }
});

test("a targetologist sees only their own numbers (RLS decides, not the page)", async () => {
  await open(await link(seed.b));
  const rows = await metricsTable();
  assert.deepEqual(rows.map((r) => r.userId), [seed.b.id]);
  const html = await page.content();
  for (const secret of [seed.a.id, seed.a.team, seed.a.campaigns[0].name]) {
    assert.ok(!html.includes(secret), `B's page shows A's ${secret}`);
  }
  assert.equal(await page.isVisible("#target"), false);
  const campaigns = await page.$$eval(
    "#campaigns-table tbody tr",
    (trs) => trs.map((tr) => tr.getAttribute("data-id")),
  );
  assert.deepEqual(campaigns, [seed.b.campaigns[0].id]);
});

test("the period switch changes the numbers to the API's (today, 30d, custom)", async () => {
  await open(await link(seed.a));
  const before = (await metricsTable())[0].cells.spend_usd.value;
  for (const period of ["30d", "today"]) {
    await page.click(`input[name="period"][value="${period}"]`);
    await settled();
    const body = await api(`/metrics?period=${period}&compare=previous`, seed.a.jwt);
    const [row] = body.data;
    const [shown] = await metricsTable();
    assert.equal(shown.cells.spend_usd.value, row.spend_usd, period);
    assert.equal(shown.cells.leads.value, String(row.leads), period);
    assert.equal(shown.cells.total_revenue.value, row.total_revenue, period);
    assert.equal(shown.cells.spend_usd.previous, body.previous[0].data[0].spend_usd, period);
    const card = await page.textContent('[data-metric="spend_usd"] .value');
    assert.equal(card, formatUsd(row.spend_usd, "ru"));
  }
  assert.notEqual((await metricsTable())[0].cells.spend_usd.value, before);
  // A custom range: /metrics/range with the previous equal period.
  await page.click('input[name="period"][value="custom"]');
  const from = addDaysLocal(seed.today, -13);
  await page.fill("#custom-from", from);
  await page.fill("#custom-to", seed.today);
  await page.click('#custom-range button[type="submit"]');
  await settled();
  const range = await api(
    `/metrics/range?from=${from}&to=${seed.today}&compare=previous`,
    seed.a.jwt,
  );
  const [shown] = await metricsTable();
  assert.equal(shown.cells.spend_usd.value, range.data[0].spend_usd);
  assert.equal(shown.cells.spend_usd.previous, range.previous.data[0].spend_usd);
  // The daily charts cover the same days.
  assert.equal(await page.locator("#charts figure").count(), 4);
});

function addDaysLocal(day: string, n: number) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

test("drill-down: campaign → ad set → ad, ROAS per row as the API's, sortable", async () => {
  await open(await link(seed.a));
  await page.click('input[name="period"][value="30d"]');
  await settled();
  const campaign = seed.a.campaigns[0];
  const ids = async () =>
    await page.$$eval(
      "#campaigns-table tbody tr",
      (trs) => trs.map((tr) => tr.getAttribute("data-id")),
    );
  assert.deepEqual(new Set(await ids()), new Set(seed.a.campaigns.map((c) => c.id)));
  await page.click(`#campaigns-table tr[data-id="${campaign.id}"] button.drill`);
  await settled();
  assert.equal(await page.getAttribute("#campaigns-table", "data-level"), "adset");
  assert.deepEqual(new Set(await ids()), new Set(campaign.adsets.map((s) => s.id)));
  const adset = campaign.adsets[0];
  await page.click(`#campaigns-table tr[data-id="${adset.id}"] button.drill`);
  await settled();
  assert.equal(await page.getAttribute("#campaigns-table", "data-level"), "ad");
  assert.deepEqual(new Set(await ids()), new Set(adset.ads));
  const body = await api("/campaigns?period=30d&level=ad", seed.a.jwt);
  for (const ad of adset.ads) {
    const row = body.data.find((r: Json) => r.ad_id === ad);
    const roas = await page.textContent(
      `#campaigns-table tr[data-id="${ad}"] [data-key="roas"] .v`,
    );
    assert.equal(roas, formatRoas(row.roas, "ru"));
  }
  // Sort by ROAS: descending first, then ascending.
  await page.click('#campaigns-table th[data-key="roas"] button');
  const desc = await page.$$eval(
    '#campaigns-table tbody [data-key="roas"]',
    (cs) => cs.map((c) => Number(c.getAttribute("data-value"))),
  );
  assert.deepEqual(desc, [...desc].sort((x, y) => y - x));
  assert.equal(
    await page.getAttribute('#campaigns-table th[data-key="roas"]', "aria-sort"),
    "descending",
  );
  await page.click('#campaigns-table th[data-key="roas"] button');
  const asc = await page.$$eval(
    '#campaigns-table tbody [data-key="roas"]',
    (cs) => cs.map((c) => Number(c.getAttribute("data-value"))),
  );
  assert.deepEqual(asc, [...desc].reverse());
  // Back up through the breadcrumbs.
  await page.click("#crumbs button >> nth=0");
  await settled();
  assert.equal(await page.getAttribute("#campaigns-table", "data-level"), "campaign");
});

/** Minimal RFC 4180 parser for the test (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

test("CSV export equals the table (both tables), with the API's exact values", async () => {
  await open(await link(seed.admin, true));
  for (const id of ["metrics-table", "campaigns-table"]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`button[data-csv="${id}"]`),
    ]);
    const text = await Deno.readTextFile((await download.path())!);
    assert.equal(text.charCodeAt(0), 0xfeff, "a BOM for spreadsheet apps");
    const csv = parseCsv(text.slice(1));
    const head = await page.$$eval(`#${id} thead th`, (ths) => ths.map((th) => th.textContent));
    const cells = await page.$$eval(
      `#${id} tbody tr`,
      (trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll("[data-key]")].map((c) => c.getAttribute("data-value"))
        ),
    );
    assert.deepEqual(csv, [head, ...cells], id);
    assert.ok(csv.length > 2, `${id} has rows`);
  }
  // The campaign CSV's spend column is the API's exact decimal, not the rounded display.
  const body = await api(`/campaigns?period=7d`, seed.admin.jwt);
  const mine = body.data.find((r: Json) => r.campaign_id === seed.a.campaigns[0].id);
  const value = await page.getAttribute(
    `#campaigns-table tr[data-id="${seed.a.campaigns[0].id}"] [data-key="spend_usd"]`,
    "data-value",
  );
  assert.equal(value, mine.spend_usd);
});

test("freshness: a failed sync and an expiring token are clear warnings", async () => {
  await open(await link(seed.a));
  const warnings = await page.$$eval(
    "#warnings li",
    (lis) => lis.map((li) => ({ kind: li.getAttribute("data-kind"), text: li.textContent })),
  );
  const failed = warnings.find((w) => w.kind === "failed");
  // On a failure, what the page said and what A's latest runs are (a flake seen once under load).
  const why = async () =>
    JSON.stringify({
      warnings,
      status: await page.textContent("#status"),
      runs: await sql`select sync_type, started_at, success, error_message, triggered_by
        from public.traffic_latest_sync_runs(${seed.a.id}::uuid)`,
    });
  if (!failed?.text?.includes(seed.failure)) assert.fail(await why());
  assert.ok(warnings.some((w) => w.kind === "token" && /истекает/.test(w.text ?? "")));
  assert.equal(await page.getAttribute("#warnings-box", "role"), "alert");
  // DASHBOARD_SCREENSHOTS=1: the README's picture of these warnings (docs/).
  if (Deno.env.get("DASHBOARD_SCREENSHOTS") === "1") {
    await page.locator("#freshness").screenshot({
      path: new URL("../../docs/dashboard-warnings.png", import.meta.url).pathname,
    });
  }
  assert.equal(
    await page.textContent('#sources tr:has-text("Facebook Ads") [data-key="state"] .v'),
    "ошибка",
  );
  // B's last Facebook sync succeeded 20 minutes ago and the token has 50 days: no warning.
  await open(await link(seed.b));
  const bWarnings = await page.$$eval(
    "#warnings li.warn",
    (lis) => lis.map((li) => li.textContent),
  );
  assert.deepEqual(bWarnings, []);
  assert.match((await page.textContent("#warnings")) ?? "", /свежие/);
});

test("open alerts: a targetologist sees their own team's, not another's", async () => {
  // The traffic-alerts cron job would resolve these made-up alerts: it waits meanwhile.
  await withEvaluatorHeld(() => openAlertsShown());
});

async function openAlertsShown() {
  const tag = crypto.randomUUID().slice(0, 8);
  await sql`insert into public.traffic_alerts
    (rule_key, subject_key, user_id, team_name, severity, figure, message)
    values ('spend_no_leads', ${"campaign:" + tag}, ${seed.a.id}, 'A', 'warning', 80,
              ${"Team A: campaign spent $80.00 with 0 CRM leads. Fix: check " + tag}),
           ('fb_token', ${"user:" + tag}, ${seed.b.id}, 'B', 'critical', null,
              ${"Team B: the Facebook token was rejected " + tag})`;
  try {
    await open(await link(seed.a));
    const shown = await page.$$eval("#alerts li", (lis) => lis.map((li) => li.textContent ?? ""));
    assert.ok(shown.some((t) => t.includes(`Fix: check ${tag}`)), JSON.stringify(shown));
    assert.ok(!shown.some((t) => t.includes(`rejected ${tag}`)), "not another team's alert");
    assert.equal(await page.isVisible("#alerts-box"), true);
  } finally {
    await sql`delete from public.traffic_alerts where subject_key in
      (${"campaign:" + tag}, ${"user:" + tag})`;
  }
}

test("English labels; numbers keep the Kazakh format (₸ thin-space thousands, ROAS ×)", async () => {
  await open(await link(seed.a));
  await page.selectOption("#lang", "en");
  assert.equal(await page.textContent("#metrics-h"), "Metrics per targetologist");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  const kzt = (await page.textContent('[data-metric="spend_kzt"] .value')) ?? "";
  assert.match(kzt, /^\d{1,3}(\u202f\d{3})*\u202f₸$/);
  const roas = (await page.textContent('[data-metric="roas"] .value')) ?? "";
  assert.match(roas, /^(\d+\.\d{2}×|—)$/);
  await page.selectOption("#lang", "ru");
});

test("hosted sign-in through supabase-js: password and magic link (Auth answered by a fake)", async () => {
  const env = stackEnv();
  const b = seed.b;
  const calls: { url: string; body: Json; apikey: string | null }[] = [];
  // The local stack has no GoTrue: answer Supabase Auth's two endpoints the page calls.
  await page.route("**/auth/v1/**", async (route) => {
    const req = route.request();
    calls.push({ url: req.url(), body: req.postDataJSON(), apikey: req.headers()["apikey"] });
    if (req.url().includes("/token?grant_type=password")) {
      const token = await userJwt(env.SUPABASE_JWT_SECRET, { id: b.id, email: b.email });
      const user = {
        id: b.id,
        aud: "authenticated",
        role: "authenticated",
        email: b.email,
        app_metadata: { provider: "email" },
        user_metadata: {},
        created_at: new Date().toISOString(),
      };
      return await route.fulfill({
        json: {
          access_token: token,
          token_type: "bearer",
          expires_in: 3600,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
          refresh_token: "fake-refresh-token",
          user,
        },
      });
    }
    if (req.url().includes("/otp")) return await route.fulfill({ json: {} });
    return await route.fulfill({ status: 404, json: { msg: "not faked" } });
  });
  try {
    await page.goto("about:blank");
    await page.goto(`${env.SUPABASE_URL}/dashboard/?anon_key=${env.SUPABASE_ANON_KEY}`);
    await page.evaluate(() => {
      localStorage.clear();
      sessionStorage.clear();
    });
    await page.reload();
    await page.waitForSelector("#signin:not([hidden])");
    assert.equal(await page.isVisible("#main"), false);
    // Magic link.
    await page.fill("#signin-email", b.email);
    await page.click("#signin-magic");
    await page.waitForSelector("#signin-message:not([hidden])");
    assert.match((await page.textContent("#signin-message")) ?? "", new RegExp(b.email));
    const otp = calls.find((c) => c.url.includes("/otp"));
    assert.equal(otp?.body.email, b.email);
    assert.equal(otp?.apikey, env.SUPABASE_ANON_KEY);
    // Email + password.
    await page.fill("#signin-password", "correct horse battery staple");
    await page.click("#signin-submit");
    await page.waitForSelector("#main:not([hidden])");
    await settled();
    const login = calls.find((c) => c.url.includes("grant_type=password"));
    assert.deepEqual([login?.body.email, login?.body.password], [
      b.email,
      "correct horse battery staple",
    ]);
    assert.deepEqual((await metricsTable()).map((r) => r.userId), [b.id]);
    assert.equal(await page.isVisible("#session-note"), false, "not a local session");
    await page.click("#sign-out");
    await page.waitForSelector("#signin:not([hidden])");
  } finally {
    await page.unroute("**/auth/v1/**");
  }
});

test("accessibility: axe-core finds no WCAG A/AA violations; the keyboard works", async () => {
  const axe = await Deno.readTextFile(
    new URL("../../node_modules/axe-core/axe.min.js", import.meta.url),
  );
  // deno-lint-ignore no-explicit-any
  const check = async (where: string): Promise<any[]> => {
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(async () =>
      // deno-lint-ignore no-explicit-any
      await (globalThis as any).axe.run((globalThis as any).document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      })
    );
    return result.violations.map((v: Json) => `${where}: ${v.id} (${v.nodes.length}) ${v.help}`);
  };
  const env = stackEnv();
  await page.goto(`${env.SUPABASE_URL}/dashboard/?anon_key=${env.SUPABASE_ANON_KEY}`);
  await page.waitForSelector("#signin:not([hidden])");
  const violations = await check("sign-in");
  await open(await link(seed.admin, true));
  violations.push(...await check("admin"));
  await page.setViewportSize({ width: 390, height: 844 });
  violations.push(...await check("phone"));
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(violations, []);
  // Keyboard: focus the period radios and move with the arrow keys; open a campaign with Enter.
  await page.focus('input[name="period"][value="7d"]');
  await page.keyboard.press("ArrowRight");
  await settled();
  assert.equal(await page.isChecked('input[name="period"][value="30d"]'), true);
  await page.focus("#campaigns-table tbody button.drill");
  await page.keyboard.press("Enter");
  await settled();
  assert.equal(await page.getAttribute("#campaigns-table", "data-level"), "adset");
  assert.deepEqual(pageErrors, [], "no script errors on the page");
});

test("teardown", async () => {
  await ctx?.close();
  if (profile) await Deno.remove(profile, { recursive: true }).catch(() => {});
  await seed?.cleanup();
  await resumeFbSync?.();
  await sql.end();
});
