// Run history, the run lock across instances and the asynchronous HTTP sweep, against Azurite's Blob service: the
// function handlers as the host invokes them, the real ManagedIdentityCredential (its token from the emulator is
// what Azurite checks) and the same @azure/storage-blob client code as in Azure.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit, type Timer } from "@azure/functions";
import { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpHandler } from "../../src/functions/http.ts";
import { runHandler, runsHandler } from "../../src/functions/runs.ts";
import type { FunctionDeps } from "../../src/functions/run.ts";
import { timerHandler } from "../../src/functions/timer.ts";
import { createCredential } from "../../src/azure/index.ts";
import { createRunStore, RunDocumentSchema, type RunDocument } from "../../src/runs/index.ts";
import { startAzurite, type Azurite } from "../support/azurite.ts";
import { FAST_OPERATION, FAST_RETRY, failedJob, items, SUBS, useHarness } from "../support/harness.ts";
import { acceptedTriggers } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1, latencyMs: 0 });
});
let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
  // The deployment creates the container (infra/modules/app.bicep); here the test does, with the app's identity.
  await new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).create();
});
afterAll(async () => {
  await azurite.close();
});

const deps = (env: Record<string, string> = {}): FunctionDeps => ({
  env: { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, RETRY_SCHEDULE: "0 15 * * * *", LOG_LEVEL: "info", RETRY_RUNS_BLOB_ENDPOINT: azurite.endpoint, ...env },
  tlsCa: h.emulator.ca,
  retry: FAST_RETRY,
  operation: FAST_OPERATION,
});

function invocation(functionName: string) {
  const lines: Record<string, unknown>[] = [];
  const context = new InvocationContext({ invocationId: randomUUID(), functionName, logHandler: (_level, ...args) => void lines.push(args[0] as Record<string, unknown>) });
  return { context, lines, find: (event: string) => lines.find((l) => l.event === event) };
}
const post = (query = "") => new HttpRequest({ method: "POST", url: `http://localhost/api/sweep${query}`, headers: { "content-type": "application/json" }, body: { string: "{}" } });
const get = (url: string, params: Record<string, string> = {}) => new HttpRequest({ method: "GET", url: `http://localhost${url}`, params });
const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

async function send(result: HttpResponseInit) {
  const response = new HttpResponse(result);
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

async function readRun(runId: string) {
  const { context } = invocation("run");
  return send(await runHandler(get(`/api/runs/${runId}`, { runId }), context, deps()));
}

async function untilEnded(runId: string, tries = 200): Promise<RunDocument> {
  for (let i = 0; i < tries; i += 1) {
    const answer = await readRun(runId);
    if (answer.status === 200 && answer.json.state !== "running") return RunDocumentSchema.parse(answer.json);
    await sleep(50);
  }
  throw new Error(`run ${runId} did not end`);
}

async function seed(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => items.vm(SUBS.a, `hist-${i}`));
  await h.failedJobs("history", ids.map((id) => failedJob(SUBS.a, id)));
  return ids;
}

const store = () => createRunStore({ endpoint: azurite.endpoint, credential: createCredential({ kind: "managedIdentity" }) });

/** The lock blob as another instance holds it: its lease, and its run id in the metadata. */
async function holdLockElsewhere(seconds: number): Promise<{ runId: string; release: () => Promise<void> }> {
  const container = new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" }));
  const blob = container.getBlockBlobClient("sweep.lock");
  if (!(await blob.exists())) await blob.upload("", 0);
  const lease = blob.getBlobLeaseClient();
  await lease.acquireLease(seconds);
  const runId = randomUUID();
  await blob.setMetadata({ runid: runId }, { conditions: { leaseId: lease.leaseId } });
  return { runId, release: async () => void (await lease.releaseLease()) };
}

