import type { InvocationContext } from "@azure/functions";
import type { TokenCredential } from "@azure/core-auth";
import { createCredential } from "../azure/credential.ts";
import { armScope } from "../azure/clients.ts";
import { RetryBackupsError, SettingsError, messageOf } from "../errors.ts";
import { createLogger, sinkDestination, type Logger } from "../log.ts";
import type { Report } from "../report.ts";
import { loadSettings, type Settings } from "../settings.ts";
import { sweep, type SweepOptions } from "../sweep.ts";
import type { SweepRequest } from "./body.ts";

/** Test seams: the environment, and the emulator's CA and short waits. The credential is always the managed identity. */
export interface FunctionDeps {
  env?: Record<string, string | undefined>;
  tlsCa?: string;
  retry?: SweepOptions["retry"];
  operation?: SweepOptions["operation"];
}

export type FunctionTrigger = "timer" | "http";

/** The managed identity gave no token: nothing can be read or written, so the run cannot happen. */
export class NoTokenError extends RetryBackupsError {
  constructor(scope: string, clientId: string | undefined, cause: unknown) {
    const identity = clientId === undefined ? "the app's system-assigned managed identity" : `the user-assigned managed identity with client id ${clientId} (AZURE_CLIENT_ID)`;
    super(
      "NoManagedIdentityToken",
      `Could not get a token for ${scope} from ${identity}: ${messageOf(cause)}. Turn on the system-assigned identity of the function app, or attach the user-assigned identity to it and set AZURE_CLIENT_ID to its client id.`,
      { cause },
    );
  }
}

export interface Invocation {
  settings: Settings;
  env: Record<string, string | undefined>;
  /** Every line carries invocationId and functionName; a run's lines also carry runId. */
  logger: Logger;
}

/** Settings are read once per invocation; bad ones are logged as sweep.failed (the on-call alert's event) and rethrown. */
export function startInvocation(context: InvocationContext, trigger: FunctionTrigger, deps: FunctionDeps): Invocation {
  const env = deps.env ?? process.env;
  try {
    const settings = loadSettings(env);
    return { settings, env, logger: invocationLogger(context, settings.logLevel, env) };
  } catch (error) {
    if (error instanceof SettingsError) {
      invocationLogger(context, "info", env).error(
        { event: "sweep.failed", trigger, error: { code: error.code, message: error.message }, problems: error.problems },
        "the app settings are invalid; no sweep ran",
      );
    }
    throw error;
  }
}

function invocationLogger(context: InvocationContext, level: Settings["logLevel"], env: Record<string, string | undefined>): Logger {
  return createLogger({
    level,
    destination: sinkDestination(context),
    base: { invocationId: context.invocationId, functionName: context.functionName },
    secrets: env.IDENTITY_HEADER === undefined ? [] : [env.IDENTITY_HEADER],
  });
}

// One credential per identity for the life of the worker, so its token cache spans invocations.
const credentials = new Map<string, TokenCredential>();

function managedIdentity(clientId: string | undefined): TokenCredential {
  const key = clientId ?? "";
  let credential = credentials.get(key);
  if (credential === undefined) {
    credential = createCredential({ kind: "managedIdentity", ...(clientId === undefined ? {} : { clientId }) });
    credentials.set(key, credential);
  }
  return credential;
}

export interface RunOptions {
  trigger: FunctionTrigger;
  runId: string;
  invocation: Invocation;
  deps: FunctionDeps;
  request?: SweepRequest;
}

/**
 * One sweep with the managed identity. A token is fetched first: without one the run cannot happen, and that must
 * fail loudly (sweep.failed, a failed invocation) rather than show up as every query failing.
 */
export async function runSweep(options: RunOptions): Promise<Report> {
  const { settings, logger } = options.invocation;
  const runLog = logger.child({ runId: options.runId });
  const request = options.request ?? {};
  try {
    const credential = managedIdentity(settings.clientId);
    const scope = armScope(settings.armEndpoint);
    try {
      if ((await credential.getToken(scope)) === null) throw new Error("the credential returned no token");
    } catch (error) {
      throw new NoTokenError(scope, settings.clientId, error);
    }
    const report = await sweep({
      trigger: options.trigger,
      settings,
      credential,
      logger,
      runId: options.runId,
      // A request may turn a dry run on, never off: RETRY_DRY_RUN=true is the admin's safety switch.
      ...(request.dryRun === true ? { dryRun: true } : {}),
      ...(request.queries === undefined ? {} : { queries: request.queries }),
      ...(request.subscriptions === undefined ? {} : { subscriptions: request.subscriptions }),
      ...(request.maxRetries === undefined ? {} : { maxRetries: request.maxRetries }),
      ...(options.deps.tlsCa === undefined ? {} : { tlsCa: options.deps.tlsCa }),
      ...(options.deps.retry === undefined ? {} : { retry: options.deps.retry }),
      ...(options.deps.operation === undefined ? {} : { operation: options.deps.operation }),
    });
    const failedQueries = report.queries.filter((q) => q.error !== undefined);
    if (report.queries.length > 0 && failedQueries.length === report.queries.length) {
      // The run happened but could read nothing (Reader missing, Resource Graph down, every rule broken): page a person.
      runLog.error(
        { event: "sweep.failed", trigger: options.trigger, error: { code: "NoQuerySucceeded", message: failedQueries.map((q) => `${q.name}: ${q.error?.code ?? ""} ${q.error?.message ?? ""}`).join("; ") } },
        "no query could be run; nothing was retried",
      );
    }
    return report;
  } catch (error) {
    // A run narrowed outside RETRY_SUBSCRIPTIONS is the caller's mistake (HTTP 400), not a run that could not happen.
    if (!(error instanceof SettingsError)) {
      const code = error instanceof RetryBackupsError ? error.code : "SweepFailed";
      runLog.error({ event: "sweep.failed", trigger: options.trigger, error: { code, message: messageOf(error) } }, "the sweep could not run");
    }
    throw error;
  }
}
