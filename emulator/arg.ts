import { createHash } from "node:crypto";
import type { Modifier } from "./faults.ts";
import { newId } from "./http.ts";
import type { Reply } from "./http.ts";
import { takeArgQuota } from "./limits.ts";
import { QueryRefusal, toObjects, toTable as evaluatedTable } from "./resource-graph/index.ts";
import type { Evaluated } from "./resource-graph/index.ts";
import type { State } from "./state.ts";
import type { Principal } from "./tokens.ts";
import type { RecordedRequest } from "./types.ts";

export interface ArgInput {
  headers: Record<string, string>;
  body: unknown;
  apiVersion: string;
  principal: Principal;
  modifiers: Set<Modifier>;
  record: RecordedRequest;
}

interface QueryRequest {
  query: string;
  subscriptions: string[] | undefined;
  top: number | undefined;
  skip: number;
  skipToken: string | undefined;
  resultFormat: "table" | "objectArray";
}

/**
 * POST /providers/Microsoft.ResourceGraph/resources: the query is evaluated over the job records (addJobs) the
 * caller may see, and its rows are paged with $top / $skipToken.
 */
export function argReply(state: State, input: ArgInput): Reply {
  const quota = state.options.argQuota;
  let quotaHeaders: Record<string, string> = {};
  if (quota !== false) {
    const decision = takeArgQuota(state.argQuota, input.principal.objectId, quota, Date.now());
    quotaHeaders = decision.headers;
    if (!decision.allowed) {
      const message = "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.";
      return { status: 429, headers: quotaHeaders, body: argError("RateLimiting", [{ code: "RateLimiting", message }]) };
    }
  }
  const reply = answer(state, input);
  return { ...reply, headers: { ...quotaHeaders, ...reply.headers } };
}

function answer(state: State, input: ArgInput): Reply {
  if (!(input.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
    // ARG answers a non-JSON content type with a 500, as its docs warn.
    return { status: 500, body: { error: { code: "InternalServerError", message: `${supportInfo()} Encountered an internal server error: the request must be sent as Content-Type: application/json.` } } };
  }
  const request = parseRequest(input.body, input.apiVersion);
  if (typeof request === "string") return { status: 400, body: argError("BadRequest", [{ code: "InvalidRequestContent", message: request }]) };

  const fingerprint = fingerprintOf(request);
  let offset = request.skip;
  let snapshot: number | undefined;
  if (request.skipToken !== undefined) {
    const decoded = decodeToken(request.skipToken, fingerprint);
    if (decoded === undefined) {
      return { status: 400, body: argError("BadRequest", [{ code: "InvalidSkipToken", message: "The $skipToken is not valid for this query and scope; send the token from the previous page of the same request." }]) };
    }
    offset = decoded.offset;
    snapshot = decoded.snapshot;
  }
  // A page is what $top asks, or less: Resource Graph cuts pages at 1,000 rows and 16 MB.
  const top = Math.min(request.top ?? state.options.argPageSize, state.options.argPageSize);
  let evaluated: Evaluated | undefined = snapshot === undefined ? undefined : state.graph.snapshot(snapshot);
  if (evaluated === undefined) {
    try {
      ({ snapshot, result: evaluated } = state.graph.evaluate(request.query, (records) => inScope(state, records, request.subscriptions)));
    } catch (error) {
      return { status: 400, body: refusalBody(error) };
    }
    input.record.evaluationMs = evaluated.evaluationMs;
  }
  const rows = evaluated.rows.slice(offset, offset + top);
  const page = toObjects(evaluated.columns, rows);
  const data = request.resultFormat === "table" ? evaluatedTable(evaluated.columns, rows) : page;
  return pageReply(input, request, { total: evaluated.rows.length, offset, page, data, truncating: evaluated.truncating, fingerprint, snapshot });
}

interface Page {
  total: number;
  offset: number;
  /** The page's rows as objects (for the paging rule). */
  page: unknown[];
  data: unknown;
  /** The query used take / limit. */
  truncating: boolean;
  fingerprint: string;
  snapshot?: number;
}

function pageReply(input: ArgInput, request: QueryRequest, p: Page): Reply {
  const more = p.offset + p.page.length < p.total;
  // ARG pages only when the query projects `id` and takes no `take` / `limit`; otherwise the result is cut with no token.
  const pageable = !p.truncating && p.page.every((row) => typeof (row as { id?: unknown } | null)?.id === "string" && (row as { id: string }).id !== "");
  let skipToken: string | undefined = more && pageable ? encodeToken(p.offset + p.page.length, p.fingerprint, p.snapshot) : undefined;
  let truncated = more && !pageable;
  if (input.modifiers.has("argTruncated")) {
    skipToken = undefined;
    truncated = true;
  } else if (input.modifiers.has("argRepeatToken")) {
    skipToken = request.skipToken ?? encodeToken(p.offset, p.fingerprint, p.snapshot);
  }
  const body: Record<string, unknown> = {
    totalRecords: p.total,
    count: p.page.length,
    resultTruncated: truncated ? "true" : "false",
    facets: [],
    data: p.data,
  };
  if (skipToken !== undefined) body.$skipToken = skipToken;
  return { status: 200, body };
}

function parseRequest(body: unknown, apiVersion: string): QueryRequest | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "The request content was invalid and could not be deserialized: a JSON object with a 'query' is required.";
  const b = body as Record<string, unknown>;
  if (typeof b.query !== "string" || b.query.trim() === "") return "The 'query' property is required.";
  const subscriptions = stringArray(b.subscriptions);
  if (subscriptions === null) return "'subscriptions' must be an array of subscription ids.";
  if (stringArray(b.managementGroups) === null) return "'managementGroups' must be an array of management group ids.";
  const options = (b.options ?? {}) as Record<string, unknown>;
  if (typeof options !== "object" || Array.isArray(options)) return "'options' must be an object.";
  const top = options.$top;
  if (top !== undefined && !(Number.isInteger(top) && (top as number) >= 1 && (top as number) <= 1000)) return `The value of '$top' must be an integer between 1 and 1000; got ${JSON.stringify(top)}.`;
  const skip = options.$skip;
  if (skip !== undefined && !(Number.isInteger(skip) && (skip as number) >= 0)) return `The value of '$skip' must be a non-negative integer; got ${JSON.stringify(skip)}.`;
  const skipToken = options.$skipToken;
  if (skipToken !== undefined && typeof skipToken !== "string") return "'$skipToken' must be a string.";
  const format = options.resultFormat;
  if (format !== undefined && format !== "table" && format !== "objectArray") return `'resultFormat' must be 'table' or 'objectArray'; got ${JSON.stringify(format)}.`;
  // 2019-04-01 answered in table format unless told otherwise.
  const resultFormat = format ?? (apiVersion === "2019-04-01" ? "table" : "objectArray");
  return { query: b.query, subscriptions: subscriptions?.length ? subscriptions : undefined, top: top as number | undefined, skip: (skip as number | undefined) ?? 0, skipToken, resultFormat };
}

