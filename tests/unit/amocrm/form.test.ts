import assert from "node:assert/strict";
import {
  buildForm,
  type FormObject,
  type FormValue,
  parseForm,
} from "../../../supabase/functions/_shared/amocrm/form.ts";

/** Parses and asserts success. */
function ok(body: string): FormObject {
  const res = parseForm(body);
  assert.ok(res.ok, `expected ok, got ${JSON.stringify(res)}`);
  return res.value;
}

/** A JSON copy (plain prototypes) for readable deep comparisons. */
function plain(v: FormValue): unknown {
  return JSON.parse(JSON.stringify(v));
}

Deno.test("parseForm() nests PHP bracket keys 8 levels deep into arrays and objects", () => {
  const v = ok(
    "leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=x" +
      "&leads%5Bstatus%5D%5B0%5D%5Bid%5D=7",
  );
  assert.deepEqual(plain(v), {
    leads: { status: [{ custom_fields: [{ values: [{ value: "x" }] }], id: "7" }] },
  });
});

Deno.test("parseForm() reads unencoded brackets the same as %5B/%5D", () => {
  assert.deepEqual(plain(ok("a[b][0]=1&a[b][1]=2")), { a: { b: ["1", "2"] } });
});

Deno.test("parseForm() decodes + as space and %2B as plus, keeps Cyrillic and control chars", () => {
  const v = ok("t=a+b%2Bc&r=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%0A%09%E2%9C%93");
  assert.equal(v.t, "a b+c");
  assert.equal(v.r, "Привет\n\t✓");
});

Deno.test("parseForm() orders numeric indices numerically (10 after 9) and compacts gaps", () => {
  const body = [10, 2, 9, 0].map((i) => `a[${i}]=v${i}`).join("&");
  assert.deepEqual(plain(ok(body)), { a: ["v0", "v2", "v9", "v10"] });
});

Deno.test("parseForm() turns a huge index into one slot, not a huge sparse array", () => {
  const t0 = performance.now();
  const v = ok("a[99999999999]=x&a[3]=y&a[123456789012345678901234567890]=z");
  assert.ok(performance.now() - t0 < 50);
  assert.deepEqual(plain(v), { a: ["y", "x", "z"] });
  assert.equal((v.a as FormValue[]).length, 3);
});

Deno.test("parseForm() keeps odd indices (01, -1, 1.5) as object keys", () => {
  const v = ok("a[01]=x&a[-1]=y&a[1.5]=z");
  assert.ok(!Array.isArray(v.a));
  assert.deepEqual(plain(v), { a: { "01": "x", "-1": "y", "1.5": "z" } });
});

Deno.test("parseForm() appends a[]= at the next index", () => {
  assert.deepEqual(plain(ok("a[]=x&a[]=y&a[5]=z&a[]=w")), { a: ["x", "y", "z", "w"] });
});

Deno.test("parseForm() lets the last repeated key win, as PHP does", () => {
  assert.deepEqual(plain(ok("a=1&a=2&b=1&b[c]=2")), { a: "2", b: { c: "2" } });
  assert.deepEqual(plain(ok("b[c]=2&b=1")), { b: "1" });
});

Deno.test("parseForm() skips empty pairs and empty keys, and reads a key without = as ''", () => {
  assert.deepEqual(plain(ok("&&a=1&&=x&flag&")), { a: "1", flag: "" });
  assert.deepEqual(plain(ok("")), {});
});

Deno.test("parseForm() keeps a key that is not base[seg]… as one literal key", () => {
  assert.deepEqual(plain(ok("a[b=1&[x]=2&a]b=3&a[b]c=4")), {
    "a[b": "1",
    "[x]": "2",
    "a]b": "3",
    "a[b]c": "4",
  });
});

Deno.test("parseForm() makes __proto__, constructor and prototype keys harmless data", () => {
  const v = ok(
    "__proto__[polluted]=1&a[__proto__][polluted]=1&constructor[prototype][polluted]=1" +
      "&b[constructor]=c&prototype=p&a[0]=x",
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(v), null);
  assert.equal(Object.getPrototypeOf(v.b), null);
  assert.ok(Object.hasOwn(v, "__proto__"));
  assert.deepEqual(plain(v.__proto__), { polluted: "1" });
  assert.deepEqual(plain(v["constructor"] as FormValue), { prototype: { polluted: "1" } });
  assert.equal((v.b as FormObject).constructor, "c");
  assert.equal(v.prototype, "p");
  assert.deepEqual(Object.keys(v.a), ["0", "__proto__"]); // mixed keys stay an object
});

Deno.test("parseForm() answers malformed percent-encoding with a typed error, never a URIError", () => {
  for (const bad of ["a=%", "a=%Z1", "a%=1", "a=%E0%A4%A", "a=%C3%28", "a=%ED%A0%80", "%5Bx=1"]) {
    const res = parseForm(bad);
    if (bad === "%5Bx=1") {
      assert.ok(res.ok); // "[x" is a fine literal key
      continue;
    }
    assert.equal(res.ok, false, bad);
    assert.equal(!res.ok && res.error.code, "malformed_encoding", bad);
  }
});

Deno.test("parseForm() rejects keys nested deeper than the depth limit", () => {
  const deep = "a" + "[x]".repeat(15);
  assert.ok(parseForm(`${deep}=1`).ok); // 16 levels: the default limit
  const res = parseForm(`${deep}[y]=1`);
  assert.equal(!res.ok && res.error.code, "too_deep");
  assert.equal(parseForm("a[b][c]=1", { maxDepth: 2 }).ok, false);
});

Deno.test("parseForm() rejects more pairs than the key-count limit", () => {
  const body = Array.from({ length: 20_001 }, (_, i) => `k${i}=1`).join("&");
  const res = parseForm(body);
  assert.equal(!res.ok && res.error.code, "too_many_keys");
  assert.ok(parseForm("a=1&b=2", { maxKeys: 2 }).ok);
  assert.equal(parseForm("a=1&b=2&c=3", { maxKeys: 2 }).ok, false);
});

Deno.test("buildForm() encodes nested objects the way AmoCRM does", () => {
  assert.equal(
    buildForm({ leads: { status: [{ id: 1, name: "Сделка + 1 & co" }] }, skip: null }),
    "leads%5Bstatus%5D%5B0%5D%5Bid%5D=1" +
      "&leads%5Bstatus%5D%5B0%5D%5Bname%5D=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0+%2B+1+%26+co",
  );
  assert.equal(buildForm({ a: [], b: {}, c: true, d: 10n }), "c=true&d=10");
});

Deno.test("buildForm() survives lone surrogates and refuses cyclic input", () => {
  assert.equal(buildForm({ a: "x\uD800y" }), "a=x%EF%BF%BDy");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => buildForm(cyclic as never), TypeError);
});

Deno.test("parseForm(buildForm(x)) gives back x for a webhook-shaped object", () => {
  const obj = (o: Record<string, FormValue>) => Object.assign(Object.create(null), o) as FormObject;
  const x = obj({
    leads: obj({
      add: [obj({
        id: "1",
        name: "a+b & c=d %25 \n\t«ё»",
        custom_fields: [obj({ id: "5", values: [obj({ value: "" }), "1700000000"] })],
      })],
    }),
    account: obj({ _links: obj({ self: "https://x.amocrm.ru" }) }),
  });
  assert.deepStrictEqual(ok(buildForm(x)), x);
});
