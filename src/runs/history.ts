import { messageOf, RetryBackupsError, type Report, type Trigger } from "../core/index.ts";
import type { Logger } from "../log.ts";
import type { RunDocument } from "./document.ts";
import { takeLease } from "./lease.ts";
import { takeLocalLock } from "./local-lock.ts";
import type { RunStore } from "./store.ts";

export interface BeginRunOptions {
  /** The run store (RETRY_RUNS_BLOB_ENDPOINT); without one the lock is this process's and nothing is kept. */
  store: RunStore | undefined;
  trigger: Trigger;
  logger: Logger;
  /** The lease's length; 60 s unless a test needs a shorter one. */
  leaseSeconds?: number;
}

/**
 * How a run ended: its report (`stoppedBy` when it was stopped part-way, e.g. Ctrl-C), or the error that kept it
 * from making one.
 */
type RunOutcome = { report: Report; stoppedBy?: unknown } | { error: unknown };

/** How a run ended, as kept: `stopped` when it was stopped part-way with actions not sent. */
type EndState = Exclude<RunDocument["state"], "running">;

/** A run holding the lock. end() keeps its document, releases the lock and says how the run ended; it never throws. */
export interface Run {
  runId: string;
  /** Aborted with a RunLeaseLostError when the lease is lost: the sweep then sends no more backups. */
  signal: AbortSignal;
  end(outcome: RunOutcome): Promise<EndState>;
}

/**
 * Takes the lock for one run and keeps its document (running, then completed, stopped or failed). Throws SweepInProgressError
 * when another run holds the lock, RunLockUnavailableError when storage cannot be asked: the caller then does not sweep.
 */
export async function beginRun(options: BeginRunOptions): Promise<Run> {
  const { store, trigger } = options;
  if (store === undefined) {
    const local = takeLocalLock();
    return {
      runId: local.runId,
      signal: new AbortController().signal,
      end: async (outcome) => {
        local.release();
        return "error" in outcome ? "failed" : outcome.stoppedBy === undefined ? "completed" : "stopped";
      },
    };
  }
  const { runId, release: releaseLocal } = takeLocalLock();
  const logger = options.logger.child({ runId });
  const leaseLost = new AbortController();
  let lease;
  try {
    lease = await takeLease({
      blob: store.lock,
      runId,
      seconds: options.leaseSeconds ?? 60,
      onLost: (error) => {
        logger.error({ event: "run.leaseLost", error: { code: error.code, message: error.message } }, "the run lease was lost; this run sends no more backups");
        leaseLost.abort(error);
      },
      onRenewalFailed: (error) => logger.warn({ event: "run.leaseRenewalFailed", error: errorOf(error) }, "the run lease could not be renewed; tried again at the next renewal while it lasts"),
    });
  } catch (error) {
    releaseLocal();
    throw error;
  }
  const startedAt = new Date().toISOString();
  const keep = async (doc: RunDocument) => {
    try {
      await store.put(doc);
    } catch (error) {
      // A storage outage never stops a sweep: the report is still in the logs and the answer.
      logger.error({ event: "run.notKept", state: doc.state, error: errorOf(error) }, "the run's document could not be written to the run store");
    }
  };
  await keep({ runId, trigger, state: "running", startedAt });
  return {
    runId,
    signal: leaseLost.signal,
    async end(outcome) {
      const endedAt = new Date().toISOString();
      let doc: RunDocument & { state: EndState };
      if ("error" in outcome) {
        doc = { runId, trigger, state: "failed", startedAt, endedAt, error: errorOf(outcome.error) };
      } else {
        // A lease lost after the last write stopped nothing: the run completed.
        const stoppedBy = outcome.stoppedBy ?? (leaseLost.signal.aborted && outcome.report.actions.some((a) => a.outcome === "cancelled") ? leaseLost.signal.reason : undefined);
        doc =
          stoppedBy === undefined
            ? { runId, trigger, state: "completed", startedAt, endedAt, report: outcome.report }
            : { runId, trigger, state: "stopped", startedAt, endedAt, report: outcome.report, error: errorOf(stoppedBy) };
      }
      await keep(doc);
      await lease.release().catch((error: unknown) => logger.warn({ event: "run.lockNotReleased", error: errorOf(error) }, "the run lease could not be released; it expires by itself"));
      releaseLocal();
      return doc.state;
    },
  };
}

const errorOf = (error: unknown) => ({ code: codeOf(error), message: messageOf(error) });

function codeOf(error: unknown): string {
  if (error instanceof RetryBackupsError) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "StorageError";
}
