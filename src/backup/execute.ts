import { performance } from "node:perf_hooks";
import type { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { createDataProtectionClient, createRecoveryServicesClient, createWritePacer, type ArmConnection, type DataProtectionClient, type WritePacer } from "../azure/index.ts";
import type { ActionReport } from "../core/index.ts";
import type { Logger } from "../log.ts";
import type { PlannedAction } from "../plan/index.ts";
import { classifyError } from "./classify.ts";
import { createLimiter, createSemaphore, roundRobin } from "./concurrency.ts";
import type { BackupContext, PathResult } from "./context.ts";
import { triggerDataProtection } from "./data-protection.ts";
import { triggerRecoveryServices } from "./recovery-services.ts";
import { notSentReason } from "./trigger.ts";

export interface ExecuteOptions {
  arm: ArmConnection;
  /** RETRY_CONCURRENCY: ARM writes in flight at once, over all subscriptions. */
  concurrency: number;
  /** RETRY_EXPIRY_DAYS; a row's expiryDays wins. */
  expiryDays: number;
  /** Plan and report, send no write (reads such as a Backup-vault instance or policy GET still run). */
  dryRun: boolean;
  /** One event per action; bound to the run already (its lines carry runId). */
  logger: Logger;
  /** Aborted (Ctrl-C): no new action is admitted, writes in flight finish, the rest is reported `cancelled`. */
  signal?: AbortSignal;
  /** Hears each trigger action settle: how many of the triggers are done. */
  onSettled?: (done: number, total: number) => void;
}

/** Reads and operation polls in flight, per write slot: following operations never holds a write slot. */
const READS_PER_WRITE = 4;
/** Actions admitted ahead of their write, per write slot. */
const ADMITTED_PER_WRITE = 4;

/**
 * Fires one on-demand backup per "trigger" action and follows it to a job id; reports "deferred" and
 * "exhausted" actions without sending anything. One report per action, in the input order; a failing
 * action never stops the others.
 */
export async function executeActions(actions: PlannedAction[], options: ExecuteOptions): Promise<ActionReport[]> {
  const ctx = createContext(options);
  const results = new Map<number, ActionReport>();
  actions.forEach((action, index) => {
    if (action.disposition !== "trigger") results.set(index, notSent(action, options));
  });
  // Started in round-robin order of subscription: the FIFO write limiter then serves subscriptions in turn.
  const work = roundRobin(
    actions.map((action, index) => ({ action, index })).filter(({ action }) => action.disposition === "trigger"),
    ({ action }) => action.ref.subscriptionId,
  );
  // Actions are admitted a few per write slot: a wave of 10,000 items then holds a few dozen pending writes in
  // memory, not 10,000. An action gives its admission back once its write is done, so following operations
  // (seconds to minutes each) never holds up the next writes.
  const admit = createSemaphore(Math.max(1, Math.floor(options.concurrency)) * ADMITTED_PER_WRITE);
  const running = new Set<Promise<void>>();
  let settled = 0;
  for (const { action, index } of work) {
    const release = options.signal?.aborted === true ? undefined : await admit();
    if (release === undefined || options.signal?.aborted === true) {
      release?.();
      results.set(index, notSent({ ...action, reason: notSentReason(options.signal) }, options, "cancelled"));
      continue;
    }
    const admitted: BackupContext = { ...ctx, write: (task) => ctx.write(task).finally(release) };
    const run: Promise<void> = runAction(action, admitted, options)
      .then((report) => void results.set(index, report))
      .finally(() => {
        release();
        running.delete(run);
        settled += 1;
        options.onSettled?.(settled, work.length);
      });
    running.add(run);
  }
  await Promise.all(running);
  return actions.map((_, index) => results.get(index) as ActionReport);
}

function createContext(options: ExecuteOptions): BackupContext {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const recoveryServices = new Map<string, RecoveryServicesBackupClient>();
  const dataProtection = new Map<string, DataProtectionClient>();
  // Both vault kinds of a subscription draw on the same ARM write bucket, so they share one pacer.
  const pacers = new Map<string, WritePacer>();
  const pacerOf = (subscriptionId: string) => cached(pacers, subscriptionId, () => createWritePacer({ maxWaitMs: options.arm.retry.maxWaitMs, refillPerSecond: options.arm.retry.writeRefillPerSecond }));
  return {
    arm: options.arm,
    dryRun: options.dryRun,
    signal: options.signal,
    now: () => new Date(),
    expiryDays: options.expiryDays,
    logger: options.logger,
    write: createLimiter(concurrency),
    read: createLimiter(concurrency * READS_PER_WRITE),
    recoveryServices: (subscriptionId) => cached(recoveryServices, subscriptionId, () => createRecoveryServicesClient(options.arm, subscriptionId, pacerOf(subscriptionId))),
    dataProtection: (subscriptionId) => cached(dataProtection, subscriptionId, () => createDataProtectionClient(options.arm, subscriptionId, pacerOf(subscriptionId))),
    policies: new Map(),
  };
}

function cached<T>(map: Map<string, T>, key: string, create: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

async function runAction(action: PlannedAction, ctx: BackupContext, options: ExecuteOptions): Promise<ActionReport> {
  const started = performance.now();
  let result: PathResult;
  try {
    result = action.ref.kind === "recoveryServices" ? await triggerRecoveryServices(action, action.ref, ctx) : await triggerDataProtection(action, action.ref, ctx);
  } catch (error) {
    result = { workload: action.workload ?? "Other", ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  const report = toReport(action, result, Math.round(performance.now() - started));
  logAction(report, options);
  return report;
}

function notSent(action: PlannedAction, options: ExecuteOptions, cancelled?: "cancelled"): ActionReport {
  const outcome = cancelled ?? (action.disposition === "trigger" ? "deferred" : action.disposition);
  const report = toReport(action, { outcome, workload: action.workload ?? "Other", reason: action.reason, waitReason: action.waitReason, retryAfter: action.retryAfter }, 0);
  logAction(report, options);
  return report;
}

function toReport(action: PlannedAction, result: PathResult, durationMs: number): ActionReport {
  const { ref } = action;
  return {
    subscriptionId: ref.subscriptionId,
    vaultId: ref.vaultId,
    itemId: ref.itemId,
    vaultKind: ref.kind,
    workload: result.workload,
    sourceRows: action.sourceRows,
    outcome: result.outcome,
    rules: action.rules,
    failedAt: action.failedAt,
    lastError: action.lastError,
    attempts: action.attempts,
    waitReason: result.waitReason,
    retryAfter: result.retryAfter,
    onDemandLast24h: action.onDemandLast24h,
    dailyAllowance: action.dailyAllowance,
    expiresAt: result.expiresAt,
    backupType: result.backupType,
    ruleName: result.ruleName,
    retentionTag: result.retentionTag,
    jobId: result.jobId,
    error: result.error,
    reason: result.reason,
    durationMs,
  };
}

/** Exactly one event per action: info when nothing needs a human, warn for an exhausted budget, error for a failure. */
function logAction(report: ActionReport, options: ExecuteOptions): void {
  const event = {
    event: `retry.${report.outcome}`,
    subscriptionId: report.subscriptionId,
    vaultKind: report.vaultKind,
    workload: report.workload,
    itemId: report.itemId,
    outcome: report.outcome,
    jobId: report.jobId,
    waitReason: report.waitReason,
    retryAfter: report.retryAfter,
    expiresAt: report.expiresAt,
    backupType: report.backupType,
    ruleName: report.ruleName,
    retentionTag: report.retentionTag,
    error: report.error,
    lastError: report.lastError,
    reason: report.reason,
    durationMs: report.durationMs ?? 0,
  };
  if (report.outcome === "failed") options.logger.error(event, `backup retry failed: ${report.itemId}`);
  else if (report.outcome === "exhausted") options.logger.warn(event, `attempt budget exhausted: ${report.itemId}`);
  else options.logger.info(event, `backup retry ${report.outcome}: ${report.itemId}`);
}