function stringArray(value: unknown): string[] | undefined | null {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : null;
}

const ID_SUBSCRIPTION = /^\/subscriptions\/([^/]+)\//i;

/**
 * ARG scopes the underlying resources, not the projected columns: a row belongs to the subscription of its `id` (the
 * resource's id), else of its subscriptionId column, so a query may project columns naming another subscription.
 * A row with neither is always in scope; a row of a subscription denied "all" never is (RBAC trimming); management
 * groups count as the tenant.
 */
function inScope<T>(state: State, rows: readonly T[], subscriptions: string[] | undefined): T[] {
  const wanted = subscriptions === undefined ? undefined : new Set(subscriptions.map((s) => s.toLowerCase()));
  return rows.filter((item) => {
    const row = item as Record<string, unknown> | null;
    if (typeof row !== "object" || row === null) return true;
    const fromId = typeof row.id === "string" ? ID_SUBSCRIPTION.exec(row.id)?.[1] : undefined;
    const owner = fromId ?? (typeof row.subscriptionId === "string" ? row.subscriptionId : undefined);
    if (owner === undefined) return true;
    const sub = owner.toLowerCase();
    if (state.denied.get(sub) === "all") return false;
    return wanted === undefined || wanted.has(sub);
  });
}

function fingerprintOf(request: QueryRequest): string {
  const scope = request.subscriptions?.map((s) => s.toLowerCase()).sort().join(",") ?? "tenant";
  return createHash("sha256").update(`${request.query}\n${scope}`).digest("hex").slice(0, 16);
}

/** The offset, the query and scope it belongs to, and (evaluated queries) the evaluation its pages read. */
function encodeToken(offset: number, fingerprint: string, snapshot?: number): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint, s: snapshot })).toString("base64");
}

function decodeToken(token: string, fingerprint: string): { offset: number; snapshot?: number } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { o?: unknown; f?: unknown; s?: unknown };
    if (parsed.f !== fingerprint || !Number.isInteger(parsed.o) || (parsed.o as number) < 0) return undefined;
    return { offset: parsed.o as number, snapshot: Number.isInteger(parsed.s) ? (parsed.s as number) : undefined };
  } catch {
    return undefined;
  }
}

function supportInfo(): string {
  return `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, correlationId = ${newId()}.`;
}

/** ARG's error envelope: a top-level code with the support line, the specifics in details. */
function argError(code: string, details: Record<string, unknown>[]): unknown {
  return { error: { code, message: supportInfo(), details } };
}

/**
 * What the local Resource Graph answers a query it will not run: Resource Graph's shape, the construct named. A
 * failure of the evaluator itself is answered the same way, saying so, rather than with a 500 a test would misread.
 */
function refusalBody(error: unknown): unknown {
  if (!(error instanceof QueryRefusal)) {
    const message = `The emulator's Resource Graph failed to evaluate this query (${error instanceof Error ? error.message : String(error)}): a fault of the emulator, not of the query.`;
    return argError("BadRequest", [{ code: "InvalidQuery", message }]);
  }
  return argError("BadRequest", [
    { code: "InvalidQuery", message: `Query is invalid: ${error.message}.`, line: error.line, characterPositionInLine: error.position, token: error.token },
  ]);
}
