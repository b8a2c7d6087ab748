import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { identitySecrets, messageOf, scrubber, SettingsError, type Report } from "../core/index.ts";
import { runExclusive, SweepInProgressError } from "../lock.ts";
import { listQueryNames } from "../queries/index.ts";
import { parseSweepRequest } from "./body.ts";
import { PROBLEM_TYPES, problemResponse, settingProblems } from "./problem.ts";
import { NoTokenError, runSweep, startInvocation, type FunctionDeps, type Invocation } from "./run.ts";

/** POST /api/sweep for on-call engineers: 200 with the report, or a problem body naming everything wrong. */
export async function httpHandler(request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  const { invocationId } = context;
  let invocation: Invocation;
  try {
    invocation = startInvocation(context, "http", deps);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // The caller cannot fix app settings: a server-side misconfiguration, named so the reader knows what to change.
    return problemResponse({ type: PROBLEM_TYPES.invalidSettings, status: 500, title: "The app settings are invalid", problems: settingProblems(error.problems), invocationId });
  }
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

  try {
    const report = await runExclusive((runId) => runSweep({ trigger: "http", runId, invocation, deps, overrides: body.value }));
    return { status: 200, jsonBody: JSON.parse(scrub(JSON.stringify(report))) as Report };
  } catch (error) {
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
