import type { PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";
import { isRestError } from "@azure/core-rest-pipeline";
import { setTimeout as sleep } from "node:timers/promises";
import { retryAfterMs } from "./retry.ts";

/**
 * ARM throttles writes per subscription and principal with a token bucket (200 burst, 10 per second
 * refill). Retrying each 429 on its own turns a large wave in one subscription into a 429 storm: every
 * waiting write wakes at once and drains the few refilled tokens again. The pacer mirrors the bucket on
 * our side instead: it learns the tokens left from each write's `x-ms-ratelimit-remaining-subscription-writes`,
 * refills at ARM's documented rate, lets a write go only when a token is likely there, and holds every
 * write of the subscription for the Retry-After of a 429.
 */
export interface WritePacer {
  /** Resolves when the next write attempt to this subscription may go. */
  pace(signal?: AbortSignal): Promise<void>;
  /** A write attempt left; its answer follows, or undefined when it got none (a reset). */
  sent(): void;
  answered(response: PipelineResponse | undefined): void;
}

export interface WritePacerOptions {
  /** ARM's documented write refill per subscription. */
  refillPerSecond?: number;
  /** Longest hold after a 429, as for any single wait. */
  maxWaitMs: number;
}

const REMAINING_WRITES = "x-ms-ratelimit-remaining-subscription-writes";

export function createWritePacer(options: WritePacerOptions): WritePacer {
  const now = Date.now;
  const perMs = (options.refillPerSecond ?? 10) / 1000;
  // Unknown until ARM's first answer says; ARM's burst (200) exceeds any RETRY_CONCURRENCY, so the first writes just go.
  let tokens: number | undefined;
  let at = now();
  let blockedUntil = 0;
  let inFlight = 0;
  let turn: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    if (tokens !== undefined) tokens += (t - at) * perMs;
    at = t;
  };

  const waitForToken = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      const t = now();
      if (t < blockedUntil) {
        await sleep(blockedUntil - t, undefined, { signal });
        continue;
      }
      refill();
      if (tokens === undefined) return;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil((1 - tokens) / perMs), undefined, { signal });
    }
  };

  return {
    pace(signal) {
      // One waiter at a time, in order, so a refill lets one write through rather than waking them all.
      const mine = turn.then(() => waitForToken(signal));
      turn = mine.catch(() => undefined);
      return mine;
    },
    sent() {
      inFlight += 1;
    },
    answered(response) {
      inFlight = Math.max(0, inFlight - 1);
      if (response === undefined) return;
      if (response.status === 429) {
        refill();
        tokens = 0;
        blockedUntil = Math.max(blockedUntil, now() + Math.min(retryAfterMs(response.headers) ?? 1_000, options.maxWaitMs));
        return;
      }
      const header = response.headers.get(REMAINING_WRITES);
      const remaining = header === undefined ? Number.NaN : Number(header);
      if (Number.isFinite(remaining)) {
        refill();
        // ARM counted this write; the others in flight may not have reached it yet: count them too.
        tokens = remaining - inFlight;
      }
    },
  };
}

/** Inside the retry loop, so each attempt (the first and every retry) waits for a token and teaches the pacer. */
export function writePacerPolicy(pacer: WritePacer): PipelinePolicy {
  return {
    name: "writePacerPolicy",
    async sendRequest(request, next) {
      if (request.method === "GET" || request.method === "HEAD") return next(request);
      await pacer.pace(request.abortSignal as AbortSignal | undefined);
      pacer.sent();
      try {
        const response = await next(request);
        pacer.answered(response);
        return response;
      } catch (error) {
        pacer.answered(isRestError(error) ? error.response : undefined);
        throw error;
      }
    },
  };
}
