// The command line and the run store, through the real bin in child processes: `runs list` / `runs show`, the CLI
// sweep keeping its report, and two sweeps started together in two processes (two "instances") sharing one lease.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential } from "../../src/azure/index.ts";
import { ReportSchema } from "../../src/core/index.ts";
import { createRunStore, RunDocumentSchema } from "../../src/runs/index.ts";
import { startAzurite, type Azurite } from "../support/azurite.ts";
import { caFile, runCli } from "../support/child.ts";
import { failedJob, items, SUBS, useHarness } from "../support/harness.ts";
import { acceptedTriggers } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1, latencyMs: 0 });
});
let azurite: Azurite;
let env: Record<string, string>;
beforeAll(async () => {
  azurite = await startAzurite();
  await new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).create();
  env = { ...h.emulator.env(), NODE_EXTRA_CA_CERTS: caFile(`${h.emulator.ca}\n${azurite.ca}`), RETRY_QUERIES_DIR: h.queriesDir, RETRY_RUNS_BLOB_ENDPOINT: azurite.endpoint };
});
afterAll(async () => {
  await azurite.close();
});

describe("runs list / runs show", () => {
  it("without RETRY_RUNS_BLOB_ENDPOINT they exit 2 and say how to configure it", async () => {
    const { RETRY_RUNS_BLOB_ENDPOINT: _, ...without } = env;
    const result = await runCli(["runs", "list"], without);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/set RETRY_RUNS_BLOB_ENDPOINT to the blob endpoint of the app's storage account/);
  });

  it("a CLI sweep's report is kept: runs show prints the same report, runs list names the run", async () => {
    await h.failedJobs("cli-history", [failedJob(SUBS.a, items.vm(SUBS.a, "cli-h1"))]);
    const swept = await runCli(["sweep", "--json"], env);
    expect(swept.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(swept.stdout));
    const shown = await runCli(["runs", "show", report.runId, "--json"], env);
    expect(shown.code).toBe(0);
    expect(RunDocumentSchema.parse(JSON.parse(shown.stdout))).toMatchObject({ runId: report.runId, trigger: "cli", state: "completed", report });
    const listed = await runCli(["runs", "list"], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toContain(report.runId);
    expect((await runCli(["runs", "show", "00000000-0000-4000-8000-000000000000"], env)).code).toBe(1);
  }, 60_000);

  it("a run left running by an instance that died (no lease held for it) shows as abandoned and exits 1", async () => {
    const runId = randomUUID();
    await createRunStore({ endpoint: azurite.endpoint, credential: createCredential({ kind: "managedIdentity" }) }).put({ runId, trigger: "http", state: "running", startedAt: new Date().toISOString() });
    const shown = await runCli(["runs", "show", runId], env);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(new RegExp(`^${runId}  http  failed since \\S+: RunAbandoned: no instance holds this run's lease any more`));
  }, 60_000);
});

describe("Ctrl-C with a run store", () => {
  it("SIGINT through the real bin: exit 130, and runs show gives the run stopped (Interrupted) with the unsent actions marked", async () => {
    await h.failedJobs("interrupted", Array.from({ length: 12 }, (_, i) => failedJob(SUBS.a, items.vm(SUBS.a, `int-${i}`))));
    h.emulator.configure({ latencyMs: 150 });
    const swept = await runCli(["sweep", "--json"], { ...env, RETRY_CONCURRENCY: "1", LOG_LEVEL: "info" }, 60_000, '"event":"retry.triggered"');
    expect(swept.code).toBe(130);
    const report = ReportSchema.parse(JSON.parse(swept.stdout));
    expect(report.totals.cancelled).toBeGreaterThan(0);
    expect(report.totals.triggered + report.totals.cancelled).toBe(12);
    const shown = await runCli(["runs", "show", report.runId, "--json"], env);
    const doc = RunDocumentSchema.parse(JSON.parse(shown.stdout));
    expect(doc).toMatchObject({ runId: report.runId, trigger: "cli", state: "stopped", error: { code: "Interrupted" }, report });
    expect(doc.report?.actions.filter((a) => a.outcome === "cancelled").every((a) => a.reason === "not sent: the run was cancelled (Ctrl-C) before this backup was triggered; the next run picks it up")).toBe(true);
    expect(acceptedTriggers(h.emulator).size).toBe(report.totals.triggered);
    expect(shown.code).toBe(1);
    const table = await runCli(["runs", "show", report.runId], env);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(report.runId);
    expect(table.stdout).toContain("not sent: the run was cancelled (Ctrl-C)");
    expect(table.stderr).toMatch(new RegExp(`run ${report.runId} stopped at \\S+: Interrupted: `));
  }, 60_000);
});

describe("two sweeps started together in two processes", () => {
  it("one runs, the other is refused naming the running run; each item is triggered once", async () => {
    const ids = [items.vm(SUBS.a, "two-1"), items.vm(SUBS.a, "two-2")];
    await h.failedJobs("two", ids.map((id) => failedJob(SUBS.a, id)));
    // The winner lasts seconds, far longer than the other process needs to reach the lease.
    h.emulator.configure({ latencyMs: 1_500 });
    const results = await Promise.all([runCli(["sweep", "--json"], env), runCli(["sweep", "--json"], env)]);
    const ran = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ran).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const report = ReportSchema.parse(JSON.parse(ran[0]!.stdout));
    expect(refused[0]!.code).toBe(1);
    expect(refused[0]!.stderr).toContain(`Sweep ${report.runId} is still running on another instance`);
    expect([...acceptedTriggers(h.emulator).values()]).toEqual([1, 1]);
  }, 60_000);
});

describe("the run lease lost under a CLI sweep", () => {
  it("another instance takes it: the sweep sends nothing more, prints the rest cancelled, keeps the run stopped (RunLeaseLost) and exits 1", async () => {
    const count = 200;
    await h.failedJobs("cli-lost", Array.from({ length: count }, (_, i) => failedJob(SUBS.a, items.vm(SUBS.a, `cli-lost-${i}`))));
    h.emulator.configure({ latencyMs: 200 });
    // The CLI's lease is 60 s, renewed every 20 s: the renewal after the takeover finds it gone.
    const pending = runCli(["sweep", "--json"], { ...env, RETRY_CONCURRENCY: "1" }, 90_000);
    for (let i = 0; i < 400 && acceptedTriggers(h.emulator).size === 0; i += 1) await sleep(25);
    const lock = new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).getBlobClient("sweep.lock");
    const other = lock.getBlobLeaseClient();
    await other.breakLease(0);
    await other.acquireLease(60);
    await lock.setMetadata({ runid: randomUUID() }, { conditions: { leaseId: other.leaseId } });
    try {
      const swept = await pending;
      expect(swept.code).toBe(1);
      const report = ReportSchema.parse(JSON.parse(swept.stdout));
      expect(report.totals.cancelled).toBeGreaterThan(0);
      expect(report.totals.triggered + report.totals.cancelled).toBe(count);
      expect(acceptedTriggers(h.emulator).size).toBe(report.totals.triggered);
      expect(swept.stderr).toContain('"event":"run.leaseLost"');
      const doc = RunDocumentSchema.parse(JSON.parse((await runCli(["runs", "show", report.runId, "--json"], env)).stdout));
      expect(doc).toMatchObject({ state: "stopped", error: { code: "RunLeaseLost" }, report });
    } finally {
      await other.releaseLease();
    }
  }, 120_000);
});