describe("run history", () => {
  it("a timer run's report is readable by id after it ends, and equals the report the run logged", async () => {
    await seed(2);
    const { context, lines, find } = invocation("retryFailedBackups");
    await timerHandler(timer, context, deps());
    const completed = find("sweep.completed")!;
    const runId = String(completed.runId);
    const answer = await readRun(runId);
    expect(answer.status).toBe(200);
    const doc = RunDocumentSchema.parse(answer.json);
    expect(doc).toMatchObject({ runId, trigger: "timer", state: "completed" });
    expect(doc.report?.runId).toBe(runId);
    expect(doc.report?.totals).toEqual(completed.totals);
    expect(doc.report?.totals.triggered).toBe(2);
    expect(lines.filter((l) => l.event === "run.notKept")).toEqual([]);
  });

  it("a run that fails part-way still leaves a document saying why it stopped", async () => {
    // The run has taken the lock and written its first document when the sweep refuses the request's scope.
    const request = new HttpRequest({ method: "POST", url: "http://localhost/api/sweep", headers: { "content-type": "application/json" }, body: { string: JSON.stringify({ subscriptions: [SUBS.b] }) } });
    const answer = await send(await httpHandler(request, invocation("sweep").context, deps({ RETRY_SUBSCRIPTIONS: SUBS.a })));
    expect(answer.status).toBe(400);
    const { context: listing } = invocation("runs");
    const list = await send(await runsHandler(get("/api/runs"), listing, deps()));
    const newest = (list.json.runs as RunDocument[])[0]!;
    expect(newest).toMatchObject({ trigger: "http", state: "failed" });
    const doc = RunDocumentSchema.parse((await readRun(newest.runId)).json);
    expect(doc.error).toMatchObject({ code: "InvalidSettings", message: expect.stringContaining("outside RETRY_SUBSCRIPTIONS") });
    expect(doc.endedAt).toBeDefined();
  });

  it("GET /api/runs lists runs newest first; an unknown run is 404", async () => {
    await seed(1);
    for (let i = 0; i < 2; i += 1) await timerHandler(timer, invocation("retryFailedBackups").context, deps());
    const list = await send(await runsHandler(get("/api/runs"), invocation("runs").context, deps()));
    const started = (list.json.runs as RunDocument[]).map((r) => r.startedAt);
    expect(started.length).toBeGreaterThanOrEqual(3);
    expect(started).toEqual([...started].sort().reverse());
    const unknown = randomUUID();
    expect((await readRun(unknown)).status).toBe(404);
    expect((await readRun("../sweep.lock")).status).toBe(404);
  });
});

describe("asynchronous HTTP", () => {
  it("POST answers 202 with a working Location when the run outlasts the wait; the report behind it is the run's", async () => {
    await seed(3);
    h.emulator.configure({ latencyMs: 150 });
    const { context, lines } = invocation("sweep");
    const accepted = await send(await httpHandler(post("?wait=0"), context, deps()));
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("retry-after")).toBe("10");
    const location = accepted.headers.get("location")!;
    expect(location).toMatch(/^\/api\/runs\/[0-9a-f-]{36}$/);
    const runId = location.split("/").pop()!;
    const running = await readRun(runId);
    expect(running.json).toMatchObject({ runId, state: "running" });
    const doc = await untilEnded(runId);
    expect(doc.state).toBe("completed");
    const completed = lines.find((l) => l.event === "sweep.completed")!;
    expect(completed.runId).toBe(runId);
    expect(doc.report?.totals).toEqual(completed.totals);
    expect(doc.report?.totals.triggered).toBe(3);
  });

  it("POST answers 200 with the report when the run ends within the wait, and the kept report is the same", async () => {
    await seed(1);
    const answer = await send(await httpHandler(post("?wait=30"), invocation("sweep").context, deps()));
    expect(answer.status).toBe(200);
    const doc = RunDocumentSchema.parse((await readRun(String(answer.json.runId))).json);
    expect(doc.report).toEqual(answer.json);
  });

  it("refuses a wait outside 0..200 seconds, naming the field", async () => {
    const answer = await send(await httpHandler(post("?wait=500"), invocation("sweep").context, deps()));
    expect(answer.status).toBe(400);
    expect(answer.json.problems).toEqual([expect.objectContaining({ field: "wait" })]);
  });
});

