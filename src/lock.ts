import { randomUUID } from "node:crypto";
import { RetryBackupsError } from "./core/index.ts";

/** A sweep is already running in this process; the caller reports it instead of starting a second one. */
export class SweepInProgressError extends RetryBackupsError {
  readonly runningRunId: string;
  constructor(runningRunId: string) {
    super("SweepInProgress", `Sweep ${runningRunId} is still running on this instance; wait for it to finish (its report is logged under that runId) and try again.`);
    this.runningRunId = runningRunId;
  }
}

let running: string | undefined;

/**
 * Runs fn unless a sweep is already running in this process, so the timer and on-call HTTP requests never
 * trigger the same items twice from one instance. Across instances the Backup service itself refuses a second
 * backup of an item while one runs (reported as alreadyInProgress).
 */
export async function runExclusive<T>(fn: (runId: string) => Promise<T>): Promise<T> {
  if (running !== undefined) throw new SweepInProgressError(running);
  const runId = randomUUID();
  running = runId;
  try {
    return await fn(runId);
  } finally {
    running = undefined;
  }
}
