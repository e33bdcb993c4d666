/**
 * A fake AmoCRM account behind a loopback HTTP server, shaped after AmoCRM's documented API v4
 * answers (see supabase/functions/amocrm-sync/README.md for the pages):
 *
 * - `GET /api/v4/leads?limit&page&order[updated_at]=asc&filter[updated_at][from]` — HAL JSON
 *   `{_page, _links: {self, next?}, _embedded: {leads: [...]}}`, deleted leads left out, 204 No
 *   Content when nothing matches;
 * - `GET /api/v4/events?limit&page&filter[entity]&filter[type][]&filter[created_at][from|to]` —
 *   `{_embedded: {events: [{id, type, entity_id, entity_type, created_at, value_before,
 *   value_after}]}}`, newest first, 204 when empty;
 * - `GET /api/v4/webhooks` — `{_total_items, _embedded: {webhooks: [...]}}`;
 * - a missing or wrong `Authorization: Bearer` gets 401 `application/problem+json`.
 *
 * The model ({@link FakeCrm}) changes deals the way users do (create, move status, change the
 * price, delete, restore) and records, for each change, the webhook AmoCRM would POST
 * ({@link Delivery}), so a test can deliver all, some or none of them and compare.
 * Faults: `crm.faults` is a queue of forced answers (429 with Retry-After, 401, 403, 500) for
 * the next requests; `crm.onRequest` runs before each answer (to change leads during a run).
 *
 * @module
 */
import { buildForm } from "../../supabase/functions/_shared/amocrm/mod.ts";

export const UTM_FIELDS = [
  { key: "source", id: 971001, name: "utm_source", code: "UTM_SOURCE" },
  { key: "medium", id: 971002, name: "utm_medium", code: "UTM_MEDIUM" },
  { key: "campaign", id: 971003, name: "utm_campaign", code: "UTM_CAMPAIGN" },
  { key: "content", id: 971004, name: "utm_content", code: "UTM_CONTENT" },
] as const;

export type UtmInput = Partial<Record<(typeof UTM_FIELDS)[number]["key"], string>>;

export interface CrmLead {
  id: number;
  name: string;
  price: number;
  responsible_user_id: number;
  status_id: number;
  pipeline_id: number;
  created_at: number;
  updated_at: number;
  is_deleted: boolean;
  custom_fields_values:
    | {
      field_id: number;
      field_name: string;
      field_code: string;
      field_type: string;
      values: { value: string }[];
    }[]
    | null;
}

export interface CrmEvent {
  id: string;
  type: string;
  entity_id: number;
  entity_type: "lead";
  created_at: number;
  value_before: unknown[];
  value_after: unknown[];
}

/** A webhook AmoCRM would send for one change: its action and form body. */
export interface Delivery {
  leadId: number;
  action: "add" | "update" | "status" | "delete" | "restore";
  at: number;
  body: string;
}

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  /** Only requests whose path starts with this. */
  path?: string;
}

export interface RequestLog {
  path: string;
  params: URLSearchParams;
  status: number;
}

export class FakeCrm {
  readonly leads = new Map<number, CrmLead>();
  readonly events: CrmEvent[] = [];
  readonly deliveries: Delivery[] = [];
  readonly requests: RequestLog[] = [];
  webhooks: { id: number; destination: string; disabled: boolean; settings: string[] }[] = [];
  faults: Fault[] = [];
  onRequest: ((path: string, crm: FakeCrm) => void) | null = null;
  private seq = 0;

  constructor(
    public token: string,
    readonly account = { id: "31555001", subdomain: "kaspiacademy" },
  ) {}

  private event(type: string, lead: CrmLead, at: number, before: unknown[], after: unknown[]) {
    this.seq += 1;
    this.events.push({
      id: `01fake${String(this.seq).padStart(12, "0")}`,
      type,
      entity_id: lead.id,
      entity_type: "lead",
      created_at: at,
      value_before: before,
      value_after: after,
    });
  }

