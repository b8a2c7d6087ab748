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

/** A run holding the lock. end() keeps its document and releases the lock; it never throws. */
export interface Run {
  runId: string;
  end(outcome: { report: Report } | { error: unknown }): Promise<void>;
}

/**
 * Takes the lock for one run and keeps its document (running, then completed or failed). Throws SweepInProgressError
 * when another run holds the lock, RunLockUnavailableError when storage cannot be asked: the caller then does not sweep.
 */
export async function beginRun(options: BeginRunOptions): Promise<Run> {
  const { store, trigger } = options;
  if (store === undefined) {
    const local = takeLocalLock();
    return { runId: local.runId, end: async () => local.release() };
  }
  const { runId, release: releaseLocal } = takeLocalLock();
  const logger = options.logger.child({ runId });
  let lease;
  try {
    lease = await takeLease({
      blob: store.lock,
      runId,
      seconds: options.leaseSeconds ?? 60,
      onLost: (error) => logger.error({ event: "run.leaseLost", error: { code: codeOf(error), message: messageOf(error) } }, "the run lease could not be renewed; another instance may start a sweep while this one finishes"),
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
      logger.error({ event: "run.notKept", state: doc.state, error: { code: codeOf(error), message: messageOf(error) } }, "the run's document could not be written to the run store");
    }
  };
  await keep({ runId, trigger, state: "running", startedAt });
  return {
    runId,
    async end(outcome) {
      const endedAt = new Date().toISOString();
      await keep(
        "report" in outcome
          ? { runId, trigger, state: "completed", startedAt, endedAt, report: outcome.report }
          : { runId, trigger, state: "failed", startedAt, endedAt, error: { code: codeOf(outcome.error), message: messageOf(outcome.error) } },
      );
      await lease.release().catch((error: unknown) => logger.warn({ event: "run.lockNotReleased", error: { code: codeOf(error), message: messageOf(error) } }, "the run lease could not be released; it expires by itself"));
      releaseLocal();
    },
  };
}

function codeOf(error: unknown): string {
  if (error instanceof RetryBackupsError) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "StorageError";
}
