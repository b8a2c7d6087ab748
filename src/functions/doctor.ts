import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { identitySecrets, scrubber } from "../core/index.ts";
import { renderDoctor, runDoctor } from "../doctor/index.ts";
import { armConnectionOf, startHttpInvocation, type FunctionDeps } from "./run.ts";

/** GET /api/doctor: the preflight's checks with the app's own identity, as JSON. Reads only. */
export async function doctorHandler(_request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  const { invocationId } = context;
  const started = startHttpInvocation(context, deps);
  if ("response" in started) return started.response;
  const { settings, logger, env } = started.invocation;
  const result = await runDoctor({ settings, arm: armConnectionOf(settings, deps) });
  logger[result.exitCode === 0 ? "info" : "warn"]({ event: "doctor.completed", exitCode: result.exitCode, failed: result.checks.filter((c) => !c.ok).map((c) => c.name) }, renderDoctor(result));
  // ARM messages are quoted in the checks; scrub them as the logs are.
  const scrub = scrubber(identitySecrets(env));
  return { status: 200, jsonBody: JSON.parse(scrub(JSON.stringify({ ...result, invocationId }))) as unknown };
}
