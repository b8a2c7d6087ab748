import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { identitySecrets, messageOf, scrubber, SettingsError, type Report } from "../core/index.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { listQueryNames } from "../queries/index.ts";
import { RunLockUnavailableError, SweepInProgressError } from "../runs/index.ts";
import { parseSweepRequest } from "./body.ts";
import { PROBLEM_TYPES, problemResponse } from "./problem.ts";
import { runStoreOf, startGuardedSweep } from "./guarded.ts";
import { NoTokenError, startHttpInvocation, type FunctionDeps } from "./run.ts";

/** Azure's front end ends a request after 230 s; a caller may wait at most this long before the answer is 202. */
const MAX_WAIT_SECONDS = 200;
const DEFAULT_WAIT_SECONDS = 30;

/**
 * POST /api/sweep for on-call engineers: 200 with the report when the run ends within ?wait=N seconds, 202 with
 * Location: /api/runs/{runId} otherwise (with a run store), or a problem body naming everything wrong.
 */
export async function httpHandler(request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  const { invocationId } = context;
  const started = startHttpInvocation(context, deps);
  if ("response" in started) return started.response;
  const { invocation } = started;
  const { settings, logger, env } = invocation;
  if (settings.paused) {
    const detail = "RETRY_PAUSED is true: the app runs no sweep until it is set to false (README \"Pause and resume\").";
    logger.warn({ event: "http.rejected", status: 503 }, detail);
    return problemResponse({ type: PROBLEM_TYPES.paused, status: 503, title: "The app is paused", detail, invocationId });
  }
  // ARM error messages land in the report verbatim; scrub them as the logs are, in case one quotes a header.
  const scrub = scrubber(identitySecrets(env));

  const body = await parseSweepRequest(request, { knownQueries: () => listQueryNames(settings.queriesDir).catch(() => undefined) });
  if (!body.ok) {
    logger.warn({ event: "http.rejected", status: 400, problems: body.problems }, "invalid sweep request");
    return problemResponse({ type: PROBLEM_TYPES.invalidRequest, status: 400, title: "The sweep request is invalid", problems: body.problems, invocationId });
  }

  const wait = waitOf(request.query.get("wait"));
  if (wait === undefined) {
    const problems = [{ field: "wait", message: `must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}, got ${JSON.stringify(request.query.get("wait"))}` }];
    logger.warn({ event: "http.rejected", status: 400, problems }, "invalid sweep request");
    return problemResponse({ type: PROBLEM_TYPES.invalidRequest, status: 400, title: "The sweep request is invalid", problems, invocationId });
  }

  try {
    const store = runStoreOf(settings);
    const { runId, done } = await startGuardedSweep({ trigger: "http", invocation, deps, store, overrides: body.value });
    // Without a run store there is nowhere to look the run up later: answer when it ends, as before.
    if (store !== undefined) {
      const ended = await Promise.race([done.then(() => true), sleep(wait * 1000, false, { ref: false })]);
      if (!ended) {
        // Still running: its end (and failure) is logged and kept by the run itself.
        done.catch(() => undefined);
        logger.info({ event: "http.accepted", runId, waitSeconds: wait }, "sweep still running; answered 202");
        return { status: 202, headers: { location: `/api/runs/${runId}`, "retry-after": "10" }, jsonBody: { runId, state: "running", location: `/api/runs/${runId}` } };
      }
    }
    const report = await done;
    return { status: 200, jsonBody: JSON.parse(scrub(JSON.stringify(report))) as Report };
  } catch (error) {
    if (error instanceof RunLockUnavailableError) {
      logger.error({ event: "sweep.failed", trigger: "http", error: { code: error.code, message: error.message } }, "the run lock could not be taken; no sweep ran");
      return problemResponse({ type: PROBLEM_TYPES.runLockUnavailable, status: 503, title: "The run lock could not be taken; no sweep ran", detail: error.message, invocationId }, 60);
    }
    if (error instanceof SweepInProgressError) {
      logger.warn({ event: "http.rejected", status: 409, runningRunId: error.runningRunId }, error.message);
      return problemResponse({ type: PROBLEM_TYPES.sweepInProgress, status: 409, title: "A sweep is already running", detail: error.message, runningRunId: error.runningRunId, invocationId });
    }
    if (error instanceof SettingsError) {
      // The sweep's one request-time SettingsError: subscriptions outside RETRY_SUBSCRIPTIONS.
      const problems = error.problems.map((message) => ({ field: "subscriptions", message }));
      logger.warn({ event: "http.rejected", status: 400, problems }, "invalid sweep request");
      return problemResponse({ type: PROBLEM_TYPES.invalidRequest, status: 400, title: "The sweep request is invalid", problems, invocationId });
    }
    // Logged as sweep.failed by runSweep; the answer carries the reason without a stack, scrubbed like the logs.
    const detail = scrub(messageOf(error));
    if (error instanceof NoTokenError) {
      return problemResponse({ type: PROBLEM_TYPES.noToken, status: 500, title: "The app could not get a token for its managed identity", detail, invocationId });
    }
    return problemResponse({ type: PROBLEM_TYPES.sweepFailed, status: 500, title: "The sweep failed", detail, invocationId });
  }
}

function waitOf(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return DEFAULT_WAIT_SECONDS;
  if (!/^\d+$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  return seconds <= MAX_WAIT_SECONDS ? seconds : undefined;
}
