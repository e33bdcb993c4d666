/**
 * The local stack's `/dashboard/` route: the static files of `dashboard/`, GET/HEAD
 * only, no auth (the page holds no data; it calls traffic-api with the user's JWT), paths
 * confined to the folder, a content type per extension. The gateway calls it last.
 *
 * @module
 */
const dashboardDir = Deno.env.get("DASHBOARD_DIR") ??
  new URL("../../dashboard/", import.meta.url).pathname;
const DASHBOARD_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ts: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

/** The dashboard's answer for `/dashboard[/...]`, or null for any other path. */
export async function serveDashboard(req: Request, url: URL, dir = dashboardDir): Promise<
  Response | null
> {
  if (url.pathname !== "/dashboard" && !url.pathname.startsWith("/dashboard/")) return null;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (url.pathname === "/dashboard") {
    return new Response(null, { status: 308, headers: { location: `/dashboard/${url.search}` } });
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname.slice("/dashboard/".length)) || "index.html";
  } catch {
    return new Response("Bad path", { status: 400 });
  }
  if (rel.split("/").some((seg) => seg === ".." || seg.startsWith(".")) || rel.includes("\0")) {
    return new Response("Not found", { status: 404 });
  }
  const type = DASHBOARD_TYPES[rel.split(".").pop() ?? ""];
  if (!type) return new Response("Not found", { status: 404 });
  try {
    const body = await Deno.readFile(`${dir.replace(/\/+$/, "")}/${rel}`);
    return new Response(req.method === "HEAD" ? null : body, {
      headers: {
        "content-type": type,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      },
    });
  } catch {
    return new Response("Not found", { status: 404 });
  }
}
