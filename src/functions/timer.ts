import type { InvocationContext, Timer } from "@azure/functions";
import { runExclusive, SweepInProgressError } from "../lock.ts";
import { exitCodeOf } from "../report/index.ts";
import { runSweep, startInvocation, type FunctionDeps } from "./run.ts";

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
    await runExclusive(async (runId) => {
      const runLog = logger.child({ runId });
      runLog.info({ event: "timer.fired", isPastDue: timer.isPastDue, scheduleStatus: timer.scheduleStatus }, timer.isPastDue ? "timer fired late (past due)" : "timer fired");
      const report = await runSweep({ trigger: "timer", runId, invocation, deps });
      const failedQueries = report.queries.filter((q) => q.error !== undefined).map((q) => q.name);
      const t = report.totals;
      runLog[exitCodeOf(report) === 0 ? "info" : "warn"](
        { event: "sweep.summary", dryRun: report.dryRun, totals: report.totals, subscriptions: report.subscriptions, failedQueries },
        `${t.rows} row(s) -> ${t.actions} item(s): ${t.triggered} triggered, ${t.dryRun} dry-run, ${t.alreadyInProgress} in progress, ${t.deferred} deferred, ${t.postponed} postponed, ${t.failed} failed, ${t.exhausted} exhausted; ${t.invalid} invalid row(s); ${failedQueries.length} failed query(ies)`,
      );
    });
  } catch (error) {
    if (error instanceof SweepInProgressError) {
      // An HTTP sweep (or a slow earlier run) holds the lock: this tick has nothing to add, and is not a failure.
      logger.warn({ event: "sweep.skipped", runningRunId: error.runningRunId, isPastDue: timer.isPastDue }, error.message);
      return;
    }
    throw error;
  }
}
