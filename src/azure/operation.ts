import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { createHttpPoller, type OperationResponse, type OperationState, type PollerLike } from "@azure/core-lro";
import { z } from "zod";
import { codeOfStatus, OperationFailedError, RetryBackupsError } from "../core/index.ts";

/**
 * The one way this app follows an ARM long-running operation, for both vault kinds: a core-lro poller over the
 * trigger's 202 (Azure-AsyncOperation, else Location), stepped by `followOperation` within bounds.
 */

/** How long we follow an accepted backup's async operation before reporting it without a job id. */
export const OperationBoundsSchema = z.object({
  maxPolls: z.number().int().min(0).default(30),
  /**
   * Wait between polls when the service sends no Retry-After. A Retry-After is followed as sent (60 s on the Backup
   * APIs): ARM asks clients to, and polling sooner only spends reads on an answer that has not changed. timeoutMs bounds it.
   */
  maxPollIntervalMs: z.number().int().min(0).default(10_000),
  timeoutMs: z.number().int().min(0).default(600_000),
});
export type OperationBounds = z.infer<typeof OperationBoundsSchema>;
export type OperationBoundsInput = z.input<typeof OperationBoundsSchema>;

/** What a finished backup operation names. */
export interface OperationJob {
  jobId?: string;
}

/** One answer of ARM, in the shape core-lro reads. */
export interface ArmAnswer {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  request: { method: string; url: string };
}

export interface ArmOperationOptions {
  endpoint: string;
  /** The trigger POST; it throws for an answer that is not 200/202. */
  sendInitial: () => Promise<ArmAnswer>;
  /** A GET of an operation URL through the client's pipeline (auth, TLS, retries); any status comes back. */
  get: (url: string) => Promise<ArmAnswer>;
}

const StatusBodySchema = z.looseObject({
  properties: z.looseObject({ jobId: z.string().optional() }).nullish(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).nullish(),
});
const ResultBodySchema = z.looseObject({ jobId: z.string().optional() });
const SUCCESS = ["200", "201", "202", "204"];

/**
 * A poller of the operation a trigger started. The job id is taken from whichever names it: the final result (the
 * Backup vault spec's Location) or an operation status (`properties.jobId`, as Recovery Services and `az
 * dataprotection` read it); a Location that answers no result is no loss once a status named the job. A Failed or
 * Canceled operation ends with the service's own code. Operation URLs come from response headers: the bearer token
 * only ever goes to the ARM host.
 */
export function armOperation(options: ArmOperationOptions): PollerLike<OperationState<OperationJob>, OperationJob> {
  let statusJobId: string | undefined;
  let locationUrl: string | undefined;
  return createHttpPoller<OperationJob, OperationState<OperationJob>>(
    {
      sendInitialRequest: async () => {
        const answer = await options.sendInitial();
        locationUrl = answer.headers.location;
        return toOperationResponse(answer);
      },
      sendPollRequest: async (url) => {
        if (!onArmHost(url, options.endpoint)) {
          throw new RetryBackupsError("UntrustedOperationUrl", `the operation URL is not on ${options.endpoint}; not followed, so the token stays with ARM`);
        }
        const answer = await options.get(url);
        // Read here: core-lro fetches the final result right after the status that ended, before updateState.
        statusJobId = StatusBodySchema.safeParse(answer.body).data?.properties?.jobId ?? statusJobId;
        if (url === locationUrl && statusJobId !== undefined && !SUCCESS.includes(String(answer.status))) {
          return toOperationResponse({ ...answer, status: 200, body: { jobId: statusJobId } });
        }
        return toOperationResponse(answer);
      },
    },
    {
      resourceLocationConfig: "location",
      processResult: async (body) => {
        const result = ResultBodySchema.safeParse(body).data ?? {};
        return result.jobId === undefined && statusJobId !== undefined ? { ...result, jobId: statusJobId } : result;
      },
      // core-lro throws a plain Error for a Failed operation; keep the service's code instead.
      updateState: (state, response) => {
        if (state.status !== "failed" && state.status !== "canceled") return;
        const error = StatusBodySchema.safeParse(response.rawResponse.body).data?.error;
        const status = state.status === "failed" ? "Failed" : "Canceled";
        state.error = new OperationFailedError(error?.code ?? `Operation${status}`, error?.message ?? `the backup operation ended ${status}`);
      },
    },
  );
}

function toOperationResponse(answer: ArmAnswer): OperationResponse {
  if (!SUCCESS.includes(String(answer.status))) {
    const error = StatusBodySchema.safeParse(answer.body).data?.error;
    throw new RetryBackupsError(error?.code ?? codeOfStatus(answer.status), error?.message ?? `ARM answered HTTP ${answer.status} to the operation status request`);
  }
  return { flatResponse: answer.body, rawResponse: { statusCode: answer.status, request: answer.request, headers: answer.headers, body: answer.body } };
}

type PollStep<T> = { done: true; value: T } | { done: false; retryAfterMs: number | undefined };
export type Followed<T> = { done: true; value: T } | { done: false; reason: string };

export interface FollowOptions<T> {
  bounds: OperationBounds;
  /** The Retry-After of the response that accepted the operation. */
  firstDelayMs: number | undefined;
  /** Aborted: stop following (the backup was accepted; its job goes on in the vault). */
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
    const stopped = { done: false as const, reason: "the backup was accepted; following its operation stopped when the run was cancelled; find the job in the vault's backup jobs" };
    if (options.signal?.aborted === true) return stopped;
    try {
      await sleep(Math.min(delay ?? bounds.maxPollIntervalMs, bounds.timeoutMs - elapsed), undefined, { signal: options.signal });
    } catch {
      return stopped;
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
