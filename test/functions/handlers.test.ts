// The Azure Functions adapters, invoked as the host would: the library's own InvocationContext and HttpRequest,
// the real ManagedIdentityCredential and SDK clients against the local ARM. Assertions are on the responses, on
// what crossed the wire, and on every line that reached the invocation's log handler.
import { randomUUID } from "node:crypto";
import { format } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit, type LogLevel, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { httpHandler } from "../../src/functions/http.ts";
import { timerHandler } from "../../src/functions/timer.ts";
import type { FunctionDeps } from "../../src/functions/run.ts";
import { MAX_BODY_BYTES } from "../../src/functions/body.ts";
import { type Report } from "../../src/core/index.ts";
import { accountingHolds } from "../../src/report/index.ts";
import { FAST_OPERATION, FAST_RETRY, items, failedJob, useHarness, SUBS } from "../support/harness.ts";
import { expectNoSecrets } from "../support/wire.ts";

interface Captured {
  level: LogLevel;
  args: unknown[];
}

const h = useHarness({}, (t) => {
  t.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1 });
});

function deps(env: Record<string, string> = {}): FunctionDeps {
  return {
    env: { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, RETRY_SCHEDULE: "0 15 * * * *", LOG_LEVEL: "debug", ...env },
    tlsCa: h.emulator.ca,
    retry: FAST_RETRY,
    operation: FAST_OPERATION,
  };
}

function invocation(functionName: string): { context: InvocationContext; lines: Captured[] } {
  const lines: Captured[] = [];
  const context = new InvocationContext({ invocationId: randomUUID(), functionName, logHandler: (level, ...args) => void lines.push({ level, args }) });
  return { context, lines };
}

/** What the host stores as the trace's message: the worker formats the arguments with util.format. */
const hostText = (line: Captured) => format(...line.args);
const record = (line: Captured) => line.args[0] as Record<string, unknown>;
const events = (lines: Captured[]) => lines.map((l) => record(l).event);
const find = (lines: Captured[], event: string) => lines.find((l) => record(l).event === event);

function timer(isPastDue: boolean): Timer {
  return { isPastDue, schedule: { adjustForDST: true }, scheduleStatus: { last: "2026-11-21T09:15:00.000Z", next: "2026-11-21T10:15:00.000Z", lastUpdated: "2026-11-21T09:15:00.000Z" } };
}

function post(body?: string, headers: Record<string, string> = { "content-type": "application/json" }): HttpRequest {
  return new HttpRequest({ method: "POST", url: "http://localhost/api/sweep", headers, ...(body === undefined ? {} : { body: { string: body } }) });
}

/** The response as the host sends it. */
async function send(result: HttpResponseInit): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const response = new HttpResponse(result);
  return { status: response.status, contentType: response.headers.get("content-type"), json: (await response.json()) as Record<string, unknown> };
}

const triggers = () => h.emulator.requests.filter((r) => r.method === "POST" && (r.kind === "rs.trigger" || r.kind === "dp.trigger"));
const armCalls = () => h.emulator.requests.filter((r) => r.kind !== "msi");

/** Every line went through the invocation's handler as one structured object whose host text is the same JSON. */
function expectBridged(lines: Captured[], context: InvocationContext) {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line.args).toHaveLength(1);
    expect(record(line)).toMatchObject({ invocationId: context.invocationId, functionName: context.functionName });
    expect(JSON.parse(hostText(line))).toEqual({ ...record(line) });
  }
}

async function seedTwoVms(): Promise<string[]> {
  const ids = [items.vm(SUBS.a, "vm-1"), items.vm(SUBS.b, "vm-2")];
  await h.failedJobs("recovery-services", ids.map((id, i) => failedJob([SUBS.a, SUBS.b][i]!, id)));
  return ids;
}

