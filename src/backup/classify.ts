import { isRestError } from "@azure/core-rest-pipeline";
import { retryAfterMs, type RetryOptions } from "../azure/index.ts";
import { OperationFailedError, toArmError, tidyMessage, type ArmError, type WaitReason } from "../core/index.ts";

/** Codes that mean a backup of the item is already running: nothing to do (reference/service-behaviour.md, azure-api.md §5). */
const IN_PROGRESS_CODES: ReadonlySet<string> = lower([
  "UserErrorBackupOperationInProgress",
  "SystemBackupOperationInProgress",
  "ParallelSnapshotRequest",
  "OperationCancelledBecauseConflictingOperationRunningUserError",
  "OperationCancelledBecauseConflictingAutohealOperationRunningUserError",
  // SQL / SAP HANA auto-heal: the service runs a full backup of its own.
  "UserErrorBackupFailedAsRemedialBackupInProgress",
]);

/** Codes that mean nothing was started and a later run should try again: not a backup in progress, not a failure. */
const WAIT_CODES: ReadonlyMap<string, WaitReason> = new Map([
  // A configure-protection or modify-policy operation is running, not a backup.
  ["bmsusererrorconflictingprotectionoperation", "protectionOperation"],
  ["bmsusererrorobjectlocked", "protectionOperation"],
  // Disks, PostgreSQL: too many concurrent backups in the vault; wait for the running ones.
  ["usererrormaxconcurrentoperationlimitreached", "concurrencyLimit"],
  // The service's 24-hour quota: retrying works after 24 hours.
  ["clouddosabsolutelimitreached", "serviceQuota"],
  ["clouddostimeboudlimitreached", "serviceQuota"],
  ["clouddosabsolutelimitreachedwithretry", "serviceQuota"],
]);
const SERVICE_QUOTA_WAIT_MS = 24 * 3_600_000;
const IN_PROGRESS_MESSAGE = /another .*backup .*in progress|backup .*already in progress/i;

function lower(codes: readonly string[]): ReadonlySet<string> {
  return new Set(codes.map((c) => c.toLowerCase()));
}

export interface Classified {
  outcome: "alreadyInProgress" | "postponed" | "failed";
  error: ArmError;
  waitReason?: WaitReason;
  retryAfter?: string;
}

/**
 * What the service's answer means for the item, whether it came on the trigger's POST or as the
 * failed operation the POST started: the service's docs do not say which it does.
 */
function byCode(code: string | undefined, message: string, error: ArmError, now: Date): Classified | undefined {
  const key = code?.toLowerCase();
  const wait = key === undefined ? undefined : WAIT_CODES.get(key);
  if (wait !== undefined) {
    return { outcome: "postponed", error, waitReason: wait, retryAfter: wait === "serviceQuota" ? new Date(now.getTime() + SERVICE_QUOTA_WAIT_MS).toISOString() : undefined };
  }
  if ((key !== undefined && IN_PROGRESS_CODES.has(key)) || IN_PROGRESS_MESSAGE.test(message)) return { outcome: "alreadyInProgress", error };
  return undefined;
}

/**
 * Turns whatever a trigger threw (after the pipeline's own retries) into an outcome and an ARM-shaped error:
 * the one converter, toArmError, gives the code and words; the code says what they mean for the item, whether
 * it came on the POST (a 4xx) or as the operation the POST started.
 */
export function classifyError(error: unknown, retry: RetryOptions, now: Date): Classified {
  if (error instanceof OperationFailedError) {
    const armError = { code: error.code, message: tidyMessage(error.message, "the operation failed without a message") };
    return byCode(error.code, error.message, armError, now) ?? { outcome: "failed", error: armError };
  }
  const armError = toArmError(error);
  if (!isRestError(error)) return { outcome: "failed", error: armError };
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const known = byCode(armError.code, armError.message, armError, now);
    if (known !== undefined) return known;
  }
  if (status === 429) return { outcome: "failed", error: throttled(armError, retryAfterMs(error.response?.headers), retry) };
  if (status === undefined) return { outcome: "failed", error: { ...armError, message: `${armError.message} (no answer after ${retry.maxRetries} retries; the next run will retry it)` } };
  return { outcome: "failed", error: armError };
}

function throttled(armError: ArmError, askedMs: number | undefined, retry: RetryOptions): ArmError {
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  const text =
    askedMs !== undefined && askedMs > retry.maxWaitMs
      ? `ARM throttled this request (HTTP 429) and asked to wait ${seconds(askedMs)} s, over the ${seconds(retry.maxWaitMs)} s cap on a single wait; not waited, the next run will retry it. ARM said: ${armError.message}`
      : `ARM kept throttling this request (HTTP 429) through ${retry.maxRetries} retries; the next run will retry it. ARM said: ${armError.message}`;
  return { code: armError.code, message: text, status: 429 };
}
