import type { InvocationContext, Timer } from "@azure/functions";
import { exitCodeOf } from "../report/index.ts";
import { RunLockUnavailableError, SweepInProgressError } from "../runs/index.ts";
import { runStoreOf, startGuardedSweep } from "./guarded.ts";
import { startInvocation, type FunctionDeps } from "./run.ts";

/**
 * The scheduled sweep. The invocation fails (so the platform records it) only when the run could not happen: bad
 * settings or no token. Failed actions and queries are in the summary and the report's log events instead.
 */
export async function timerHandler(timer: Timer, context: InvocationContext, deps: FunctionDeps = {}): Promise<void> {
  const invocation = startInvocation(context, "timer", deps);
  const { logger, settings } = invocation;
  if (settings.paused) {
    // The heartbeat alert counts this line as a sign of life: a paused app is quiet, not dead.
    logger.info({ event: "sweep.paused", trigger: "timer", isPastDue: timer.isPastDue }, "RETRY_PAUSED is true: this tick reads and writes nothing (README \"Pause and resume\")");
    return;
  }
  try {
    const { runId, done } = await startGuardedSweep({ trigger: "timer", invocation, deps, store: runStoreOf(invocation.settings) });
    const runLog = logger.child({ runId });
    runLog.info({ event: "timer.fired", isPastDue: timer.isPastDue, scheduleStatus: timer.scheduleStatus }, timer.isPastDue ? "timer fired late (past due)" : "timer fired");
    const report = await done;
    const failedQueries = report.queries.filter((q) => q.error !== undefined).map((q) => q.name);
    const t = report.totals;
    runLog[exitCodeOf(report) === 0 ? "info" : "warn"](
      { event: "sweep.summary", dryRun: report.dryRun, totals: report.totals, subscriptions: report.subscriptions, failedQueries },
      `${t.rows} row(s) -> ${t.actions} item(s): ${t.triggered} triggered, ${t.dryRun} dry-run, ${t.alreadyInProgress} in progress, ${t.deferred} deferred, ${t.postponed} postponed, ${t.failed} failed, ${t.exhausted} exhausted; ${t.invalid} invalid row(s); ${failedQueries.length} failed query(ies)`,
    );
  } catch (error) {
    if (error instanceof SweepInProgressError) {
      // An HTTP sweep (or a slow earlier run) holds the lock: this tick has nothing to add, and is not a failure.
      logger.warn({ event: "sweep.skipped", runningRunId: error.runningRunId, isPastDue: timer.isPastDue }, error.message);
      return;
    }
    if (error instanceof RunLockUnavailableError) {
      // The safe choice: without the lock another instance may be sweeping, so nothing is written and on-call is paged.
      logger.error({ event: "sweep.failed", trigger: "timer", error: { code: error.code, message: error.message } }, "the run lock could not be taken; no sweep ran");
    }
    throw error;
  }
}
