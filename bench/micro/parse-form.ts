/**
 * `deno run -A bench/micro/parse-form.ts [rev]`: the webhook's form parser (`parseForm`,
 * `_shared/amocrm/form.ts`) as it is now against the one at git revision `rev` (default
 * f72a8d4^, the regular-expression parser before the one-pass rewrite), on the same bodies in the
 * same process. Not an HTTP benchmark and not run by `npm run bench`: it times one function, so
 * run it under the bench lock on a quiet machine and write the load average next to its figures.
 *
 * Bodies: 2,000 distinct ones shaped like bench/amocrm-webhook.ts's (one `leads[add]` deal with
 * its UTM custom fields, ~1.6 kB). Both parsers must give the same result for every body (checked
 * first). Then 7 rounds, alternating which parser goes first; each round parses every body 20
 * times with each. Prints the median µs per body of each and the median of the rounds' ratios.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { buildForm, parseForm } from "../../supabase/functions/_shared/amocrm/form.ts";

const rev = Deno.args[0] ?? "f72a8d4^";
const root = new URL("../../", import.meta.url).pathname;
const show = new Deno.Command("git", {
  args: ["-C", root, "show", `${rev}:supabase/functions/_shared/amocrm/form.ts`],
  stdout: "piped",
}).outputSync();
if (!show.success) throw new Error(`git show ${rev} failed`);
const oldFile = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeFile(oldFile, show.stdout);
const old = (await import(`file://${oldFile}`)).parseForm as typeof parseForm;

function body(i: number): string {
  const ts = String(1_718_000_000 + i);
  return buildForm({
    leads: {
      add: [{
        id: String(40_000_000 + i),
        name: `Заявка с сайта: Челлендж 3D #${i}`,
        status_id: "61234501",
        price: "0",
        responsible_user_id: "10455001",
        last_modified: ts,
        modified_user_id: "10455001",
        created_user_id: "0",
        date_create: ts,
        pipeline_id: "880123456",
        account_id: "31555001",
        custom_fields: [
          ...Object.entries({
            UTM_SOURCE: "facebook",
            UTM_MEDIUM: "cpc",
            UTM_CAMPAIGN: "challenge3d_december",
            UTM_CONTENT: String(120_000_000_000 + i),
          }).map(([code, value], k) => ({
            id: String(971001 + k),
            name: code.toLowerCase(),
            values: [{ value }],
            code,
          })),
          { id: "972001", name: "Продукт", values: [{ value: "Челлендж 3D", enum: "1500301" }] },
        ],
        created_at: "1718000000",
        updated_at: ts,
      }],
    },
    account: { subdomain: "kaspiacademy", id: "31555001" },
  });
}

const bodies = Array.from({ length: 2_000 }, (_, i) => body(i));
for (const b of bodies) assertEquals(parseForm(b), old(b));

const REPEAT = 20;
function usPerBody(parse: typeof parseForm): number {
  const t = performance.now();
  for (let r = 0; r < REPEAT; r++) for (const b of bodies) parse(b);
  return ((performance.now() - t) * 1000) / (REPEAT * bodies.length);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

usPerBody(parseForm), usPerBody(old); // warm-up (JIT)
const now: number[] = [], before: number[] = [], ratios: number[] = [];
for (let round = 0; round < 7; round++) {
  const [a, b] = round % 2 === 0
    ? [usPerBody(parseForm), usPerBody(old)]
    : ((o, n) => [n, o])(usPerBody(old), usPerBody(parseForm));
  now.push(a), before.push(b), ratios.push(b / a);
}
const bytes = Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length);
console.log(`bodies: ${bodies.length} distinct, ${bytes} chars on average; same results: yes`);
console.log(
  `parseForm now:   median ${median(now).toFixed(1)} µs a body (rounds ${
    now.map((x) => x.toFixed(1)).join(", ")
  })`,
);
console.log(
  `parseForm ${rev}: median ${median(before).toFixed(1)} µs a body (rounds ${
    before.map((x) => x.toFixed(1)).join(", ")
  })`,
);
console.log(`before ÷ now: ${median(ratios).toFixed(2)} (median of the rounds' ratios)`);
await Deno.remove(oldFile);
