// The deployment bundle (scripts/build.ts -> index.js) loaded in a fresh Node process the way the Functions worker
// loads it: `@azure/functions-core` is provided from outside, the library registers both functions with it, and the
// worker drives an invocation through the library's own programming model (inputs as RPC data, logs as the text
// the host stores). The sweep inside runs for real against the local ARM with the managed identity.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBundle, type BuildResult } from "../../scripts/build.ts";
import type { Report } from "../../src/core/index.ts";
import { items, failedJob, startHarness, SUBS, type Harness } from "../support/harness.ts";

// Stands in for the worker's module: keeps the programming model and every registration.
const CORE_STUB = `"use strict";
const core = (globalThis.__functionsCore = { model: undefined, registrations: [] });
exports.setProgrammingModel = (model) => { core.model = model; };
exports.registerFunction = (metadata, handler) => { core.registrations.push({ metadata, handler }); return { dispose() {} }; };
exports.registerHook = () => ({ dispose() {} });
exports.log = () => {};
`;

// Drives one invocation per request on stdin, like the worker: getArguments -> invokeFunction -> getResponse.
const DRIVER = `await import("./index.js");
const core = globalThis.__functionsCore;
const jobs = JSON.parse(await new Promise((resolve) => { let s = ""; process.stdin.on("data", (c) => (s += c)); process.stdin.on("end", () => resolve(s)); }));
const results = [];
for (const job of jobs) {
  const registration = core.registrations.find((r) => r.metadata.name === job.functionName);
  const [triggerName] = Object.entries(registration.metadata.bindings).find(([, b]) => b.direction === "in");
  const logs = [];
  const coreCtx = {
    invocationId: job.invocationId,
    metadata: registration.metadata,
    state: "invocation",
    request: { invocationId: job.invocationId, inputData: [{ name: triggerName, data: job.data }], triggerMetadata: {} },
    log: (level, category, message) => logs.push({ level, category, message }),
  };
  const invocation = core.model.getInvocationModel(coreCtx);
  const { context, inputs } = await invocation.getArguments();
  let error, response;
  try {
    const result = await invocation.invokeFunction(context, inputs, registration.handler);
    response = await invocation.getResponse(context, result);
    const http = response.returnValue?.http;
    if (http) http.body = Buffer.from(http.body.bytes).toString("utf8");
  } catch (e) {
    error = String(e?.message ?? e);
  }
  results.push({ logs, response, error });
}
process.stdout.write(JSON.stringify({ registrations: core.registrations.map((r) => r.metadata), results }));
`;

interface Job {
  functionName: string;
  invocationId: string;
  data: unknown;
}
interface HostLog {
  level: string;
  category: string;
  message: string;
}
interface DriverOutput {
  registrations: { name: string; bindings: Record<string, Record<string, unknown>> }[];
  results: { logs: HostLog[]; error?: string; response?: { returnValue?: { http?: { statusCode: string; headers: Record<string, string>; body: string } } } }[];
}

let h: Harness;
let dir: string;
let bundle: BuildResult;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(path.join(os.tmpdir(), "rfb-bundle-"));
  bundle = await buildBundle({ outfile: path.join(dir, "index.js") });
  await writeFile(path.join(dir, "package.json"), '{ "type": "module" }\n');
  await mkdir(path.join(dir, "node_modules", "@azure", "functions-core"), { recursive: true });
  await writeFile(path.join(dir, "node_modules", "@azure", "functions-core", "package.json"), '{ "name": "@azure/functions-core", "main": "index.js" }\n');
  await writeFile(path.join(dir, "node_modules", "@azure", "functions-core", "index.js"), CORE_STUB);
  await writeFile(path.join(dir, "driver.mjs"), DRIVER);
  await writeFile(path.join(dir, "ca.pem"), h.emulator.ca);
}, 60_000);
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await h.reset();
  // The bundle runs with the default operation bounds: an operation that is done at the first poll keeps the test short.
  h.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 0 });
});