  private deliver(action: Delivery["action"], lead: CrmLead, at: number, extra = {}) {
    const untimed = action === "delete" || action === "restore";
    const item = untimed
      ? {
        id: String(lead.id),
        status_id: String(lead.status_id),
        pipeline_id: String(lead.pipeline_id),
      }
      : {
        id: String(lead.id),
        name: lead.name,
        status_id: String(lead.status_id),
        price: String(lead.price),
        responsible_user_id: String(lead.responsible_user_id),
        last_modified: String(lead.updated_at),
        date_create: String(lead.created_at),
        created_at: String(lead.created_at),
        updated_at: String(lead.updated_at),
        pipeline_id: String(lead.pipeline_id),
        account_id: this.account.id,
        custom_fields: (lead.custom_fields_values ?? []).map((f) => ({
          id: String(f.field_id),
          name: f.field_name,
          values: f.values.map((v) => ({ value: v.value })),
          code: f.field_code,
        })),
        ...extra,
      };
    const body = buildForm({
      leads: { [action]: [item] },
      account: { ...this.account, _links: { self: `https://${this.account.subdomain}.amocrm.ru` } },
    });
    this.deliveries.push({ leadId: lead.id, action, at, body });
  }

  /** A new deal. */
  create(
    input: {
      id: number;
      at: number;
      status: number;
      pipeline: number;
      price: number;
      name?: string;
      utm?: UtmInput;
      responsibleUserId?: number;
    },
  ): CrmLead {
    const fields = UTM_FIELDS.filter((f) => input.utm?.[f.key] !== undefined).map((f) => ({
      field_id: f.id,
      field_name: f.name,
      field_code: f.code,
      field_type: "text",
      values: [{ value: input.utm![f.key]! }],
    }));
    const lead: CrmLead = {
      id: input.id,
      name: input.name ?? `Deal ${input.id}`,
      price: input.price,
      responsible_user_id: input.responsibleUserId ?? 10455001,
      status_id: input.status,
      pipeline_id: input.pipeline,
      created_at: input.at,
      updated_at: input.at,
      is_deleted: false,
      custom_fields_values: fields.length ? fields : null,
    };
    this.leads.set(lead.id, lead);
    this.deliver("add", lead, input.at);
    return lead;
  }

  private get(id: number): CrmLead {
    const lead = this.leads.get(id);
    if (!lead) throw new Error(`fake CRM: no lead ${id}`);
    return lead;
  }

  /** Moves a deal to another status (and pipeline). */
  setStatus(id: number, at: number, status: number, pipeline?: number) {
    const lead = this.get(id);
    const before = { lead_status: { id: lead.status_id, pipeline_id: lead.pipeline_id } };
    const old = lead.status_id;
    lead.status_id = status;
    if (pipeline !== undefined) lead.pipeline_id = pipeline;
    lead.updated_at = at;
    this.event("lead_status_changed", lead, at, [before], [{
      lead_status: { id: lead.status_id, pipeline_id: lead.pipeline_id },
    }]);
    this.deliver("status", lead, at, { old_status_id: String(old) });
  }

  /** Changes a deal's sale amount. */
  setPrice(id: number, at: number, price: number) {
    const lead = this.get(id);
    const before = lead.price;
    lead.price = price;
    lead.updated_at = at;
    this.event("sale_field_changed", lead, at, [{ sale_field_value: { sale: before } }], [{
      sale_field_value: { sale: price },
    }]);
    this.deliver("update", lead, at);
  }

  delete(id: number, at: number) {
    const lead = this.get(id);
    lead.is_deleted = true;
    lead.updated_at = at;
    this.event("lead_deleted", lead, at, [], []);
    this.deliver("delete", lead, at);
  }

  restore(id: number, at: number) {
    const lead = this.get(id);
    lead.is_deleted = false;
    lead.updated_at = at;
    this.event("lead_restored", lead, at, [], []);
    this.deliver("restore", lead, at);
  }

