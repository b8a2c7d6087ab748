import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { messageOf } from "../core/index.ts";
import { InvalidContinuationError, RUN_ID, type RunStore } from "../runs/index.ts";
import { runStoreOf } from "./guarded.ts";
import { PROBLEM_TYPES, problemResponse } from "./problem.ts";
import { startHttpInvocation, type FunctionDeps } from "./run.ts";

const PAGE_SIZE = 20;

/** GET /api/runs/{runId}: the run's state while it runs, its report when done. */
export async function runHandler(request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  return withStore(context, deps, async (store) => {
    const runId = request.params.runId ?? "";
    const doc = RUN_ID.test(runId) ? await store.get(runId) : undefined;
    if (doc === undefined) {
      return problemResponse({ type: PROBLEM_TYPES.runNotFound, status: 404, title: "No such run", detail: `No run ${JSON.stringify(runId)} is kept; GET /api/runs lists the recent ones (kept for RETRY_RUNS_RETENTION_DAYS).`, invocationId: context.invocationId });
    }
    return { status: 200, headers: doc.state === "running" ? { "retry-after": "10" } : ({} as Record<string, string>), jsonBody: doc };
  });
}

/** GET /api/runs: recent runs, newest first, a page at a time; `next` is the link to the following page. */
export async function runsHandler(request: HttpRequest, context: InvocationContext, deps: FunctionDeps = {}): Promise<HttpResponseInit> {
  return withStore(context, deps, async (store) => {
    const continuation = request.query.get("continuation") ?? undefined;
    let page;
    try {
      page = await store.list({ pageSize: PAGE_SIZE, continuation });
    } catch (error) {
      // The caller's mistake, not the store's: 400, and no Retry-After, since the same token fails the same way.
      if (!(error instanceof InvalidContinuationError)) throw error;
      return problemResponse({ type: PROBLEM_TYPES.invalidContinuation, status: 400, title: "Invalid continuation", detail: "continuation is not a token a GET /api/runs page handed out (mistyped, cut short or from another listing); start again from GET /api/runs and follow its next links as given.", problems: [{ field: "continuation", message: error.message }], invocationId: context.invocationId });
    }
    const next = page.continuation === undefined ? undefined : `/api/runs?continuation=${encodeURIComponent(page.continuation)}`;
    return { status: 200, jsonBody: next === undefined ? { runs: page.runs } : { runs: page.runs, next } };
  });
}

async function withStore(context: InvocationContext, deps: FunctionDeps, answer: (store: RunStore) => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  const { invocationId } = context;
  const started = startHttpInvocation(context, deps);
  if ("response" in started) return started.response;
  const { invocation } = started;
  const store = runStoreOf(invocation.settings);
  if (store === undefined) {
    return problemResponse({ type: PROBLEM_TYPES.noRunStore, status: 404, title: "No run history is kept", detail: "Set RETRY_RUNS_BLOB_ENDPOINT to the blob endpoint of the app's storage account (the Bicep deployment does) to keep every run's report.", invocationId });
  }
  try {
    return await answer(store);
  } catch (error) {
    invocation.logger.error({ event: "runs.unavailable", error: { message: messageOf(error) } }, "the run store could not be read");
    return problemResponse({ type: PROBLEM_TYPES.runStoreUnavailable, status: 503, title: "The run store could not be read", detail: messageOf(error), invocationId }, 60);
  }
}