/** A fresh process with only the settings the platform would give it; the identity endpoint is the emulator's. */
function drive(jobs: Job[], settings: Record<string, string> = {}): Promise<DriverOutput> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...h.emulator.env(), NODE_EXTRA_CA_CERTS: path.join(dir, "ca.pem"), RETRY_QUERIES_DIR: h.queriesDir, RETRY_SCHEDULE: "0 15 * * * *", ...settings };
  expect(env.IDENTITY_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["driver.mjs"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(stdout) as DriverOutput) : reject(new Error(`driver exited ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify(jobs));
  });
}

const httpJob = (body: string): Job => ({
  functionName: "sweep",
  invocationId: randomUUID(),
  data: { http: { method: "POST", url: "https://app.example/api/sweep", headers: { "content-type": "application/json" }, body: { string: body } } },
});
const timerJob = (isPastDue: boolean): Job => ({
  functionName: "retryFailedBackups",
  invocationId: randomUUID(),
  data: { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: { Last: "2026-11-21T09:15:00Z", Next: "2026-11-21T10:15:00Z", LastUpdated: "2026-11-21T09:15:00Z" }, IsPastDue: isPastDue }) },
});

describe("the function bundle", () => {
  it("leaves out the Kusto checker, the emulator and the CLI", () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs).toContain("src/functions/index.ts");
    expect(inputs.filter((i) => /@kusto|^emulator\/|^src\/cli\.ts$/.test(i))).toEqual([]);
    expect(bundle.bytes).toBeGreaterThan(0);
  });

  it("registers the timer and the HTTP functions with the bindings the host needs", async () => {
    const { registrations } = await drive([]);
    const byName = Object.fromEntries(registrations.map((r) => [r.name, Object.values(r.bindings)]));
    expect(Object.keys(byName).sort()).toEqual(["doctor", "retryFailedBackups", "run", "runs", "sweep"]);
    expect(byName.doctor).toEqual(expect.arrayContaining([expect.objectContaining({ type: "httpTrigger", direction: "in", authLevel: "function", methods: ["GET"], route: "doctor" })]));
    expect(byName.run).toEqual(expect.arrayContaining([expect.objectContaining({ type: "httpTrigger", authLevel: "function", methods: ["GET"], route: "runs/{runId}" })]));
    expect(byName.runs).toEqual(expect.arrayContaining([expect.objectContaining({ type: "httpTrigger", authLevel: "function", methods: ["GET"], route: "runs" })]));
    expect(byName.retryFailedBackups).toEqual([expect.objectContaining({ type: "timerTrigger", direction: "in", schedule: "%RETRY_SCHEDULE%", runOnStartup: false })]);
    expect(byName.sweep).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "httpTrigger", direction: "in", authLevel: "function", methods: ["POST"], route: "sweep" }),
        expect.objectContaining({ type: "http", direction: "out" }),
      ]),
    );
  });

  it("runs an HTTP dry run and a timer sweep end to end, logging JSON lines the host stores as they are", async () => {
    const id = items.vm(SUBS.a, "vm-bundled");
    await h.failedJobs("recovery-services", [failedJob(SUBS.a, id)]);
    const jobs = [httpJob('{"dryRun": true}'), timerJob(true)];
    const { results } = await drive(jobs);
    const [http, timer] = results;

    expect(http?.error).toBeUndefined();
    const response = http?.response?.returnValue?.http;
    expect(response?.statusCode).toBe("200");
    expect(response?.headers["content-type"]).toBe("application/json");
    const report = JSON.parse(response?.body ?? "{}") as Report;
    expect(report).toMatchObject({ trigger: "http", dryRun: true, totals: { rows: 1, dryRun: 1 } });

    expect(timer?.error).toBeUndefined();
    const triggers = h.emulator.requests.filter((r) => r.kind === "rs.trigger");
    expect(triggers.map((r) => r.itemId?.toLowerCase())).toEqual([id.toLowerCase()]);
    expect(triggers[0]!.headers.authorization).toMatch(/^Bearer /);

    for (const [i, result] of results.entries()) {
      expect(result.logs.length).toBeGreaterThan(0);
      for (const log of result.logs) {
        expect(log.category).toBe("user");
        const line = JSON.parse(log.message) as Record<string, unknown>;
        expect(line).toMatchObject({ invocationId: jobs[i]!.invocationId, runId: expect.any(String) });
        for (const secret of [...h.emulator.tokens, h.emulator.identityHeader]) expect(log.message).not.toContain(secret);
      }
    }
    const timerLines = timer!.logs.map((l) => JSON.parse(l.message) as Record<string, unknown>);
    expect(timerLines.find((l) => l.event === "timer.fired")).toMatchObject({ isPastDue: true, functionName: "retryFailedBackups" });
    expect(timerLines.find((l) => l.event === "sweep.summary")).toMatchObject({ totals: { triggered: 1 } });
    expect(http!.logs.every((l) => (JSON.parse(l.message) as { runId: string }).runId === report.runId)).toBe(true);
  });
});
