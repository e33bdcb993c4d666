/**
 * A tiny XML reader for small, trusted-shape feeds (the Edge Runtime has no DOMParser). It builds
 * a light element tree and tolerates what real feeds do: an XML declaration, comments, a DOCTYPE,
 * attributes, CDATA sections, entities, stray whitespace and unclosed or mismatched tags. It does
 * not validate, resolve namespaces or expand external entities (none are ever fetched).
 *
 * @example
 * ```ts
 * const root = parseXml("<rates><item><title>USD</title></item></rates>");
 * findAll(root, "item").map((i) => childText(i, "title")); // ["USD"]
 * ```
 *
 * @module
 */

/** An element: its lower-cased local name, attributes, children and direct text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text and CDATA directly inside this element, entities decoded, in document order. */
  text: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Decodes the five predefined entities and numeric character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X"
        ? parseInt(ref.slice(2), 16)
        : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[ref.toLowerCase()] ?? m;
  });
}

function localName(qname: string): string {
  const i = qname.indexOf(":");
  return (i >= 0 ? qname.slice(i + 1) : qname).toLowerCase();
}

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    out[localName(m[1])] = decodeEntities(m[2] ?? m[3] ?? "");
  }
  return out;
}

/**
 * Parses `xml` into a tree under a synthetic root named `#document`. Never throws: malformed
 * input yields whatever elements could be recognised.
 */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const top = () => stack[stack.length - 1];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      top().text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) top().text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt + 9);
      top().text += xml.slice(lt + 9, end < 0 ? xml.length : end);
      i = end < 0 ? xml.length : end + 3;
    } else if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt + 4);
      i = end < 0 ? xml.length : end + 3;
    } else if (xml.startsWith("<?", lt)) {
      const end = xml.indexOf("?>", lt + 2);
      i = end < 0 ? xml.length : end + 2;
    } else if (xml.startsWith("<!", lt)) {
      const end = xml.indexOf(">", lt + 2);
      i = end < 0 ? xml.length : end + 1;
    } else {
      const end = findTagEnd(xml, lt + 1);
      const body = xml.slice(lt + 1, end);
      i = end < 0 ? xml.length : end + 1;
      if (body.startsWith("/")) {
        const name = localName(body.slice(1).trim());
        const at = stack.map((e) => e.name).lastIndexOf(name);
        if (at > 0) stack.length = at; // closes `name` and anything left open inside it
      } else {
        const m = body.match(/^([^\s/>]+)([\s\S]*?)(\/?)\s*$/);
        if (!m) continue;
        const el: XmlElement = {
          name: localName(m[1]),
          attributes: parseAttributes(m[2]),
          children: [],
          text: "",
        };
        top().children.push(el);
        if (m[3] !== "/") stack.push(el);
      }
    }
  }
  return root;
}

/** The index of the `>` closing a tag that starts before `from`, skipping quoted values. */
function findTagEnd(xml: string, from: number): number {
  let quote: string | null = null;
  for (let j = from; j < xml.length; j++) {
    const c = xml[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j;
  }
  return -1;
}

/** Every descendant element named `name` (case-insensitive), depth-first, not nested in one another. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const want = name.toLowerCase();
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === want) out.push(c);
    else out.push(...findAll(c, want));
  }
  return out;
}

/** The trimmed text of the first direct child named `name`, or null when there is none. */
export function childText(el: XmlElement, name: string): string | null {
  const want = name.toLowerCase();
  const c = el.children.find((x) => x.name === want);
  return c ? c.text.trim() : null;
}
