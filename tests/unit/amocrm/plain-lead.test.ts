/**
 * `plainLead` (the webhook's lead items without zod's object parse) answers exactly as
 * `RawLeadSchema` does, or not at all (then the schema parses the item). Compared on the fixtures'
 * lead items with every field and custom-field part set to values on either side of its rule.
 */
import assert from "node:assert/strict";
import {
  type FormObject,
  type FormValue,
  LEAD_FIELDS,
  parseForm,
  plainLead,
  RawLeadSchema,
} from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { fixture, FIXTURES } from "./fixtures.ts";

/** A null-prototype object, as parseForm builds them. */
function node(entries: Record<string, FormValue>): FormObject {
  return Object.assign(Object.create(null), entries);
}

const VALUES: (FormValue | undefined)[] = [
  undefined,
  "",
  " ",
  "0",
  "007",
  " 12 ",
  "\t5\n",
  "\u00a05",
  "-1",
  "1.5",
  "1.",
  ".5",
  "0.1234567890",
  "1.12345678901",
  "abc",
  "1e3",
  "١٢",
  "１２",
  "9223372036854775807",
  "09223372036854775807",
  "9223372036854775808",
  "99999999999",
  "999999999999",
  "1".repeat(30),
  "1".repeat(31),
  "x".repeat(10_000),
  "x".repeat(10_001),
  "Челлендж 3D",
  node({ a: "1" }),
  node({}),
  ["1"],
  [],
];

/** Every key of the schema's lead object: what the mutations below cover (review R10 M1). */
const LEAD_KEYS = Object.keys(RawLeadSchema.in.shape);

/** A valid value of each kind of field (`LEAD_FIELDS`), for an item carrying every key. */
const VALID: Record<string, FormValue> = {
  requiredId: "0012",
  id: " 34 ",
  time: "1718000000",
  decimal: "10.50",
  text: " Заявка ",
  customFields: [
    node({ id: "971001", name: "utm_source", code: "UTM_SOURCE", values: ["facebook"] }),
    node({ id: "972001", values: node({ "3": node({ value: "Челлендж", enum: "15" }) }) }),
  ],
};

/** Every lead item of every fixture. */
function fixtureItems(): FormObject[] {
  const items: FormObject[] = [];
  for (const name of FIXTURES) {
    const form = parseForm(fixture(name));
    assert.ok(form.ok);
    const leads = form.value.leads;
    if (typeof leads !== "object" || Array.isArray(leads)) continue;
    for (const actionItems of Object.values(leads)) {
      const list = typeof actionItems === "string" ? [] : Object.values(actionItems);
      for (const item of list) {
        if (typeof item === "object" && !Array.isArray(item)) items.push(item);
      }
    }
  }
  return items;
}

/** `item` with `key` set to `value` (deleted for undefined): a shallow copy. */
function withField(item: FormObject, key: string, value: FormValue | undefined): FormObject {
  const copy = node({ ...item });
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

/** Variants of the item's custom fields: each part of the first field set to every value. */
function customFieldVariants(item: FormObject): FormObject[] {
  const fields = item.custom_fields;
  if (!Array.isArray(fields) || fields.length === 0) return [];
  const first = fields[0] as FormObject;
  const out: FormObject[] = [];
  const withFirst = (f: FormValue) => withField(item, "custom_fields", [f, ...fields.slice(1)]);
  for (const key of ["id", "name", "code", "values"]) {
    for (const v of VALUES) out.push(withFirst(withField(first, key, v)));
  }
  for (const v of VALUES) {
    out.push(
      withFirst(withField(first, "values", [v as FormValue].filter((x) => x !== undefined))),
    );
    out.push(withFirst(withField(first, "values", [node({ value: v ?? "", enum: "15" })])));
    out.push(withFirst(withField(first, "values", node({ "0": node({ enum: v ?? "" }) }))));
    out.push(withFirst(withField(first, "values", [node(v === undefined ? {} : { value: v })])));
  }
  // The list as an object with odd keys, and as a bare string.
  out.push(withField(item, "custom_fields", node({ "5": first, "x": first })));
  out.push(withField(item, "custom_fields", "text"));
  return out;
}

Deno.test("plainLead answers as RawLeadSchema, or leaves the item to it", () => {
  const items = fixtureItems();
  assert.ok(items.length >= 9, `fixture lead items: ${items.length}`);
  const cases: FormValue[] = [...items, "a string", ["an", "array"]];
  for (const item of items) {
    for (const key of LEAD_KEYS) for (const v of VALUES) cases.push(withField(item, key, v));
    cases.push(...customFieldVariants(item));
  }
  let plain = 0, schemaOnly = 0;
  for (const item of cases) {
    const schema = RawLeadSchema.safeParse(item);
    const got = plainLead(item);
    if (got === undefined) {
      schemaOnly++;
      continue;
    }
    plain++;
    assert.ok(
      schema.success,
      `plainLead accepted what the schema refuses: ${JSON.stringify(item)}`,
    );
    assert.deepStrictEqual(got, schema.data);
    assert.equal(JSON.stringify(got), JSON.stringify(schema.data), "same keys in the same order");
  }
  // Both paths are exercised: most valid items plainly, the refused ones by the schema.
  assert.ok(plain > 1000 && schemaOnly > 500, `plain ${plain}, schema only ${schemaOnly}`);
});

Deno.test("plainLead takes every valid fixture lead item", () => {
  for (const item of fixtureItems()) {
    const schema = RawLeadSchema.safeParse(item);
    if (!schema.success) continue;
    assert.deepStrictEqual(plainLead(item), schema.data, JSON.stringify(item));
  }
});

Deno.test("plainLead reads every key of the schema's lead object, as the schema does", () => {
  // The schema and the plain path are built from one table (LEAD_FIELDS): a key added to it is
  // read by both. An item carrying every key, each with a valid value of its kind:
  assert.deepEqual(LEAD_KEYS, Object.keys(LEAD_FIELDS));
  const item = node(Object.fromEntries(
    Object.entries(LEAD_FIELDS).map(([key, kind]) => [key, VALID[kind]]),
  ));
  const schema = RawLeadSchema.safeParse(item);
  assert.ok(schema.success);
  const got = plainLead(item);
  assert.ok(got !== undefined, "taken plainly");
  assert.deepStrictEqual(got, schema.data);
  assert.equal(JSON.stringify(got), JSON.stringify(schema.data));
});
