import { retryPolicy, type Pipeline, type PipelineResponse, type RetryStrategy } from "@azure/core-rest-pipeline";
import { z } from "zod";

export const RetryOptionsSchema = z.object({
  /** Retries after the first attempt (so attempts = maxRetries + 1). */
  maxRetries: z.number().int().min(0).max(10).default(4),
  /** First backoff when the service gave no Retry-After; doubles each retry, with jitter. */
  baseDelayMs: z.number().int().min(0).default(1_000),
  /** Cap on a computed backoff. */
  maxDelayMs: z.number().int().min(0).default(30_000),
  /** Cap on any single wait, including a service's Retry-After: a longer ask gives up on the request. */
  maxWaitMs: z.number().int().min(0).default(60_000),
  /** ARM's documented write refill per subscription (10 per second), which the write pacer mirrors. */
  writeRefillPerSecond: z.number().positive().default(10),
});
export type RetryOptions = z.infer<typeof RetryOptionsSchema>;
export type RetryOptionsInput = z.input<typeof RetryOptionsSchema>;

const RETRYABLE_SYSTEM_ERRORS = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);

type Headers = { get(name: string): string | undefined };

/** Retry-After family headers, in milliseconds; undefined when absent or unparsable. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (headers === undefined) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = Number(headers.get(name));
    if (headers.get(name) !== undefined && Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get("retry-after");
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** "hh:mm:ss" (optionally with fractional seconds or a day part "d.hh:mm:ss") to milliseconds. */
function parseResetsAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (match === null) return undefined;
  const [, days, h, m, s] = match;
  return ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s)) * 1000;
}

/** Resource Graph's quota headers: the queries left in the window, and when it resets (undefined when not sent). */
export function quotaOfResponse(headers: Headers): { remaining: number | undefined; resetsAfterMs: number | undefined } {
  const remaining = Number(headers.get("x-ms-user-quota-remaining"));
  return {
    remaining: headers.get("x-ms-user-quota-remaining") !== undefined && Number.isFinite(remaining) ? remaining : undefined,
    resetsAfterMs: parseResetsAfter(headers.get("x-ms-user-quota-resets-after")),
  };
}

/** Resource Graph's throttling answer says when its quota window resets instead of sending Retry-After. */
function quotaResetMs(response: PipelineResponse | undefined): number | undefined {
  if (response === undefined) return undefined;
  const quota = quotaOfResponse(response.headers);
  return quota.remaining !== undefined && quota.remaining <= 0 ? quota.resetsAfterMs : undefined;
}

function backoff(retryCount: number, options: RetryOptions): number {
  const exponential = Math.min(options.baseDelayMs * 2 ** retryCount, options.maxDelayMs);
  return exponential / 2 + Math.random() * (exponential / 2);
}

/**
 * One strategy for ARM: unlike the SDK default, a 429 without Retry-After is retried with backoff,
 * and no single wait exceeds maxWaitMs (a longer Retry-After ends the request with the 429, so the
 * caller reports it instead of sleeping through the run).
 */
function armRetryStrategy(options: RetryOptions): RetryStrategy {
  return {
    name: "armRetryStrategy",
    retry({ response, responseError, retryCount }) {
      const status = response?.status ?? responseError?.statusCode;
      if (status === 429 || status === 503) {
        const asked = retryAfterMs(response?.headers) ?? quotaResetMs(response);
        if (asked !== undefined && asked > options.maxWaitMs) return { skipStrategy: true };
        return { retryAfterInMs: Math.min(asked ?? backoff(retryCount, options), options.maxWaitMs) };
      }
      if (status === 408 || (status !== undefined && status >= 500 && status !== 501 && status !== 505)) {
        return { retryAfterInMs: Math.min(backoff(retryCount, options), options.maxWaitMs) };
      }
      if (response === undefined && responseError !== undefined) {
        const code = responseError.code ?? "";
        // A connection dropped halfway through the answer's body surfaces as a PARSE_ERROR ("... as text: aborted").
        const cutOff = code === "PARSE_ERROR" && /reading response as text: .*(aborted|ECONNRESET|socket hang up|premature close)/i.test(responseError.message);
        if (RETRYABLE_SYSTEM_ERRORS.has(code) || cutOff || /socket hang up/i.test(responseError.message)) {
          return { retryAfterInMs: Math.min(backoff(retryCount, options), options.maxWaitMs) };
        }
      }
      return { skipStrategy: true };
    },
  };
}

/** Replaces the SDK's default retry policy of a client pipeline with ours. */
export function useArmRetryPolicy(pipeline: Pipeline, options: RetryOptions): void {
  pipeline.removePolicy({ name: "defaultRetryPolicy" });
  pipeline.removePolicy({ name: "retryPolicy" });
  pipeline.addPolicy(retryPolicy([armRetryStrategy(options)], { maxRetries: options.maxRetries }), { phase: "Retry" });
}
