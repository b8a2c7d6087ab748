// The preflight against the local ARM: the real ManagedIdentityCredential, Resource Graph, the permissions API and
// both vault kinds' reads; the command line in process, and GET /api/doctor through the library's HttpRequest.
import { randomUUID } from "node:crypto";
import { HttpRequest, HttpResponse, InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { connectArm } from "../../src/azure/index.ts";
import { nextFireTimes, renderDoctor, runDoctor } from "../../src/doctor/index.ts";
import { doctorHandler } from "../../src/functions/doctor.ts";
import { loadSettings } from "../../src/settings.ts";
import { runCli, trustEmulator } from "../support/cli-in-process.ts";
import { failedJob, FAST_OPERATION, FAST_RETRY, items, SUBS, useHarness } from "../support/harness.ts";
import { expectNoSecrets } from "../support/wire.ts";

const h = useHarness();
const RS_TRIGGER = "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action";
const NOW = new Date("2026-12-04T17:20:00Z");

async function seed(): Promise<void> {
  h.emulator.addItems([{ itemId: items.vm(SUBS.a, "vm-1") }, { itemId: items.dp(SUBS.b, "disk-1") }]);
  await h.failedJobs("retries", [failedJob(SUBS.a, items.vm(SUBS.a, "vm-1")), failedJob(SUBS.b, items.dp(SUBS.b, "disk-1"))]);
}

async function doctor(env: Record<string, string> = {}) {
  const settings = loadSettings({ AZURE_RESOURCE_MANAGER_ENDPOINT: h.emulator.url, RETRY_QUERIES_DIR: h.queriesDir, ...env });
  const arm = connectArm({ credential: h.credential, endpoint: settings.armEndpoint, tlsCa: h.emulator.ca, retry: FAST_RETRY, operation: FAST_OPERATION });
  return runDoctor({ settings, arm, now: NOW });
}

const byName = (result: Awaited<ReturnType<typeof doctor>>, name: string) => result.checks.find((c) => c.name === name);

describe("doctor against the local ARM", () => {
  it("passes every check of a working deployment, naming whose token it is", async () => {
    await seed();
    const result = await doctor();
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.checks.map((c) => c.name)).toEqual(["settings", "schedule", "queries", "token", "rule retries", "resource graph", `permissions ${SUBS.a}`, `permissions ${SUBS.b}`, "Recovery Services vault", "Backup vault"]);
    expect(byName(result, "schedule")?.detail).toContain("2026-12-04T18:15:00.000Z, 2026-12-04T19:15:00.000Z, 2026-12-04T20:15:00.000Z");
    expect(byName(result, "token")?.detail).toMatch(/object id [0-9a-f-]{36}, app id [0-9a-f-]{36}, tenant [0-9a-f-]{36}/);
    expect(byName(result, "Recovery Services vault")?.detail).toContain("vm-1");
    expect(h.emulator.requests.filter((r) => r.kind === "authz.permissions").map((r) => r.query["api-version"])).toEqual(["2022-04-01", "2022-04-01"]);
    expect(h.emulator.requests.filter((r) => r.method !== "GET" && r.kind !== "arg")).toEqual([]);
    expectNoSecrets(h.emulator, [renderDoctor(result), JSON.stringify(result)]);
  });

  it("names a missing trigger permission on one subscription, the role and the scope to grant", async () => {
    await seed();
    h.emulator.fault({ kind: "authz.permissions", subscriptionId: SUBS.b, respond: { denyActions: [RS_TRIGGER] } });
    const result = await doctor();
    expect(result.exitCode).toBe(1);
    expect(result.checks.filter((c) => !c.ok)).toEqual([
      { name: `permissions ${SUBS.b}`, ok: false, detail: `missing ${RS_TRIGGER}`, fix: expect.stringContaining(`Backup Operator (or the custom Backup Retry Operator role) to the app's identity on /subscriptions/${SUBS.b}`) },
    ]);
  });

  it("what it names is what a run then meets: ARM refuses the denied trigger with AuthorizationFailed", async () => {
    await seed();
    h.emulator.fault({ subscriptionId: SUBS.a, respond: { denyActions: [RS_TRIGGER] } });
    const { report } = await h.run();
    expect(report.totals).toMatchObject({ triggered: 1, failed: 1 });
    expect(report.actions.find((a) => a.subscriptionId === SUBS.a)?.error).toMatchObject({ code: "AuthorizationFailed", message: expect.stringContaining(RS_TRIGGER) });
  });

  it("names the rule Resource Graph refuses, with Resource Graph's message", async () => {
    await seed();
    await h.rule("broken", "RecoveryServicesResources\n| where nosuchfunction(type)\n| project id");
    const result = await doctor();
    expect(result.exitCode).toBe(1);
    const broken = byName(result, "rule broken")!;
    expect(broken.ok).toBe(false);
    expect(broken.detail).toMatch(/^Resource Graph refused it: .*nosuchfunction/);
    expect(byName(result, "rule retries")?.ok).toBe(true);
  });

  it("with no identity, says so in one short line and exits 1", async () => {
    await seed();
    h.emulator.configure({ knownClientIds: [randomUUID()] });
    try {
      const response = new HttpResponse(await doctorHandler(new HttpRequest({ method: "GET", url: "http://localhost/api/doctor" }), context(), deps({ AZURE_CLIENT_ID: "0f0f0f0f-1111-4222-8333-444444444444" })));
      const body = (await response.json()) as { exitCode: number; checks: { name: string; ok: boolean; detail: string }[] };
      expect(response.status).toBe(200);
      expect(body.exitCode).toBe(1);
      const failed = body.checks.filter((c) => !c.ok);
      expect(failed.map((c) => c.name)).toEqual(["token"]);
      expect(failed[0]!.detail).not.toContain("\n");
      expect(failed[0]!.detail.length).toBeLessThan(300);
      expect(h.emulator.requests.filter((r) => r.kind !== "msi")).toEqual([]);
    } finally {
      h.emulator.configure({ knownClientIds: undefined });
    }
  });
});