describe("timer trigger", () => {
  it("sweeps, triggers each item once and logs the summary, every line on the invocation with its runId", async () => {
    const ids = await seedTwoVms();
    const { context, lines } = invocation("retryFailedBackups");
    await expect(timerHandler(timer(false), context, deps())).resolves.toBeUndefined();

    expect(triggers().map((r) => r.itemId?.toLowerCase()).sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expectBridged(lines, context);
    const runIds = new Set(lines.map((l) => record(l).runId));
    expect(runIds.size).toBe(1);
    expect([...runIds][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(events(lines)[0]).toBe("timer.fired");
    expect(record(find(lines, "timer.fired")!)).toMatchObject({ isPastDue: false });
    expect(events(lines)).toEqual(expect.arrayContaining(["sweep.started", "query.completed", "retry.triggered", "sweep.completed", "sweep.summary"]));
    const summary = find(lines, "sweep.summary")!;
    expect(summary.level).toBe("information");
    expect(record(summary)).toMatchObject({ totals: { rows: 2, actions: 2, triggered: 2, failed: 0 }, subscriptions: [{ subscriptionId: SUBS.a, triggered: 1 }, { subscriptionId: SUBS.b, triggered: 1 }] });
    expect(events(lines)).not.toContain("sweep.failed");
    expectNoSecrets(h.emulator, lines.map(hostText));
  });

  it("logs a past-due tick, and a run with failed actions is a warning, not a failed invocation", async () => {
    await seedTwoVms();
    h.emulator.denySubscription(SUBS.b);
    const { context, lines } = invocation("retryFailedBackups");
    await expect(timerHandler(timer(true), context, deps())).resolves.toBeUndefined();

    expect(record(find(lines, "timer.fired")!)).toMatchObject({ isPastDue: true });
    expect(find(lines, "timer.fired")!.level).toBe("information");
    const failed = find(lines, "retry.failed")!;
    expect(failed.level).toBe("error");
    expect(record(failed)).toMatchObject({ subscriptionId: SUBS.b, error: { code: "AuthorizationFailed" } });
    const summary = find(lines, "sweep.summary")!;
    expect(summary.level).toBe("warning");
    expect(record(summary)).toMatchObject({ totals: { triggered: 1, failed: 1 } });
    expectBridged(lines, context);
  });

  it("fails the invocation when the settings are invalid, says which, and calls nothing", async () => {
    const { context, lines } = invocation("retryFailedBackups");
    await expect(timerHandler(timer(false), context, deps({ RETRY_CONCURRENCY: "0", RETRY_DRY_RUN: "maybe" }))).rejects.toMatchObject({ code: "InvalidSettings" });
    expect(h.emulator.requests).toEqual([]);
    const failed = find(lines, "sweep.failed")!;
    expect(failed.level).toBe("error");
    expect(record(failed).problems).toEqual([expect.stringMatching(/^RETRY_CONCURRENCY="0"/), expect.stringMatching(/^RETRY_DRY_RUN="maybe"/)]);
    expectBridged(lines, context);
  });

  it("fails the invocation when the managed identity gives no token, before any ARM call", async () => {
    await seedTwoVms();
    const clientId = "0f0f0f0f-1111-4222-8333-444444444444";
    h.emulator.configure({ knownClientIds: [randomUUID()] });
    const { context, lines } = invocation("retryFailedBackups");
    try {
      await expect(timerHandler(timer(false), context, deps({ AZURE_CLIENT_ID: clientId }))).rejects.toMatchObject({ code: "NoManagedIdentityToken" });
    } finally {
      h.emulator.configure({ knownClientIds: undefined });
    }
    expect(h.emulator.requests.filter((r) => r.kind === "msi").map((r) => r.query.client_id)).toContain(clientId);
    expect(armCalls()).toEqual([]);
    const failed = find(lines, "sweep.failed")!;
    expect(record(failed)).toMatchObject({ error: { code: "NoManagedIdentityToken" }, runId: expect.any(String) });
    expect(String((record(failed).error as { message: string }).message)).toContain(clientId);
    expectNoSecrets(h.emulator, lines.map(hostText));
  });
});

describe("HTTP trigger", () => {
  it("answers a dry run with the report and writes nothing", async () => {
    await seedTwoVms();
    const { context, lines } = invocation("sweep");
    const response = await send(await httpHandler(post('{"dryRun": true}'), context, deps()));

    expect(response.status).toBe(200);
    expect(response.contentType).toBe("application/json");
    const report = response.json as unknown as Report;
    expect(report).toMatchObject({ trigger: "http", dryRun: true, totals: { rows: 2, actions: 2, dryRun: 2, triggered: 0 } });
    expect(accountingHolds(report)).toBe(true);
    expect(triggers()).toEqual([]);
    expect(h.emulator.requests.filter((r) => r.kind === "arg")).toHaveLength(1);
    expectBridged(lines, context);
    expect(lines.every((l) => record(l).runId === report.runId)).toBe(true);
  });

  it("cannot turn RETRY_DRY_RUN off: dryRun false in the body still writes nothing", async () => {
    await seedTwoVms();
    const response = await send(await httpHandler(post('{"dryRun": false}'), invocation("sweep").context, deps({ RETRY_DRY_RUN: "true" })));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ dryRun: true, totals: { dryRun: 2 } });
    expect(triggers()).toEqual([]);
  });

  it("runs every query with the defaults for an empty body, whatever its content type", async () => {
    await seedTwoVms();
    await h.failedJobs("backup-vault", [failedJob(SUBS.c, items.dp(SUBS.c, "disk-1"))]);
    h.emulator.addItems([{ itemId: items.dp(SUBS.c, "disk-1") }]);
    const response = await send(await httpHandler(post(undefined, {}), invocation("sweep").context, deps()));
    expect(response.status).toBe(200);
    expect((response.json as unknown as Report).queries.map((q) => q.name)).toEqual(["backup-vault", "recovery-services"]);
    expect(triggers()).toHaveLength(3);
  });

  it("narrows a run to the named queries and subscriptions, with at most maxRetries backups", async () => {
    const inA = [items.vm(SUBS.a, "vm-a1"), items.vm(SUBS.a, "vm-a2")];
    const marker = await h.failedJobs("recovery-services", [...inA.map((id) => failedJob(SUBS.a, id)), failedJob(SUBS.b, items.vm(SUBS.b, "vm-b1"))]);
    const other = await h.failedJobs("other-rule", [failedJob(SUBS.a, items.vm(SUBS.a, "vm-other"))]);
    const body = JSON.stringify({ queries: ["recovery-services"], subscriptions: [SUBS.a.toUpperCase()], maxRetries: 1 });
    const response = await send(await httpHandler(post(body), invocation("sweep").context, deps()));

    expect(response.status).toBe(200);
    const report = response.json as unknown as Report;
    const arg = h.emulator.requests.filter((r) => r.kind === "arg");
    expect(arg.length).toBeGreaterThan(0);
    for (const request of arg) {
      const sent = request.body as { query: string; subscriptions: string[] };
      expect(sent.query).toContain(marker);
      expect(sent.query).not.toContain(other);
      expect(sent.subscriptions).toEqual([SUBS.a]);
    }
    expect(report.queries.map((q) => q.name)).toEqual(["recovery-services"]);
    expect(triggers()).toHaveLength(1);
    expect(triggers()[0]!.subscriptionId?.toLowerCase()).toBe(SUBS.a);
    expect(report.totals).toMatchObject({ triggered: 1, deferred: 1 });
    expect(report.actions.every((a) => a.subscriptionId.toLowerCase() === SUBS.a)).toBe(true);
  });

  const tooMany = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  const badRequests: [string, HttpRequest, Record<string, RegExp>][] = [
    ["an unknown field", post('{"dryrun": true, "force": 1}'), { dryrun: /not a known field/, force: /not a known field/ }],
    [
      "wrong types",
      post('{"dryRun": "yes", "queries": "recovery-services", "subscriptions": [42], "maxRetries": 0}'),
      { dryRun: /true or false/, queries: /list of query names/, "subscriptions[0]": /subscription id/, maxRetries: /whole number from 1 to 100000/ },
    ],
    ["a fractional maxRetries", post('{"maxRetries": 2.5}'), { maxRetries: /whole number/ }],
    ["unknown and malformed query names", post('{"queries": ["recovery-services", "no-such-rule", "../etc/passwd"]}'), { "queries[1]": /"no-such-rule" is not a query in the queries folder; known queries: recovery-services/, "queries[2]": /is not a query name/ }],
    ["an empty query list", post('{"queries": []}'), { queries: /at least one query/ }],
    ["malformed subscription ids", post(`{"subscriptions": ["${SUBS.a}", "not-a-guid", "${SUBS.b}x"]}`), { "subscriptions[1]": /"not-a-guid" is not a subscription id/, "subscriptions[2]": /is not a subscription id/ }],
    ["more than 1000 subscriptions", post(JSON.stringify({ subscriptions: tooMany })), { subscriptions: /at most 1000/ }],
    ["a body over 64 KB", post(JSON.stringify({ dryRun: true, pad: "x".repeat(MAX_BODY_BYTES) })), { body: /at most 65536 bytes/ }],
    ["a declared length over 64 KB", post("{}", { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) }), { body: /10485760 bytes/ }],
    ["malformed JSON", post('{"dryRun": tru'), { body: /not valid JSON/ }],
    ["a form body", post("dryRun=true", { "content-type": "application/x-www-form-urlencoded" }), { "Content-Type": /must be application\/json.*application\/x-www-form-urlencoded/ }],
    ["a JSON body without a JSON content type", post('{"dryRun": true}', {}), { "Content-Type": /got "text\/plain"/ }],
    ["an array", post("[]"), { body: /must be a JSON object.*an array/ }],
    ["a prototype key", post('{"__proto__": {"dryRun": true}, "constructor": {"prototype": {"polluted": true}}, "dryRun": true}'), { ["__proto__"]: /not allowed/, constructor: /not allowed/, prototype: /not allowed/ }],
  ];

  it.each(badRequests)("answers 400 naming every problem for %s, and calls nothing", async (_name, request, expected) => {
    await h.failedJobs("recovery-services", [failedJob(SUBS.a, items.vm(SUBS.a, "vm-1"))]);
    const { context, lines } = invocation("sweep");
    const response = await send(await httpHandler(request, context, deps()));

    expect(response.status).toBe(400);
    expect(response.contentType).toBe("application/problem+json");
    expect(response.json).toMatchObject({ status: 400, title: "The sweep request is invalid", type: expect.stringContaining("invalid-request"), invocationId: context.invocationId });
    const problems = response.json.problems as { field: string; message: string }[];
    expect(problems.map((p) => p.field).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, message] of Object.entries(expected)) expect(problems.find((p) => p.field === field)?.message).toMatch(message);
    expect(JSON.stringify(response.json)).not.toMatch(/\n\s+at /);
    expect(h.emulator.requests).toEqual([]);
    expect(record(find(lines, "http.rejected")!)).toMatchObject({ status: 400, invocationId: context.invocationId });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).dryRun).toBeUndefined();
  });

  it("answers 400 for a body that is not UTF-8", async () => {
    const request = new HttpRequest({ method: "POST", url: "http://localhost/api/sweep", headers: { "content-type": "application/json" }, body: { bytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) } });
    const response = await send(await httpHandler(request, invocation("sweep").context, deps()));
    expect(response.status).toBe(400);
    expect(response.json.problems).toEqual([{ field: "body", message: expect.stringMatching(/not UTF-8/) }]);
  });

  it("answers 400 for subscriptions outside RETRY_SUBSCRIPTIONS and sends no Resource Graph query", async () => {
    await seedTwoVms();
    const response = await send(await httpHandler(post(JSON.stringify({ subscriptions: [SUBS.b] })), invocation("sweep").context, deps({ RETRY_SUBSCRIPTIONS: SUBS.a })));
    expect(response.status).toBe(400);
    expect(response.json.problems).toEqual([{ field: "subscriptions", message: expect.stringContaining(`${SUBS.b} are outside RETRY_SUBSCRIPTIONS`) }]);
    expect(armCalls()).toEqual([]);
  });

  it("answers 409 with the running run's id to a second request while a sweep runs, and triggers each item once", async () => {
    const ids = await seedTwoVms();
    h.emulator.fault({ kind: "rs.trigger", respond: { delayMs: 500 } });
    const first = httpHandler(post("{}"), invocation("sweep").context, deps());
    for (let i = 0; i < 500 && triggers().length === 0; i += 1) await sleep(10);
    expect(triggers().length).toBeGreaterThan(0);

    const { context, lines } = invocation("sweep");
    const second = await send(await httpHandler(post("{}"), context, deps()));
    const timerTick = invocation("retryFailedBackups");
    await expect(timerHandler(timer(false), timerTick.context, deps())).resolves.toBeUndefined();
    const done = await send(await first);

    expect(done.status).toBe(200);
    const runId = (done.json as unknown as Report).runId;
    expect(second.status).toBe(409);
    expect(second.contentType).toBe("application/problem+json");
    expect(second.json).toMatchObject({ status: 409, title: "A sweep is already running", runningRunId: runId, type: expect.stringContaining("sweep-in-progress") });
    expect(record(find(lines, "http.rejected")!)).toMatchObject({ status: 409, runningRunId: runId });
    const skipped = find(timerTick.lines, "sweep.skipped")!;
    expect(skipped.level).toBe("warning");
    expect(record(skipped)).toMatchObject({ runningRunId: runId, invocationId: timerTick.context.invocationId });
    expect(triggers().map((r) => r.itemId?.toLowerCase()).sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expect(h.emulator.requests.filter((r) => r.kind === "arg")).toHaveLength(1);

    // The lock is released with the run.
    const third = await send(await httpHandler(post('{"dryRun": true}'), invocation("sweep").context, deps()));
    expect(third.status).toBe(200);
  });

  it("answers 500 naming each bad app setting, without a stack", async () => {
    const { context, lines } = invocation("sweep");
    const response = await send(await httpHandler(post('{"dryRun": true}'), context, deps({ RETRY_SUBSCRIPTIONS: "nope", AZURE_RESOURCE_MANAGER_ENDPOINT: "http://insecure" })));
    expect(response.status).toBe(500);
    expect(response.contentType).toBe("application/problem+json");
    expect(response.json).toMatchObject({ status: 500, title: "The app settings are invalid", type: expect.stringContaining("invalid-settings") });
    expect((response.json.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(["AZURE_RESOURCE_MANAGER_ENDPOINT", "RETRY_SUBSCRIPTIONS"]);
    expect(JSON.stringify(response.json)).not.toMatch(/\n\s+at |\.ts:\d+/);
    expect(h.emulator.requests).toEqual([]);
    expect(record(find(lines, "sweep.failed")!)).toMatchObject({ error: { code: "InvalidSettings" } });
  });

  it("answers 500 when the managed identity gives no token, without leaking the identity header", async () => {
    h.emulator.configure({ knownClientIds: [randomUUID()] });
    const clientId = "0f0f0f0f-5555-4666-8777-888888888888";
    try {
      const { context, lines } = invocation("sweep");
      const response = await send(await httpHandler(post("{}"), context, deps({ AZURE_CLIENT_ID: clientId })));
      expect(response.status).toBe(500);
      expect(response.json).toMatchObject({ title: "The app could not get a token for its managed identity", detail: expect.stringContaining(clientId) });
      expect(armCalls()).toEqual([]);
      expectNoSecrets(h.emulator, [JSON.stringify(response.json), ...lines.map(hostText)]);
    } finally {
      h.emulator.configure({ knownClientIds: undefined });
    }
  });
});

describe("paused (RETRY_PAUSED=true)", () => {
  it("a timer tick logs sweep.paused, reads and writes nothing, and succeeds", async () => {
    await seedTwoVms();
    const { context, lines } = invocation("retryFailedBackups");
    await timerHandler(timer(true), context, deps({ RETRY_PAUSED: "true" }));
    expect(h.emulator.requests).toEqual([]);
    expect(events(lines)).toEqual(["sweep.paused"]);
    expect(record(find(lines, "sweep.paused")!)).toMatchObject({ trigger: "timer", isPastDue: true });
    expectBridged(lines, context);
  });

  it("an HTTP sweep answers 503 problem+json saying the app is paused and how to resume, and runs nothing", async () => {
    await seedTwoVms();
    const { context, lines } = invocation("sweep");
    const response = await send(await httpHandler(post("{}"), context, deps({ RETRY_PAUSED: "true" })));
    expect(response.status).toBe(503);
    expect(response.contentType).toBe("application/problem+json");
    expect(response.json).toEqual({
      type: "urn:retry-failed-backups:problem:paused",
      status: 503,
      title: "The app is paused",
      detail: expect.stringContaining("RETRY_PAUSED is true"),
      invocationId: context.invocationId,
    });
    expect(h.emulator.requests).toEqual([]);
    expect(record(find(lines, "http.rejected")!)).toMatchObject({ status: 503 });
  });

  it("resumes with RETRY_PAUSED=false", async () => {
    await seedTwoVms();
    const response = await send(await httpHandler(post('{"dryRun": true}'), invocation("sweep").context, deps({ RETRY_PAUSED: "false" })));
    expect(response.status).toBe(200);
  });
});

describe("logs", () => {
  it("keep tokens, Authorization and IDENTITY_HEADER out of every line and the report, even when ARM echoes them", async () => {
    await seedTwoVms();
    // Warm the credential's cache, so the token of the next run is known here.
    await httpHandler(post('{"dryRun": true}'), invocation("sweep").context, deps());
    const token = h.emulator.tokens.at(-1)!;
    const echo = `Authorization: Bearer ${token}; x-identity-header: ${h.emulator.identityHeader}`;
    h.emulator.fault({ kind: "rs.trigger", respond: { status: 400, body: { error: { code: "BadRequest", message: echo } } } });

    const { context, lines } = invocation("sweep");
    const response = await send(await httpHandler(post("{}"), context, deps({ LOG_LEVEL: "trace" })));
    expect(response.status).toBe(200);
    const report = response.json as unknown as Report;
    expect(report.totals.failed).toBe(2);
    expect(report.actions[0]!.error?.message).toContain("[Redacted]");
    const failed = lines.filter((l) => record(l).event === "retry.failed");
    expect(failed).toHaveLength(2);
    expect(hostText(failed[0]!)).toContain("[Redacted]");
    // The echo really crossed the wire: the emulator answered with the secrets in it.
    expect(h.emulator.requests.some((r) => r.kind === "rs.trigger" && r.headers.authorization === `Bearer ${token}`)).toBe(true);
    expectNoSecrets(h.emulator, [JSON.stringify(response.json), ...lines.map(hostText), ...lines.map((l) => JSON.stringify(l.args))]);
    expectBridged(lines, context);
  });

  it("send each level to the matching method of the invocation's log", async () => {
    await seedTwoVms();
    const { context, lines } = invocation("sweep");
    await httpHandler(post('{"dryRun": true}'), context, deps({ LOG_LEVEL: "trace" }));
    const levelOf = (event: string) => find(lines, event)?.level;
    expect(levelOf("sweep.started")).toBe("information");
    expect(levelOf("query.page")).toBe("debug");
    expect(new Set(lines.map((l) => l.level))).toEqual(new Set(lines.map((l) => ({ trace: "trace", debug: "debug", info: "information", warn: "warning", error: "error", fatal: "error" })[String(record(l).level)])));
  });
});
