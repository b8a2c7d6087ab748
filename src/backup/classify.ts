import { isRestError } from "@azure/core-rest-pipeline";
import { tidyMessage } from "../azure/errors.ts";
import { retryAfterMs, type RetryOptions } from "../azure/retry.ts";
import { RetryBackupsError, messageOf } from "../errors.ts";
import type { ArmError } from "../report.ts";

/** Error codes that mean "a backup (or another operation) is already running on this item" (azure-api.md §5). */
const IN_PROGRESS_CODES: ReadonlySet<string> = new Set(
  [
    "UserErrorBackupOperationInProgress",
    "SystemBackupOperationInProgress",
    "ParallelSnapshotRequest",
    "BMSUserErrorObjectLocked",
    "BMSUserErrorConflictingProtectionOperation",
    "OperationCancelledBecauseConflictingOperationRunningUserError",
    "OperationCancelledBecauseConflictingAutohealOperationRunningUserError",
    "UserErrorBackupFailedAsRemedialBackupInProgress",
    "UserErrorMaxConcurrentOperationLimitReached",
  ].map((c) => c.toLowerCase()),
);
const IN_PROGRESS_MESSAGE = /another .*operation .*in progress/i;

/** An async operation that the service ended Failed or Canceled, with the service's error. */
export class OperationFailedError extends RetryBackupsError {}

/** The run was cancelled (RETRY signal) before this action's write was sent. */
export class RunCancelledError extends RetryBackupsError {
  constructor() {
    super("RunCancelled", "the run was cancelled before this backup was sent; the next run will retry it");
  }
}

export interface Classified {
  outcome: "alreadyInProgress" | "failed";
  error: ArmError;
}

export function isInProgress(code: string | undefined, message: string | undefined): boolean {
  return (code !== undefined && IN_PROGRESS_CODES.has(code.toLowerCase())) || (message !== undefined && IN_PROGRESS_MESSAGE.test(message));
}

/**
 * Turns whatever a trigger threw (after the pipeline's own retries) into an outcome and an ARM-shaped
 * error. "Already in progress" is recognised from a 4xx answer or from an operation that ended Failed.
 */
export function classifyError(error: unknown, retry: RetryOptions): Classified {
  if (error instanceof OperationFailedError) {
    const armError = { code: error.code, message: tidyMessage(error.message, "the operation failed without a message") };
    return { outcome: isInProgress(error.code, error.message) ? "alreadyInProgress" : "failed", error: armError };
  }
  if (isRestError(error)) {
    const status = error.statusCode;
    const code = error.code;
    const message = tidyMessage(error.message, status === undefined ? "the request failed" : `ARM answered HTTP ${status}`);
    if (status !== undefined && status >= 400 && status < 500 && isInProgress(code, message)) {
      return { outcome: "alreadyInProgress", error: { code: code ?? `HTTP${status}`, message, status } };
    }
    if (status === 429) return { outcome: "failed", error: throttled(code, message, retryAfterMs(error.response), retry) };
    if (status === undefined) {
      return {
        outcome: "failed",
        error: { code: code ?? "RequestFailed", message: `${message} (no answer after ${retry.maxRetries} retries; the next run will retry it)` },
      };
    }
    return { outcome: "failed", error: { code: code ?? `HTTP${status}`, message, status } };
  }
  if (error instanceof Error && error.name === "AbortError") {
    return {
      outcome: "failed",
      error: { code: "RequestAborted", message: "the run was cancelled while this request was in flight; check the vault's backup jobs before retrying by hand" },
    };
  }
  if (error instanceof RetryBackupsError) return { outcome: "failed", error: { code: error.code, message: tidyMessage(error.message, error.code) } };
  return { outcome: "failed", error: { code: "UnexpectedError", message: tidyMessage(messageOf(error), "unexpected error") } };
}

function throttled(code: string | undefined, message: string, askedMs: number | undefined, retry: RetryOptions): ArmError {
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  const text =
    askedMs !== undefined && askedMs > retry.maxWaitMs
      ? `ARM throttled this request (HTTP 429) and asked to wait ${seconds(askedMs)} s, over the ${seconds(retry.maxWaitMs)} s cap on a single wait; not waited, the next run will retry it. ARM said: ${message}`
      : `ARM kept throttling this request (HTTP 429) through ${retry.maxRetries} retries; the next run will retry it. ARM said: ${message}`;
  return { code: code ?? "TooManyRequests", message: text, status: 429 };
}
