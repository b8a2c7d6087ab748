import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { z } from "zod";

/** How long we follow an accepted backup's async operation before reporting it without a job id. */
export const OperationBoundsSchema = z.object({
  maxPolls: z.number().int().min(0).default(30),
  /** Cap on the wait between polls, including the service's Retry-After (60 s on the Backup APIs). */
  maxPollIntervalMs: z.number().int().min(0).default(30_000),
  timeoutMs: z.number().int().min(0).default(600_000),
});
export type OperationBounds = z.infer<typeof OperationBoundsSchema>;
export type OperationBoundsInput = z.input<typeof OperationBoundsSchema>;

/** Wait between polls when the service sent no Retry-After. */
const DEFAULT_POLL_INTERVAL_MS = 10_000;

export type PollStep<T> = { done: true; value: T } | { done: false; retryAfterMs: number | undefined };
export type Followed<T> = { done: true; value: T } | { done: false; reason: string };

export interface FollowOptions<T> {
  bounds: OperationBounds;
  /** The Retry-After of the response that accepted the operation. */
  firstDelayMs: number | undefined;
  signal?: AbortSignal;
  /** One status request; a thrown error ends the follow and reaches the caller. */
  poll: () => Promise<PollStep<T>>;
}

/** Polls until done or a bound is hit: never more than maxPolls requests, never past timeoutMs. */
export async function followOperation<T>(options: FollowOptions<T>): Promise<Followed<T>> {
  const { bounds } = options;
  const started = performance.now();
  let delay = options.firstDelayMs;
  for (let polls = 0; ; polls += 1) {
    const elapsed = performance.now() - started;
    if (polls >= bounds.maxPolls || elapsed >= bounds.timeoutMs) {
      return {
        done: false,
        reason: `the backup was accepted, but its operation was still running after ${polls} polls (${Math.round(elapsed / 1000)} s); find the job in the vault's backup jobs`,
      };
    }
    try {
      await sleep(Math.min(delay ?? DEFAULT_POLL_INTERVAL_MS, bounds.maxPollIntervalMs, bounds.timeoutMs - elapsed), undefined, { signal: options.signal });
    } catch {
      return { done: false, reason: "the backup was accepted, but the run was cancelled before its operation finished; find the job in the vault's backup jobs" };
    }
    const step = await options.poll();
    if (step.done) return step;
    delay = step.retryAfterMs;
  }
}

/** Operation URLs come from response headers: follow them only on the ARM host, so the token never leaves it. */
export function onArmHost(url: string, endpoint: string): boolean {
  try {
    return new URL(url).origin === new URL(endpoint).origin;
  } catch {
    return false;
  }
}
