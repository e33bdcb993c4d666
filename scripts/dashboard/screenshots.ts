/**
 * Screenshots of the dashboard's main views for the README (docs/dashboard-*.png), taken in
 * Debian's Chromium from the running local stack with the demo's data:
 *
 *   STACK_PORT=26800 npm run demo            # seeds the demo and leaves the stack running
 *   STACK_PORT=26800 npm run dashboard:screenshots
 *   STACK_PORT=26800 npm run stack:stop
 *
 * @module
 */
import { chromium } from "../../tests/browser/deps.ts";
import { CHROMIUM_ARGS } from "../../tests/browser/chromium.ts";
import { loadStackEnv } from "../lib/stack-env.ts";
import { signedInLink } from "../demo/dashboard-link.ts";
import { ADMIN, TEAMS } from "../demo/data.ts";

const env = loadStackEnv(["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_JWT_SECRET"]);
const out = new URL("../../docs/", import.meta.url);
const profile = await Deno.makeTempDir({ prefix: "dashboard-shots-" });
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1280, height: 900 },
  deviceScaleFactor: 1,
});
try {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const settled = () => page.waitForSelector('body[data-loading="false"]', { timeout: 20_000 });
  const shot = async (name: string, opts: { fullPage?: boolean } = {}) => {
    const path = new URL(name, out).pathname;
    await page.screenshot({ path, ...opts });
    console.log(`wrote ${path}`);
  };

  await page.goto(await signedInLink(env, { id: ADMIN.user_id, email: ADMIN.email, admin: true }));
  await settled();
  await shot("dashboard-admin.png", { fullPage: true });

  await page.click("#campaigns-table tbody button.drill");
  await settled();
  await page.click("#campaigns-table tbody button.drill");
  await settled();
  await page.locator("#campaigns-table").scrollIntoViewIfNeeded();
  const campaigns = page.locator("section:has(#campaigns-table)");
  await campaigns.screenshot({ path: new URL("dashboard-drilldown.png", out).pathname });
  console.log("wrote docs/dashboard-drilldown.png");

  await page.goto("about:blank");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(await signedInLink(env, { id: TEAMS[0].user_id, email: TEAMS[0].email }));
  await settled();
  await page.selectOption("#lang", "en");
  await shot("dashboard-phone-targetologist.png");
  // The summary cards and the start of the table, one phone screen further down.
  const box = await page.locator("section:has(#summary-h)").boundingBox();
  const path = new URL("dashboard-phone-summary.png", out).pathname;
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y: Math.max(0, (box?.y ?? 0) - 8), width: 390, height: 844 },
  });
  console.log(`wrote ${path}`);
} finally {
  await ctx.close();
  await Deno.remove(profile, { recursive: true }).catch(() => {});
}
