import type { HttpResponseInit } from "@azure/functions";

/** One thing wrong with a request or the app, named by the field (body field, header or app setting) it concerns. */
export interface Problem {
  field: string;
  message: string;
}

export const PROBLEM_TYPES = {
  invalidRequest: "urn:retry-failed-backups:problem:invalid-request",
  sweepInProgress: "urn:retry-failed-backups:problem:sweep-in-progress",
  invalidSettings: "urn:retry-failed-backups:problem:invalid-settings",
  noToken: "urn:retry-failed-backups:problem:no-token",
  sweepFailed: "urn:retry-failed-backups:problem:sweep-failed",
  paused: "urn:retry-failed-backups:problem:paused",
  runLockUnavailable: "urn:retry-failed-backups:problem:run-lock-unavailable",
  runNotFound: "urn:retry-failed-backups:problem:run-not-found",
  noRunStore: "urn:retry-failed-backups:problem:no-run-store",
  runStoreUnavailable: "urn:retry-failed-backups:problem:run-store-unavailable",
  invalidContinuation: "urn:retry-failed-backups:problem:invalid-continuation",
} as const;

export interface ProblemInit {
  type: (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];
  status: number;
  title: string;
  detail?: string;
  problems?: Problem[];
  /** Finds this request's log lines in Application Insights. */
  invocationId: string;
  runningRunId?: string;
}

/** An RFC 7807 problem response; never a stack trace. `retryAfterSeconds` tells the caller when to try again. */
export function problemResponse(init: ProblemInit, retryAfterSeconds?: number): HttpResponseInit {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
  return { status: init.status, headers, jsonBody: init };
}

/** SettingsError problems read `NAME="value" message.`; the setting's name becomes the field. */
export function settingProblems(problems: readonly string[]): Problem[] {
  return problems.map((p) => {
    const match = /^([A-Z][A-Z0-9_]*)=/.exec(p);
    return { field: match?.[1] ?? "settings", message: p };
  });
}
