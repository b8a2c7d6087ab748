// The shipped rules' logic, run by the emulator's Resource Graph over job histories: fixtures/ holds the two rules
// with their tunables written in as literals (Resource Graph has no `let`). Each case is a history and the exact rows
// the rule returns; then two sweeps in a row, where the job the first one started keeps the second from retrying.
import { copyFile, readFile } from "node:fs/promises";
import path from "node:path";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { describe, expect, it } from "vitest";
import { dpJob, rsJob } from "../../emulator/index.ts";
import type { DpJobSpec, JobRecord, RsJobSpec } from "../../emulator/index.ts";
import { items, SUBS, useHarness } from "../support/harness.ts";

const FIXTURES = path.resolve("test/emulator/fixtures");
const h = useHarness({}, (harness) => harness.emulator.configure({ argQuota: false, pollsBeforeDone: 1 }));

const at = (hoursAgo: number) => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - hoursAgo * 3_600_000);
const iso7 = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

async function rule(name: "recovery-services" | "backup-vault", history: JobRecord[]) {
  h.emulator.addJobs(history);
  const query = await readFile(path.join(FIXTURES, `${name}.kql`), "utf8");
  const client = new ResourceGraphClient(h.credential, { endpoint: h.emulator.url, credentials: { scopes: [`${h.emulator.url}/.default`] }, tlsOptions: { ca: h.emulator.ca } });
  return (await client.resources({ query })).data as Record<string, unknown>[];
}

const vm = items.vm(SUBS.a, "vm-web-01");
const sql = items.sql(SUBS.a, "sales");
const files = items.files(SUBS.a, "finance");
const vmJob = (n: number, hoursAgo: number, over: Partial<RsJobSpec> = {}) => rsJob({ itemId: vm, jobId: guid(n), startTime: at(hoursAgo), ...over });
const jobId = (itemId: string, n: number) => `${itemId.split("/").slice(0, 9).join("/")}/backupJobs/${guid(n)}`;

describe("recovery-services.kql over job histories", () => {
  it("the latest backup failed: one row, to be retried", async () => {
    const rows = await rule("recovery-services", [vmJob(1, 5, { status: "Completed" }), vmJob(2, 3, { error: { code: 100136, title: "UserErrorGuestAgentStatusUnavailable", message: "VM Agent unable to communicate with Azure Backup" } })]);
    expect(rows).toEqual([
      {
        id: jobId(vm, 2),
        subscriptionId: SUBS.a,
        itemId: vm,
        failedAt: iso7(at(3)),
        errorCode: "UserErrorGuestAgentStatusUnavailable",
        errorMessage: "VM Agent unable to communicate with Azure Backup",
        expiryDays: 10,
        backupType: "",
        dataSourceType: "AzureIaasVM",
        exhausted: false,
        attempts: 0,
      },
    ]);
  });

  it.each([
    ["a later backup succeeded", [vmJob(1, 5), vmJob(2, 2, { status: "Completed" })]],
    ["a backup of the item is running", [vmJob(1, 5), vmJob(2, 1, { status: "InProgress", userTriggered: true })]],
    ["protection was stopped after the failure", [vmJob(1, 5), vmJob(2, 1, { status: "Completed", operation: "DisableBackup" })]],
    ["the error is one a retry cannot fix (errorTitle)", [vmJob(1, 5, { error: { title: "UserErrorVmNotFoundV2" } })]],
    ["the error is one a retry cannot fix (an Azure Files job's numeric errorCode)", [rsJob({ itemId: files, startTime: at(4), error: { code: 320001, message: "The share was not found." } })]],
    ["a person's own on-demand backup failed", [vmJob(1, 2, { userTriggered: true })]],
    ["the failure is older than the look-back", [vmJob(1, 30)]],
  ])("no row when %s", async (_name, history) => {
    expect(await rule("recovery-services", history)).toEqual([]);
  });

  it("after a scheduled failure, three failed on-demand attempts spend the budget: the item is exhausted", async () => {
    const rows = await rule("recovery-services", [vmJob(1, 8), vmJob(2, 6, { userTriggered: true }), vmJob(3, 4, { userTriggered: true }), vmJob(4, 2, { userTriggered: true, error: { title: "UserErrorVmProvisioningStateFailed" } })]);
    expect(rows.map((r) => [r.id, r.exhausted, r.attempts, r.errorCode])).toEqual([[jobId(vm, 4), true, 3, "UserErrorVmProvisioningStateFailed"]]);
  });

  it("SQL: each kind of backup is judged on its own, and the row says which kind failed", async () => {
    const rows = await rule("recovery-services", [
      rsJob({ itemId: sql, jobId: guid(1), operation: "Backup (Log)", startTime: at(5) }),
      rsJob({ itemId: sql, jobId: guid(2), operation: "Backup (Full)", status: "Completed", startTime: at(3) }),
    ]);
    expect(rows.map((r) => [r.id, r.backupType, r.expiryDays, r.dataSourceType])).toEqual([[jobId(sql, 1), "Log", 45, "AzureWorkload"]]);
  });

  it("ids in another case are the same item", async () => {
    const rows = await rule("recovery-services", [vmJob(1, 5), rsJob({ itemId: vm.toLowerCase(), jobId: guid(2), startTime: at(2), status: "Completed" })]);
    expect(rows).toEqual([]);
  });
});