  /** Answers one request (the server's handler; tests may call it directly). */
  handle(req: Request): Response {
    const url = new URL(req.url);
    const path = url.pathname;
    const params = url.searchParams;
    this.onRequest?.(path, this);
    const answer = (res: Response) => {
      this.requests.push({ path, params, status: res.status });
      return res;
    };
    const i = this.faults.findIndex((f) => !f.path || path.startsWith(f.path));
    if (i >= 0) {
      const [fault] = this.faults.splice(i, 1);
      return answer(problem(fault.status, fault.headers));
    }
    if (req.headers.get("authorization") !== `Bearer ${this.token}`) {
      return answer(problem(401));
    }
    if (req.method !== "GET") return answer(problem(405));
    if (path === "/api/v4/leads") return answer(this.leadsPage(params));
    if (path === "/api/v4/events") return answer(this.eventsPage(params));
    if (path === "/api/v4/webhooks") {
      return answer(
        hal({ _total_items: this.webhooks.length, _embedded: { webhooks: this.webhooks } }),
      );
    }
    return answer(problem(404));
  }

  private leadsPage(params: URLSearchParams): Response {
    const limit = Math.min(250, Number(params.get("limit") ?? 50));
    const page = Number(params.get("page") ?? 1);
    const from = Number(params.get("filter[updated_at][from]") ?? 0);
    const to = Number(params.get("filter[updated_at][to]") ?? Infinity);
    const all = [...this.leads.values()]
      .filter((l) => !l.is_deleted && l.updated_at >= from && l.updated_at <= to)
      .sort((a, b) => a.updated_at - b.updated_at || a.id - b.id);
    const items = all.slice((page - 1) * limit, page * limit);
    if (items.length === 0) return new Response(null, { status: 204 });
    return hal({
      _page: page,
      _links: {
        self: { href: `/api/v4/leads?page=${page}` },
        ...(page * limit < all.length ? { next: { href: `/api/v4/leads?page=${page + 1}` } } : {}),
      },
      _embedded: {
        leads: items.map((l) => ({
          ...structuredClone(l),
          group_id: 0,
          loss_reason_id: null,
          created_by: 0,
          updated_by: 0,
          closed_at: null,
          closest_task_at: null,
          score: null,
          account_id: Number(this.account.id),
          _links: { self: { href: `/api/v4/leads/${l.id}` } },
          _embedded: { tags: [], companies: [] },
        })),
      },
    });
  }

  private eventsPage(params: URLSearchParams): Response {
    const limit = Math.min(100, Number(params.get("limit") ?? 50));
    const page = Number(params.get("page") ?? 1);
    const from = Number(params.get("filter[created_at][from]") ?? 0);
    const to = Number(params.get("filter[created_at][to]") ?? Infinity);
    const types = params.getAll("filter[type][]");
    const entity = params.get("filter[entity]");
    const all = this.events
      .filter((e) =>
        e.created_at >= from && e.created_at <= to && (!types.length || types.includes(e.type)) &&
        (!entity || entity === e.entity_type)
      )
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
    const items = all.slice((page - 1) * limit, page * limit);
    if (items.length === 0) return new Response(null, { status: 204 });
    return hal({
      _page: page,
      _links: {
        self: { href: `/api/v4/events?page=${page}` },
        ...(page * limit < all.length ? { next: { href: `/api/v4/events?page=${page + 1}` } } : {}),
      },
      _embedded: {
        events: items.map((e) => ({
          ...structuredClone(e),
          created_by: 0,
          account_id: Number(this.account.id),
          _links: { self: { href: `/api/v4/events/${e.id}` } },
        })),
      },
    });
  }
}

function hal(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    headers: { "content-type": "application/hal+json" },
  });
}

function problem(status: number, headers: Record<string, string> = {}): Response {
  const title =
    { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests" }[
      status as 401
    ] ?? "Error";
  return new Response(
    JSON.stringify({ title, type: "https://httpstatus.es/" + status, status, detail: title }),
    { status, headers: { "content-type": "application/problem+json", ...headers } },
  );
}

/** Serves `crm` on 127.0.0.1:`port` until `close()`. */
export function serveFakeAmoApi(crm: FakeCrm, port: number) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    (req) => crm.handle(req),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => server.shutdown() };
}