describe("one sweep at a time across instances", () => {
  it("a lease held by another instance: the timer logs sweep.skipped with its run id, HTTP gets 409 with it, nothing is written", async () => {
    await seed(2);
    const other = await holdLockElsewhere(60);
    try {
      const tick = invocation("retryFailedBackups");
      await timerHandler(timer, tick.context, deps());
      expect(tick.find("sweep.skipped")).toMatchObject({ runningRunId: other.runId });
      const answer = await send(await httpHandler(post(), invocation("sweep").context, deps()));
      expect(answer.status).toBe(409);
      expect(answer.json.runningRunId).toBe(other.runId);
      expect(h.emulator.requests.filter((r) => r.kind === "arg")).toHaveLength(0);
    } finally {
      await other.release();
    }
  });

  it("an expired lease of an instance that died is taken over, and the run it left is answered abandoned", async () => {
    await seed(1);
    // A dead instance never renews nor releases: its 15-second lease (Blob storage's shortest) runs out by itself.
    const dead = await holdLockElsewhere(15);
    await store().put({ runId: dead.runId, trigger: "http", state: "running", startedAt: new Date().toISOString() });
    expect((await readRun(dead.runId)).json).toMatchObject({ state: "running" });
    await sleep(16_000);
    // Expired but not taken: its holder may still renew it, so the run is not given up for dead yet.
    expect((await readRun(dead.runId)).json).toMatchObject({ state: "running" });
    const tick = invocation("retryFailedBackups");
    await timerHandler(timer, tick.context, deps());
    expect(tick.find("sweep.completed")).toBeDefined();
    expect(acceptedTriggers(h.emulator).size).toBe(1);
    const left = await readRun(dead.runId);
    expect(left.status).toBe(200);
    expect(left.headers.get("retry-after")).toBeNull();
    expect(left.json).toMatchObject({ runId: dead.runId, state: "failed", error: { code: "RunAbandoned", message: expect.stringContaining("never wrote how it ended") } });
    const list = await send(await runsHandler(get("/api/runs"), invocation("runs").context, deps()));
    expect((list.json.runs as RunDocument[]).find((r) => r.runId === dead.runId)).toMatchObject({ state: "failed", error: { code: "RunAbandoned" } });
    // Computed when read, never written: the stored document still says what the dead instance last wrote.
    expect(await store().get(dead.runId)).toMatchObject({ state: "failed" });
    expect(JSON.parse((await new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).getBlobClient(`reports/${dead.runId}.json`).downloadToBuffer()).toString())).toMatchObject({ state: "running" });
  }, 40_000);

  it("a run whose lease was broken or released without its end written is abandoned at once; one that ended is not", async () => {
    const dead = await holdLockElsewhere(60);
    await store().put({ runId: dead.runId, trigger: "timer", state: "running", startedAt: new Date().toISOString() });
    expect((await readRun(dead.runId)).json).toMatchObject({ state: "running" });
    await dead.release();
    expect((await readRun(dead.runId)).json).toMatchObject({ state: "failed", error: { code: "RunAbandoned" } });
    const ended = { runId: dead.runId, trigger: "timer", state: "completed", startedAt: new Date().toISOString(), endedAt: new Date().toISOString() } as const;
    await store().put(ended);
    expect((await readRun(dead.runId)).json).toEqual(ended);
  });
});

