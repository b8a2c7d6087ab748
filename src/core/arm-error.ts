import { isRestError } from "@azure/core-rest-pipeline";
import type { ArmError } from "./report.ts";
import { identitySecrets, scrubber } from "./secrets.ts";

const MAX_MESSAGE_LENGTH = 2_000;

/** The code of an answer whose body names none: one per HTTP status, the way ARM spells 429 (TooManyRequests). */
export function codeOfStatus(status: number | undefined): string {
  if (status === undefined) return "RequestFailed";
  return status === 429 ? "TooManyRequests" : `Http${status}`;
}

/**
 * The words of a service or an identity endpoint land in the report and the logs: one line, bounded, and scrubbed of
 * tokens and the IDENTITY_HEADER value in case an answer quotes them. An empty answer or an HTML error page (a
 * proxy's, not ARM's) says nothing useful: the fallback says what happened instead.
 */
export function tidyMessage(message: string | undefined, fallback = ""): string {
  const scrub = scrubber(identitySecrets());
  const text = scrub((message ?? "").replace(/\s+/g, " ").trim());
  if (text === "" || /^<(!doctype|html)/i.test(text)) return fallback;
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}

interface CloudErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

function bodyOf(details: unknown): CloudErrorBody | undefined {
  if (typeof details !== "object" || details === null) return undefined;
  const inner = (details as { error?: unknown }).error;
  if (typeof inner === "object" && inner !== null) return inner as CloudErrorBody;
  return details as CloudErrorBody;
}

/** ARG puts the useful words (InvalidQuery, ParserFailure with line and position) in nested details. */
function detailMessages(details: unknown, depth = 0): string[] {
  if (!Array.isArray(details) || depth > 3) return [];
  return details.flatMap((d: unknown) => {
    if (typeof d !== "object" || d === null) return [];
    // The SDK's deserializer moves fields its model does not name (line, position, token) into additionalProperties.
    const extra = (d as { additionalProperties?: unknown }).additionalProperties;
    const { code, message, line, characterPositionInLine, token } = { ...(extra as object | undefined), ...d } as Record<string, unknown>;
    const where = typeof line === "number" ? ` at line ${line}${typeof characterPositionInLine === "number" ? `, position ${characterPositionInLine}` : ""}${typeof token === "string" ? ` near "${token}"` : ""}` : "";
    const own = typeof message === "string" && message !== "" ? [`${typeof code === "string" ? `${code}: ` : ""}${message}${where}`] : [];
    return [...own, ...detailMessages((d as { details?: unknown }).details, depth + 1)];
  });
}

/** The ARM code, message and status of anything a client threw; never a stack trace. */
export function toArmError(error: unknown): ArmError {
  if (isRestError(error)) {
    const body = bodyOf(error.details);
    const code = typeof body?.code === "string" ? body.code : error.code ?? codeOfStatus(error.statusCode);
    const base = typeof body?.message === "string" && body.message !== "" ? body.message : error.message;
    const extra = detailMessages(body?.details).filter((m) => !base.includes(m));
    return {
      code,
      message: tidyMessage([base, ...extra].join(" | "), error.statusCode === undefined ? "the request failed" : `the service answered HTTP ${error.statusCode}`),
      status: error.statusCode,
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : error.name, message: tidyMessage(error.message, error.name) };
  }
  return { code: "Unknown", message: tidyMessage(String(error), "unknown error") };
}
