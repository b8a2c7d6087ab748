import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import type { TokenCredential } from "@azure/core-auth";
import { connectArm, createCredential, type ArmConnection, type ArmConnectionOptions } from "../azure/index.ts";
import { identitySecrets, messageOf, RetryBackupsError, SettingsError, type Report, type RunOverrides } from "../core/index.ts";
import { createLogger, sinkDestination, type Logger, type LogLevel } from "../log.ts";
import { loadSettings, type Settings } from "../settings.ts";
import { sweep } from "../sweep.ts";
import { PROBLEM_TYPES, problemResponse, settingProblems } from "./problem.ts";

/** Test seams: the environment, and the emulator's CA and short waits. The credential is always the managed identity. */
export interface FunctionDeps {
  env?: Record<string, string | undefined>;
  tlsCa?: string;
  retry?: ArmConnectionOptions["retry"];
  operation?: ArmConnectionOptions["operation"];
  /** The run lease's length (15 to 60 s); 60 s unless a test needs a lease that runs out sooner. */
  leaseSeconds?: number;
}

type FunctionTrigger = "timer" | "http";

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

/** An HTTP invocation, or the 500 answer when the app settings are invalid: a caller cannot fix them, so they are named for whoever can. */
export function startHttpInvocation(context: InvocationContext, deps: FunctionDeps): { invocation: Invocation } | { response: HttpResponseInit } {
  try {
    return { invocation: startInvocation(context, "http", deps) };
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return { response: problemResponse({ type: PROBLEM_TYPES.invalidSettings, status: 500, title: "The app settings are invalid", problems: settingProblems(error.problems), invocationId: context.invocationId }) };
  }
}

function invocationLogger(context: InvocationContext, level: LogLevel, env: Record<string, string | undefined>): Logger {
  return createLogger({
    level,
    destination: sinkDestination(context),
    base: { invocationId: context.invocationId, functionName: context.functionName },
    secrets: identitySecrets(env),
  });
}

// One credential per identity for the life of the worker, so its token cache spans invocations.
const credentials = new Map<string, TokenCredential>();

export function managedIdentity(clientId: string | undefined): TokenCredential {
  const key = clientId ?? "";
  let credential = credentials.get(key);
  if (credential === undefined) {
    credential = createCredential({ kind: "managedIdentity", clientId });
    credentials.set(key, credential);
  }
  return credential;
}

/** The app's ARM connection: its managed identity, with the test seams. */
export function armConnectionOf(settings: Settings, deps: FunctionDeps): ArmConnection {
  return connectArm({ credential: managedIdentity(settings.clientId), endpoint: settings.armEndpoint, tlsCa: deps.tlsCa, retry: deps.retry, operation: deps.operation });
}

interface RunOptions {
  trigger: FunctionTrigger;
  runId: string;
  invocation: Invocation;
  deps: FunctionDeps;
  overrides?: RunOverrides;
  /** The run lease lost: no new trigger is admitted. */
  signal?: AbortSignal;
}

/**
 * One sweep with the managed identity. A token is fetched first: without one the run cannot happen, and that must
 * fail loudly (sweep.failed, a failed invocation) rather than show up as every query failing.
 */
export async function runSweep(options: RunOptions): Promise<Report> {
  const { settings, logger } = options.invocation;
  const runLog = logger.child({ runId: options.runId });
  try {
    const arm = armConnectionOf(settings, options.deps);
    try {
      if ((await arm.credential.getToken(arm.tokenScope)) === null) throw new Error("the credential returned no token");
    } catch (error) {
      throw new NoTokenError(arm.tokenScope, settings.clientId, error);
    }
    const report = await sweep({ trigger: options.trigger, settings, arm, logger, runId: options.runId, overrides: options.overrides, signal: options.signal });
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
