import type { Reply } from "./http.ts";
import type { FaultRule, RequestKind } from "./types.ts";

export type Modifier = "argTruncated" | "argRepeatToken" | "noAsyncHeaders" | "neverFinishes";

export interface ActiveFault {
  rule: FaultRule;
  /** Matching requests so far (counts the skipped ones). */
  seen: number;
  applied: number;
}

export interface FaultOutcome {
  /** A response that replaces normal handling, or "reset" to destroy the socket. */
  terminal?: Reply | "reset";
  /** Handle the request as usual, then cut the answer off halfway through its body. */
  cutBody: boolean;
  /** Managed identity: lifetime of the token to issue instead of the configured one. */
  tokenLifetimeSeconds?: number;
  delayMs: number;
  modifiers: Set<Modifier>;
  /** Actions the principal lacks for this request (denyActions). */
  deniedActions: string[];
}

export interface FaultTarget {
  kind: RequestKind;
  subscriptionId?: string;
  itemId?: string;
  rawPath: string;
}

const CODES: Record<number, string> = {
  400: "BadRequest",
  403: "AuthorizationFailed",
  404: "NotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

const MESSAGES: Record<number, string> = {
  429: "The request is being throttled as the limit has been reached for this operation type. Retry after the time the Retry-After header gives, if any.",
  503: "The service is temporarily unavailable. Please retry the request.",
};

function matches(rule: FaultRule, target: FaultTarget): boolean {
  const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
  if (rule.kind !== undefined && rule.kind !== target.kind) return false;
  // The identity endpoint is not ARM: only rules that name it act on it.
  if (target.kind === "msi" && rule.kind !== "msi") return false;
  if (rule.subscriptionId !== undefined && !same(rule.subscriptionId, target.subscriptionId)) return false;
  if (rule.itemId !== undefined && !same(rule.itemId.replace(/\/+$/, ""), target.itemId)) return false;
  if (rule.pathIncludes !== undefined) {
    const needle = rule.pathIncludes.toLowerCase();
    let decoded = target.rawPath;
    try {
      decoded = decodeURIComponent(target.rawPath);
    } catch {
      // keep the raw path
    }
    if (!target.rawPath.toLowerCase().includes(needle) && !decoded.toLowerCase().includes(needle)) return false;
  }
  return true;
}

/**
 * Rules act in the order added. Every rule counts every request it matches (so `skip` does not depend on other rules),
 * but once a rule has answered (a response or a reset) later rules no longer act; delays and modifiers combine.
 */
export function applyFaults(faults: ActiveFault[], target: FaultTarget): FaultOutcome {
  const outcome: FaultOutcome = { cutBody: false, delayMs: 0, modifiers: new Set(), deniedActions: [] };
  for (const fault of faults) {
    if (!matches(fault.rule, target)) continue;
    fault.seen += 1;
    if (outcome.terminal !== undefined || fault.seen <= (fault.rule.skip ?? 0) || fault.applied >= (fault.rule.times ?? Infinity)) continue;
    fault.applied += 1;
    const respond = fault.rule.respond;
    if ("reset" in respond) outcome.terminal = "reset";
    else if ("resetMidBody" in respond) outcome.cutBody = true;
    else if ("tokenExpiresInSeconds" in respond) outcome.tokenLifetimeSeconds = respond.tokenExpiresInSeconds;
    else if ("status" in respond) {
      const message = MESSAGES[respond.status] ?? `Injected fault: HTTP ${respond.status}.`;
      // The identity endpoint answers errors in the platform's shape, ARM in its CloudError envelope.
      const body = respond.body ?? (target.kind === "msi" ? { statusCode: respond.status, message } : { error: { code: CODES[respond.status] ?? "InjectedFault", message } });
      outcome.terminal = { status: respond.status, headers: respond.headers, body };
    } else if ("denyActions" in respond) outcome.deniedActions.push(...respond.denyActions);
    else if ("delayMs" in respond) outcome.delayMs += respond.delayMs;
    else if ("argTruncated" in respond) outcome.modifiers.add("argTruncated");
    else if ("argRepeatToken" in respond) outcome.modifiers.add("argRepeatToken");
    else if ("noAsyncHeaders" in respond) outcome.modifiers.add("noAsyncHeaders");
    else outcome.modifiers.add("neverFinishes");
  }
  return outcome;
}
