import type { IncomingMessage, ServerResponse } from "node:http";
import { checkApiVersion } from "./api-versions.ts";
import { argReply } from "./arg.ts";
import { permissionsReply } from "./authorization.ts";
import { dpInstance, dpOperationOf, dpOperationResult, dpOperationStatus, dpPolicy, dpTrigger } from "./data-protection.ts";
import { applyFaults } from "./faults.ts";
import type { Modifier } from "./faults.ts";
import { armError, delay, lowerCaseHeaders, newId, parseBody, queryOf, readBody, segmentsOf, send, sendCut } from "./http.ts";
import type { Reply } from "./http.ts";
import { takeWriteToken } from "./limits.ts";
import { msiReply } from "./msi.ts";
import { drawBetween } from "./operations.ts";
import { rsItem, rsOperationResult, rsOperationStatus, rsTrigger } from "./recovery-services.ts";
import type { BackupInput } from "./recovery-services.ts";
import { classify } from "./routes.ts";
import type { Route } from "./routes.ts";
import type { State } from "./state.ts";
import type { Principal } from "./tokens.ts";
import type { RecordedRequest, RequestKind } from "./types.ts";

type Handler = (input: BackupInput) => Reply;

const HANDLERS: Partial<Record<RequestKind, Handler>> = {
  "rs.trigger": rsTrigger,
  "rs.operationStatus": rsOperationStatus,
  "rs.operationResult": rsOperationResult,
  "rs.item": rsItem,
  "dp.trigger": dpTrigger,
  "dp.operationStatus": dpOperationStatus,
  "dp.operationResult": dpOperationResult,
  "dp.instance": dpInstance,
  "dp.policy": dpPolicy,
};

const isWrite = (kind: RequestKind) => kind === "rs.trigger" || kind === "dp.trigger";

async function recordArrival(state: State, req: IncomingMessage, routeOf: (url: URL, method: string) => Route): Promise<{ record: RecordedRequest; route: Route }> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const method = (req.method ?? "GET").toUpperCase();
  const text = await readBody(req);
  const route = routeOf(url, method);
  const record: RecordedRequest = {
    at: Date.now(),
    method,
    path: url.pathname,
    query: queryOf(url),
    headers: lowerCaseHeaders(req),
    body: parseBody(text),
    status: 0,
    kind: route.kind,
  };
  if (route.subscriptionId !== undefined) record.subscriptionId = route.subscriptionId;
  const itemId = itemIdOf(state, route);
  if (itemId !== undefined) record.itemId = itemId;
  state.requests.push(record);
  return { record, route };
}

/** The item a request concerns: the registered id when known, else the id the path names; operations know their item. */
function itemIdOf(state: State, route: Route): string | undefined {
  if (route.itemId !== undefined) return state.registry.get(route.itemId)?.id ?? route.itemId;
  if (route.kind === "dp.operationStatus" || route.kind === "dp.operationResult") return dpOperationOf(state, route.operationId, route.subscriptionId)?.itemId;
  if (route.kind === "rs.operationStatus" && route.operationId !== undefined) return state.operations.get(route.operationId)?.itemId;
  return undefined;
}

function finish(res: ServerResponse, record: RecordedRequest, reply: Reply, cut = false): void {
  record.status = reply.status;
  if (!cut) {
    send(res, reply);
    return;
  }
  record.cut = true;
  sendCut(res, reply);
}

