import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { identitySecrets, scrubber, SettingsError } from "../core/index.ts";
import { renderDoctor, runDoctor } from "../doctor/index.ts";
import { PROBLEM_TYPES, problemResponse, settingProblems } from "./problem.ts";
import { armConnectionOf, startInvocation, type FunctionDeps } from "./run.ts";

/** GET /api/doctor: the preflight's checks with the app's own identity, as JSON. Reads only. */
export async function doctorHandler(_request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  const { invocationId } = context;
  let invocation;
  try {
    invocation = startInvocation(context, "http", deps);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return problemResponse({ type: PROBLEM_TYPES.invalidSettings, status: 500, title: "The app settings are invalid", problems: settingProblems(error.problems), invocationId });
  }
  const { settings, logger, env } = invocation;
  const result = await runDoctor({ settings, arm: armConnectionOf(settings, deps) });
  logger[result.exitCode === 0 ? "info" : "warn"]({ event: "doctor.completed", exitCode: result.exitCode, failed: result.checks.filter((c) => !c.ok).map((c) => c.name) }, renderDoctor(result));
  // ARM messages are quoted in the checks; scrub them as the logs are.
  const scrub = scrubber(identitySecrets(env));
  return { status: 200, jsonBody: JSON.parse(scrub(JSON.stringify({ ...result, invocationId }))) as unknown };
}