describe("the run lease lost mid-run", () => {
  // A 15-second lease (Blob storage's shortest) is renewed every 5 s; items are sent one at a time, slowly.
  const slow = (): FunctionDeps => ({ ...deps({ RETRY_CONCURRENCY: "1" }), leaseSeconds: 15 });
  const lockLease = () => new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).getBlobClient("sweep.lock").getBlobLeaseClient();

  /** A POST sweep answered 202 at once; the run goes on in the background, its items 200 ms a request. */
  async function startSlowRun() {
    h.emulator.configure({ latencyMs: 200 });
    const { context, lines } = invocation("sweep");
    const accepted = await send(await httpHandler(post("?wait=0"), context, slow()));
    return { runId: String(accepted.headers.get("location")).split("/").pop()!, lines };
  }

  async function untilTriggered(count: number) {
    for (let i = 0; i < 400 && acceptedTriggers(h.emulator).size < count; i += 1) await sleep(25);
    expect(acceptedTriggers(h.emulator).size).toBeGreaterThanOrEqual(count);
  }

  it("taken by another instance: no trigger after it, the run is kept stopped (RunLeaseLost) with every item accounted for", async () => {
    await seed(30);
    const { runId, lines } = await startSlowRun();
    await untilTriggered(1);
    // Another instance breaks the lease and takes it, as one whose run lock expired would.
    const other = lockLease();
    await other.breakLease(0);
    await other.acquireLease(60);
    try {
      const doc = await untilEnded(runId, 800);
      expect(doc).toMatchObject({ state: "stopped", error: { code: "RunLeaseLost", message: expect.stringContaining("sent no more backups") } });
      const report = doc.report!;
      expect(report.totals.triggered).toBeGreaterThan(0);
      expect(report.totals.cancelled).toBeGreaterThan(0);
      expect(report.totals.triggered + report.totals.cancelled).toBe(30);
      expect(report.actions.filter((a) => a.outcome === "cancelled").every((a) => a.reason === "not sent: the run was stopped (RunLeaseLost) before this backup was triggered; the next run picks it up")).toBe(true);
      expect(acceptedTriggers(h.emulator).size).toBe(report.totals.triggered);
      expect(lines.find((l) => l.event === "run.leaseLost")).toMatchObject({ runId, error: { code: "RunLeaseLost" } });
      expect(lines.find((l) => l.event === "sweep.completed")).toMatchObject({ runId, totals: report.totals });
    } finally {
      await other.releaseLease();
    }
  }, 60_000);

  it("a storage outage across one renewal does not lose it: the renewal is tried again and the run completes", async () => {
    await seed(60);
    const { runId, lines } = await startSlowRun();
    // Storage is down from 3.5 s to past 6.5 s after the lease was taken: the renewal due at 5 s fails.
    await sleep(3_500);
    await azurite.stop();
    await sleep(3_000);
    await azurite.start();
    const doc = await untilEnded(runId, 800);
    expect(Date.parse(doc.endedAt!) - Date.parse(doc.startedAt)).toBeGreaterThan(10_000);
    expect(doc.state).toBe("completed");
    expect(doc.report?.totals.triggered).toBe(60);
    expect(lines.filter((l) => l.event === "run.leaseLost")).toEqual([]);
    expect(lines.find((l) => l.event === "run.leaseRenewalFailed")).toMatchObject({ runId, level: "warn" });
  }, 60_000);
});

describe("storage faults", () => {
  it("storage down when taking the lock: no sweep runs; the timer logs sweep.failed RunLockUnavailable, HTTP answers 503 with Retry-After", async () => {
    await seed(2);
    await azurite.stop();
    try {
      const tick = invocation("retryFailedBackups");
      await expect(timerHandler(timer, tick.context, deps())).rejects.toMatchObject({ code: "RunLockUnavailable" });
      expect(tick.find("sweep.failed")).toMatchObject({ error: { code: "RunLockUnavailable" } });
      const answer = await send(await httpHandler(post(), invocation("sweep").context, deps()));
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("60");
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(h.emulator.requests.filter((r) => r.kind === "arg" || r.kind === "rs.trigger")).toHaveLength(0);
    } finally {
      await azurite.start();
    }
  });

  it("Azurite stopped mid-run: the run goes on, triggers every item and logs run.notKept", async () => {
    await seed(3);
    h.emulator.configure({ latencyMs: 150 });
    const { context, lines } = invocation("sweep");
    const accepted = await send(await httpHandler(post("?wait=0"), context, deps()));
    expect(accepted.status).toBe(202);
    await azurite.stop();
    try {
      for (let i = 0; i < 400 && !lines.some((l) => l.event === "run.notKept" && l.state === "completed"); i += 1) await sleep(50);
      expect(lines.find((l) => l.event === "sweep.completed")).toMatchObject({ totals: expect.objectContaining({ triggered: 3 }) });
      expect(lines.find((l) => l.event === "run.notKept")).toMatchObject({ state: "completed" });
    } finally {
      await azurite.start();
    }
  }, 40_000);
});
