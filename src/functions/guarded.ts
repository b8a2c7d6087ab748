import type { Report } from "../core/index.ts";
import { beginRun, createRunStore, type RunStore } from "../runs/index.ts";
import type { Settings } from "../settings.ts";
import { managedIdentity, runSweep, type FunctionDeps, type Invocation } from "./run.ts";

/** The run store at RETRY_RUNS_BLOB_ENDPOINT with the app's managed identity; undefined when the setting is empty. */
export function runStoreOf(settings: Settings): RunStore | undefined {
  return settings.runsEndpoint === undefined ? undefined : createRunStore({ endpoint: settings.runsEndpoint, credential: managedIdentity(settings.clientId) });
}

interface GuardedOptions {
  trigger: "timer" | "http";
  invocation: Invocation;
  deps: FunctionDeps;
  store: RunStore | undefined;
  overrides?: Parameters<typeof runSweep>[0]["overrides"];
}

/**
 * Takes the run lock (throws SweepInProgressError or RunLockUnavailableError before anything is written), then
 * starts the sweep; `done` settles when the run has ended and its document is kept.
 */
export async function startGuardedSweep(options: GuardedOptions): Promise<{ runId: string; done: Promise<Report> }> {
  const run = await beginRun({ store: options.store, trigger: options.trigger, logger: options.invocation.logger, leaseSeconds: options.deps.leaseSeconds });
  const done = runSweep({ trigger: options.trigger, runId: run.runId, invocation: options.invocation, deps: options.deps, overrides: options.overrides, signal: run.signal }).then(
    async (report) => {
      await run.end({ report });
      return report;
    },
    async (error: unknown) => {
      await run.end({ error });
      throw error;
    },
  );
  return { runId: run.runId, done };
}
