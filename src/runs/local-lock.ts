import { randomUUID } from "node:crypto";
import { RetryBackupsError } from "../core/index.ts";

/** A sweep is already running (on this instance, or on another one holding the run lease). */
export class SweepInProgressError extends RetryBackupsError {
  readonly runningRunId: string;
  constructor(runningRunId: string, where = "on this instance") {
    super("SweepInProgress", `Sweep ${runningRunId} is still running ${where}; wait for it to finish (GET /api/runs/${runningRunId}, or its report in the logs under that runId) and try again.`);
    this.runningRunId = runningRunId;
  }
}

let running: string | undefined;

/**
 * The lock when no run store is configured (RETRY_RUNS_BLOB_ENDPOINT unset): one sweep at a time in this process.
 * Across instances the Backup service itself refuses a second backup of an item while one runs (alreadyInProgress).
 * Returns the run id and a release function; throws SweepInProgressError when a sweep runs here.
 */
export function takeLocalLock(): { runId: string; release: () => void } {
  if (running !== undefined) throw new SweepInProgressError(running);
  const runId = randomUUID();
  running = runId;
  return { runId, release: () => void (running = running === runId ? undefined : running) };
}