describe("backup-vault.kql over job histories", () => {
  const disk = items.dp(SUBS.a, "disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b");
  const diskJob = (n: number, hoursAgo: number, over: Partial<DpJobSpec> = {}) => dpJob({ itemId: disk, jobId: guid(n), startTime: at(hoursAgo), ruleName: "BackupHourly", retentionTag: "Default", ...over });

  it("the latest backup failed: one row with the failed job's rule and retention tag", async () => {
    const rows = await rule("backup-vault", [diskJob(1, 6, { status: "Succeeded" }), diskJob(2, 2, { error: { code: "UserErrorMaxConcurrentOperationLimitReached", message: "Operation limit reached.", isRetryable: true } })]);
    expect(rows).toEqual([
      {
        id: jobId(disk, 2),
        subscriptionId: SUBS.a,
        itemId: disk,
        failedAt: iso7(at(2)),
        errorCode: "UserErrorMaxConcurrentOperationLimitReached",
        errorMessage: "Operation limit reached.",
        ruleName: "BackupHourly",
        retentionTag: "Default",
        dataSourceType: "Microsoft.Compute/disks",
        exhausted: false,
        attempts: 0,
      },
    ]);
  });

  it.each([
    ["a later backup succeeded (Completed, the other vocabulary)", [diskJob(1, 5), diskJob(2, 2, { status: "Completed" })]],
    ["a backup is running (Started)", [diskJob(1, 5), diskJob(2, 1, { status: "Started", userTriggered: true })]],
    ["the job says a retry cannot help (isRetryable false)", [diskJob(1, 5, { error: { code: "CloudDosTimeboudLimitReached", isRetryable: false } })]],
    ["the code is one a retry cannot fix", [diskJob(1, 5, { error: { code: "UserErrorManagedDiskNotFound", isRetryable: true } })]],
  ])("no row when %s", async (_name, history) => {
    expect(await rule("backup-vault", history)).toEqual([]);
  });
});

describe("the sweep over job histories, twice", () => {
  async function sweepTwice(history: JobRecord[]) {
    await copyFile(path.join(FIXTURES, "recovery-services.kql"), path.join(h.queriesDir, "recovery-services.kql"));
    h.emulator.addJobs(history);
    const first = (await h.run()).report;
    const second = (await h.run()).report;
    return { first, second, triggers: h.emulator.requests.filter((r) => r.kind === "rs.trigger") };
  }

  it("the backup the first sweep started succeeded, so the second leaves the item alone", async () => {
    const { first, second, triggers } = await sweepTwice([vmJob(1, 3)]);
    expect(first.actions.map((a) => a.outcome)).toEqual(["triggered"]);
    expect(second.totals.rows).toBe(0);
    expect(triggers).toHaveLength(1);
  });

  it("the backup the first sweep started is still running, so the second leaves the item alone", async () => {
    h.emulator.fault({ kind: "rs.trigger", respond: { neverFinishes: true } });
    const { second, triggers } = await sweepTwice([vmJob(1, 3)]);
    expect(second.totals.rows).toBe(0);
    expect(triggers).toHaveLength(1);
  });
});