function context(): InvocationContext {
  return new InvocationContext({ invocationId: randomUUID(), functionName: "doctor", logHandler: () => undefined });
}

function deps(env: Record<string, string> = {}) {
  return { env: { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, ...env }, tlsCa: h.emulator.ca, retry: FAST_RETRY, operation: FAST_OPERATION };
}

describe("GET /api/doctor", () => {
  it("answers 200 with the exit code, the checks and the invocation id", async () => {
    await seed();
    const ctx = context();
    const response = new HttpResponse(await doctorHandler(new HttpRequest({ method: "GET", url: "http://localhost/api/doctor" }), ctx, deps()));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { exitCode: number; checks: unknown[]; invocationId: string };
    expect(body).toMatchObject({ exitCode: 0, invocationId: ctx.invocationId });
    expect(body.checks).toHaveLength(10);
  });

  it("answers bad settings as the sweep does: 500 problem+json naming each", async () => {
    const response = new HttpResponse(await doctorHandler(new HttpRequest({ method: "GET", url: "http://localhost/api/doctor" }), context(), deps({ RETRY_CONCURRENCY: "0" })));
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ type: "urn:retry-failed-backups:problem:invalid-settings", problems: [{ field: "RETRY_CONCURRENCY" }] });
  });
});

describe("retry-failed-backups doctor", () => {
  it("prints one line per check and exits 0, 1 on a failure, 2 on bad settings", async () => {
    trustEmulator(h.emulator);
    await seed();
    const env = { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir };
    const ok = await runCli(["doctor"], env);
    expect(ok.stdout.trim().split("\n").at(-1)).toBe("all 10 checks passed");
    expect(ok.code).toBe(0);
    h.emulator.fault({ kind: "authz.permissions", subscriptionId: SUBS.a, respond: { denyActions: [RS_TRIGGER] } });
    const denied = await runCli(["doctor"], env);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toContain(`FAIL  permissions ${SUBS.a}: missing ${RS_TRIGGER} -> fix: assign`);
    const bad = await runCli(["doctor"], { ...env, RETRY_SCHEDULE: "every hour" });
    expect(bad.code).toBe(2);
    expect(bad.stderr.join("\n")).toContain("RETRY_SCHEDULE=");
  });
});

describe("the schedule's next fire times (NCRONTAB, UTC)", () => {
  const next = (expr: string, from = "2026-12-04T17:20:00Z") => {
    const t = nextFireTimes(expr, new Date(from));
    return t.kind === "cron" ? t.next.map((d) => d.toISOString()) : t;
  };
  it("reads fields, ranges, steps, lists and names", () => {
    expect(next("0 15 * * * *")).toEqual(["2026-12-04T18:15:00.000Z", "2026-12-04T19:15:00.000Z", "2026-12-04T20:15:00.000Z"]);
    expect(next("0 */5 * * * *")).toEqual(["2026-12-04T17:25:00.000Z", "2026-12-04T17:30:00.000Z", "2026-12-04T17:35:00.000Z"]);
    expect(next("30 0 9-10 * * 1-5")).toEqual(["2026-12-07T09:00:30.000Z", "2026-12-07T10:00:30.000Z", "2026-12-08T09:00:30.000Z"]);
    expect(next("0 0 6 1,15 jan,jul *")).toEqual(["2027-01-01T06:00:00.000Z", "2027-01-15T06:00:00.000Z", "2027-07-01T06:00:00.000Z"]);
    expect(next("0 0 12 * * Sun")).toEqual(["2026-12-06T12:00:00.000Z", "2026-12-13T12:00:00.000Z", "2026-12-20T12:00:00.000Z"]);
    expect(next("5/20 * * * * *", "2026-12-04T17:20:00Z")).toEqual(["2026-12-04T17:20:05.000Z", "2026-12-04T17:20:25.000Z", "2026-12-04T17:20:45.000Z"]);
    expect(next("01:30:00")).toEqual({ kind: "interval", seconds: 5400 });
  });
  it("refuses what never fires", () => {
    expect(() => next("0 0 0 31 2 *")).toThrow("it never fires");
  });
});
