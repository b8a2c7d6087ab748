import type { OperationState, PollerLike } from "@azure/core-lro";
import { followOperation, onArmHost, retryAfterMs, type ArmAnswer, type OperationJob } from "../azure/index.ts";
import { OperationFailedError, RetryBackupsError } from "../core/index.ts";
import { classifyError } from "./classify.ts";
import type { BackupContext, PathResult } from "./context.ts";

/** Why an action was not sent once its run was stopped: by Ctrl-C, or by a typed error (the run lease lost). */
export function notSentReason(signal: AbortSignal | undefined): string {
  const why = signal?.reason instanceof RetryBackupsError ? `stopped (${signal.reason.code})` : "cancelled (Ctrl-C)";
  return `not sent: the run was ${why} before this backup was triggered; the next run picks it up`;
}

export interface TriggerPlan {
  itemId: string;
  /** What is reported when the trigger goes as planned: workload, expiry, rule, ... */
  sent: PathResult;
  /** Starts the trigger POST and returns the poller of the operation it starts; `seen` hears every ARM answer. */
  start: (seen: (answer: ArmAnswer) => void) => PollerLike<OperationState<OperationJob>, OperationJob>;
}

/**
 * The one trigger skeleton of both vault kinds: dry run, then one write in its slot, then the operation followed to
 * its job id within bounds, with the reads in their own slots. What the service says at any step lands on the
 * outcome (classify); once a POST was accepted, the backup stays `triggered`, with a reason when no job id came.
 */
export async function triggerAndFollow(plan: TriggerPlan, ctx: BackupContext): Promise<PathResult> {
  const { sent } = plan;
  if (ctx.dryRun) return { ...sent, outcome: "dryRun" };
  let first: ArmAnswer | undefined;
  let lastRetryAfterMs: number | undefined;
  const seen = (answer: ArmAnswer) => {
    first ??= answer;
    lastRetryAfterMs = retryAfterMs({ get: (name) => answer.headers[name] });
  };
  let poller: PollerLike<OperationState<OperationJob>, OperationJob> | undefined;
  try {
    // Wrapped in an object: a poller is a thenable, and returning it bare would await the whole operation.
    ({ poller } = await ctx.write(async () => {
      // Checked in the write slot: an action that waited for one while the run was cancelled sends nothing.
      if (ctx.signal?.aborted === true) return { poller: undefined };
      const started = plan.start(seen);
      await started.submitted();
      return { poller: started };
    }));
  } catch (error) {
    return { ...sent, ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  if (poller === undefined) return { ...sent, outcome: "cancelled", reason: notSentReason(ctx.signal) };
  const operationUrl = first?.headers["azure-asyncoperation"] ?? first?.headers.location;
  ctx.logger.debug({ event: "backup.http", step: "trigger", itemId: plan.itemId, status: first?.status, operation: operationUrl !== undefined });
  if (!poller.isDone && operationUrl !== undefined && !onArmHost(operationUrl, ctx.arm.endpoint)) {
    return { ...sent, reason: `ARM accepted the backup, but its operation URL is not on ${ctx.arm.endpoint}; not followed, so the token stays with ARM` };
  }
  const byLocation = first?.headers["azure-asyncoperation"] === undefined && first?.headers.location !== undefined;
  try {
    if (poller.isDone) return withJob(sent, poller.result, first?.status === 202 && operationUrl === undefined ? "ARM accepted the backup (202) but sent neither Azure-AsyncOperation nor Location; find the job in the vault's backup jobs" : undefined, byLocation);
    const followed = await followOperation({
      bounds: ctx.arm.operation,
      signal: ctx.signal,
      firstDelayMs: lastRetryAfterMs,
      poll: () =>
        ctx.read(async () => {
          await poller.poll();
          ctx.logger.debug({ event: "backup.http", step: "poll", itemId: plan.itemId, operationStatus: poller.operationState?.status });
          return poller.isDone ? { done: true as const, value: poller.result } : { done: false as const, retryAfterMs: lastRetryAfterMs };
        }),
    });
    if (!followed.done) return { ...sent, reason: followed.reason };
    return withJob(sent, followed.value, undefined, byLocation);
  } catch (error) {
    const failure = poller.operationState?.error;
    if (failure instanceof OperationFailedError) return { ...sent, ...classifyError(failure, ctx.arm.retry, ctx.now()) };
    const classified = classifyError(error, ctx.arm.retry, ctx.now());
    return { ...sent, reason: `the backup was accepted, but following its operation failed: ${classified.error.code}: ${classified.error.message}` };
  }
}

function withJob(sent: PathResult, result: OperationJob | undefined, reason: string | undefined, byLocation: boolean): PathResult {
  if (result?.jobId !== undefined) return { ...sent, jobId: result.jobId };
  const why =
    reason ??
    (byLocation ? "the operation finished; ARM sent only a Location header, which names no job id" : "the operation succeeded but named no job id; find the job in the vault's backup jobs");
  return { ...sent, reason: sent.reason === undefined ? why : `${sent.reason}; ${why}` };
}
