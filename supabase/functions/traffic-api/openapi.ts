/**
 * The OpenAPI 3.1 document of traffic-api, generated from the zod schemas that validate the
 * requests (`validation.ts`) and describe the responses (`responses.ts`). JSON Schema 2020-12 is
 * OpenAPI 3.1's schema dialect, which `z.toJSONSchema` writes.
 *
 * @module
 */
import { z } from "../_shared/deps.ts";
import * as cmp from "./compare.ts";
import * as res from "./responses.ts";
import * as v from "./validation.ts";

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12" });
  return rest as Json;
}

/** One OpenAPI query parameter per property of a strict query schema. */
export function queryParameters(schema: z.ZodObject): Json[] {
  const js = schemaOf(schema, "input") as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: "query",
      required: js.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      ...(name === "period" ? { style: "form", explode: true } : {}),
      schema: rest,
    };
  });
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const jsonContent = (schema: Json) => ({ "application/json": { schema } });

function ok(name: string, description: string, cached: boolean): Json {
  const out: Json = {
    "200": {
      description,
      headers: cached ? { ETag: { schema: { type: "string" } } } : undefined,
      content: jsonContent(ref(name)),
    },
  };
  if (cached) out["304"] = { description: "Not modified (If-None-Match named the current ETag)." };
  return out;
}

const userErrors = {
  "400": errorRef("BadRequest"),
  "401": errorRef("Unauthorized"),
  "403": errorRef("Forbidden"),
  "500": errorRef("InternalError"),
};

function dataGet(summary: string, query: z.ZodObject, response: string, cached = true): Json {
  return {
    get: {
      summary,
      parameters: queryParameters(query),
      responses: { ...ok(response, summary, cached), ...userErrors },
    },
  };
}

/** Builds the document; `serverUrl` is the function's public base URL. */
export function openApiDocument(serverUrl: string): Json {
  const errorResponse = (description: string) => ({
    description,
    content: jsonContent(ref("Error")),
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "traffic-api",
      version: "1.0.0",
      description: "The Traffic Dashboard's read API. Every data route answers for the signed-in " +
        "user (Authorization: Bearer <user JWT>, apikey: <anon key>); RLS decides what each " +
        `caller sees. Custom ranges cover at most ${v.MAX_RANGE_DAYS} days (the SQL refuses more ` +
        "too). Money arrives as exact decimal strings rounded once, at this edge, to its unit " +
        "(2 places: cents of USD, tiyn of KZT); ratios (ROAS, CTR, rates) to 4 places; " +
        "percentages (meta_leads_gap_pct) to 2; counts " +
        "are numbers.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [], apiKey: [] }],
    paths: {
      "/metrics": dataGet("Stored metrics per period", cmp.metricsCompareQuery, "MetricsResponse"),
      "/metrics/range": dataGet(
        "Metrics for a custom range",
        cmp.rangeCompareQuery,
        "RangeResponse",
      ),
      "/daily": dataGet("Per-day series", v.rangeQuery, "DailyResponse"),
      "/campaigns": dataGet(
        "Per campaign, adset or ad",
        v.campaignsQuery,
        "CampaignsResponse",
      ),
      "/sync-status": dataGet("Latest sync runs", v.syncStatusQuery, "SyncStatusResponse"),
      "/alerts": dataGet("Alerts (open by default)", v.alertsQuery, "AlertsResponse"),
      "/settings": {
        get: {
          summary: "The caller's settings",
          responses: {
            ...ok("Settings", "The caller's settings", false),
            ...userErrors,
            "404": errorRef("NotFound"),
          },
        },
        put: {
          summary: "Change the caller's settings",
          requestBody: {
            required: true,
            content: jsonContent(schemaOf(v.settingsUpdate, "input")),
          },
          responses: {
            ...ok("Settings", "The settings after the change", false),
            ...userErrors,
            "404": errorRef("NotFound"),
          },
        },
      },
      "/health": {
        get: {
          summary: "Liveness and database reachability (no user needed)",
          responses: {
            ...ok("Health", "Up", false),
            "503": { description: "Database down", content: jsonContent(ref("Health")) },
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1", content: jsonContent({}) } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        apiKey: { type: "apiKey", in: "header", name: "apikey" },
      },
      schemas: {
        Error: schemaOf(res.errorBody, "output"),
        MetricsResponse: schemaOf(cmp.metricsCompareResponse, "output"),
        RangeResponse: schemaOf(cmp.rangeCompareResponse, "output"),
        DailyResponse: schemaOf(res.dailyResponse, "output"),
        CampaignsResponse: schemaOf(res.campaignsResponse, "output"),
        SyncStatusResponse: schemaOf(res.syncStatusResponse, "output"),
        AlertsResponse: schemaOf(res.alertsResponse, "output"),
        Settings: schemaOf(res.settings, "output"),
        Health: schemaOf(res.health, "output"),
      },
      responses: {
        BadRequest: errorResponse(
          "invalid_query, invalid_body, invalid_json, invalid_range or range_too_large",
        ),
        Unauthorized: errorResponse("No user token (the anon key alone), or a rejected one"),
        Forbidden: errorResponse("Not allowed (e.g. user_id of another user for a non-admin)"),
        NotFound: errorResponse("not_found or settings_not_found"),
        MethodNotAllowed: errorResponse("method_not_allowed; the Allow header lists the methods"),
        InternalError: errorResponse("internal_error, with a request id (logged)"),
      },
    },
  };
}