/** ARM's answer before the resource provider sees the request: bearer token, api-version, RBAC, write throttling. */
function gate(state: State, route: Route, record: RecordedRequest, principal: Principal, deniedActions: readonly string[]): { reply?: Reply; headers: Record<string, string> } {
  const badVersion = checkApiVersion(route.kind, record.query["api-version"]);
  if (badVersion !== undefined) return { reply: badVersion, headers: {} };
  const denied = route.subscriptionId === undefined ? undefined : state.denied.get(route.subscriptionId.toLowerCase());
  const forbidden = (): Reply =>
    armError(
      403,
      "AuthorizationFailed",
      `The client '${principal.objectId}' with object id '${principal.objectId}' does not have authorization to perform action '${route.action ?? "read"}' over scope '${route.scope ?? record.path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  if (denied === "all") return { reply: forbidden(), headers: {} };
  if (route.action !== undefined && deniedActions.some((a) => a.toLowerCase() === route.action?.toLowerCase())) return { reply: forbidden(), headers: {} };
  if (!isWrite(route.kind)) return { headers: {} };
  const headers: Record<string, string> = {};
  const bucket = state.options.writeBucket;
  if (bucket !== false && route.subscriptionId !== undefined) {
    const decision = takeWriteToken(state.writeBuckets, route.subscriptionId, bucket, Date.now());
    headers["x-ms-ratelimit-remaining-subscription-writes"] = String(decision.remaining);
    if (!decision.allowed) {
      const message = `Number of 'write' requests for subscription '${route.subscriptionId}' actor '${principal.objectId}' exceeded. Please try again after '${decision.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`;
      return { reply: armError(429, "SubscriptionRequestsThrottled", message, { ...headers, "retry-after": String(decision.retryAfterSeconds) }), headers };
    }
  }
  if (denied === "write") return { reply: forbidden(), headers };
  return { headers };
}

function dispatch(state: State, route: Route, record: RecordedRequest, principal: Principal, modifiers: Set<Modifier>, deniedActions: readonly string[]): Reply {
  const apiVersion = record.query["api-version"] ?? "";
  if (route.kind === "authz.permissions") return permissionsReply(deniedActions);
  if (route.kind === "arg") return argReply(state, { headers: record.headers, body: record.body, apiVersion, principal, modifiers, record });
  const handler = HANDLERS[route.kind];
  if (handler === undefined) return armError(404, "NotFound", `The local ARM emulator does not serve ${record.method} ${record.path}.`);
  return handler({ state, route, body: record.body, apiVersion, modifiers });
}

/** Every ARM request: record, faults, latency, then ARM's checks and the resource provider's answer. */
export function armHandler(state: State): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const { record, route } = await recordArrival(state, req, (url, method) => classify(method, segmentsOf(url.pathname)));
      try {
        const faults = applyFaults(state.faults, { kind: route.kind, subscriptionId: route.subscriptionId, itemId: record.itemId, rawPath: record.path });
        const wait = drawBetween(state.options.latencyMs, state.options.latencyMaxMs) + faults.delayMs;
        if (wait > 0) await delay(wait);
        if (faults.terminal === "reset") {
          req.socket.destroy();
          return;
        }
        const common = { "x-ms-request-id": newId(), "x-ms-correlation-request-id": record.headers["x-ms-correlation-request-id"] ?? newId() };
        if (faults.terminal !== undefined) {
          finish(res, record, { ...faults.terminal, headers: { ...common, ...faults.terminal.headers } }, faults.cutBody);
          return;
        }
        const principal = state.tokens.verify(record.headers.authorization, state.url);
        if ("status" in principal) {
          finish(res, record, { ...principal, headers: { ...common, ...principal.headers } }, faults.cutBody);
          return;
        }
        const gated = gate(state, route, record, principal, faults.deniedActions);
        const reply = gated.reply ?? dispatch(state, route, record, principal, faults.modifiers, faults.deniedActions);
        finish(res, record, { ...reply, headers: { ...common, ...gated.headers, ...reply.headers } }, faults.cutBody);
      } catch (error) {
        finish(res, record, armError(500, "InternalServerError", `The local ARM emulator failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    })().catch(() => req.socket.destroy());
  };
}

export function msiHandler(state: State, identityHeader: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const { record } = await recordArrival(state, req, () => ({ kind: "msi" }));
      const faults = applyFaults(state.faults, { kind: "msi", rawPath: record.path });
      if (faults.delayMs > 0) await delay(faults.delayMs);
      if (faults.terminal === "reset") {
        req.socket.destroy();
        return;
      }
      const reply =
        faults.terminal ??
        msiReply(record, {
          identityHeader,
          tokens: state.tokens,
          tokenLifetimeSeconds: faults.tokenLifetimeSeconds ?? state.options.tokenLifetimeSeconds,
          knownClientIds: state.options.knownClientIds,
        });
      finish(res, record, reply, faults.cutBody);
    })().catch(() => req.socket.destroy());
  };
}
