// The judgement of the shipped rules, by execution: each case is a job history (records shaped as
// Resource Graph holds them), the rule as the app sends it (tunables written in), run by the
// emulator's Resource Graph, and the exact verdict columns it returns. Then the sweep over those rows:
// verdicts to outcomes, and overlapping rules merged to the safer verdict.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dpJob, rsJob, type DpJobSpec, type JobRecord, type RsJobSpec } from "../../emulator/index.ts";
import { createQuotaGate, runQuery } from "../../src/arg/index.ts";
import { connectArm, createResourceGraphClient } from "../../src/azure/index.ts";
import type { Report } from "../../src/core/index.ts";
import { createLogger } from "../../src/log.ts";
import { prepareQuery } from "../../src/queries/index.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { useHarness } from "../support/harness.ts";

const QUERIES = path.resolve(import.meta.dirname, "../../queries");
type RuleName = "recovery-services" | "backup-vault";

const h = useHarness({ argQuota: false }, (h) => h.emulator.configure({ argQuota: false, pollsBeforeDone: 1 }));
const silent = createLogger({ level: "silent", destination: { write: () => undefined } });

const SUB = "3f2b8c1e-6d4a-4b7e-9a51-0c8e2d7f4a10";
const rsVault = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;
const dpVault = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-prod`;
const VM = `${rsVault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-web-01`;
const SQL = `${rsVault}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-data;sqlvm-01/protectedItems/SQLDataBase;mssqlserver;sales`;
const HANA = `${rsVault}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-sap;hanavm-01/protectedItems/SAPHanaDatabase;hxe;hxe`;
const FILES = `${rsVault}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-files;stfinance01/protectedItems/AzureFileShare;finance`;
const DISK = `${dpVault}/backupInstances/diskrg-disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b`;
const BLOB = `${dpVault}/backupInstances/stdocs-stdocs-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d`;
const PG = `${dpVault}/backupInstances/pg-sales-01-salesdb-0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b`;

/** Whole hours ago, so every time in a case is exact. */
const at = (hoursAgo: number) => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - hoursAgo * 3_600_000);
let serial = 0;
const guid = () => `00000000-0000-4000-8000-${String((serial += 1)).padStart(12, "0")}`;

const internal = { code: 100_000, title: "BackUpOperationFailedV2", message: "Backup failed with an internal error." };
/** A Recovery Services job of the item, `hoursAgo`; failed with an internal error unless said otherwise. */
const rs = (itemId: string, hoursAgo: number, over: Partial<RsJobSpec> = {}): JobRecord => rsJob({ itemId, jobId: guid(), startTime: at(hoursAgo), error: internal, ...over });
const ok = (itemId: string, hoursAgo: number, over: Partial<RsJobSpec> = {}) => rs(itemId, hoursAgo, { status: "Completed", ...over });
const mine = (itemId: string, hoursAgo: number, over: Partial<RsJobSpec> = {}) => rs(itemId, hoursAgo, { userTriggered: true, ...over });
const dp = (itemId: string, hoursAgo: number, over: Partial<DpJobSpec> = {}): JobRecord =>
  dpJob({ itemId, jobId: guid(), startTime: at(hoursAgo), ruleName: "BackupHourly", retentionTag: "Default", error: { code: "CloudInternalError", message: "Microsoft Azure Backup encountered an internal error." }, ...over });
const blob = (hoursAgo: number, over: Partial<DpJobSpec> = {}) => dp(BLOB, hoursAgo, { dataSourceType: "Microsoft.Storage/storageAccounts/blobServices", ruleName: "BackupDaily", ...over });

/** The rule as the app sends it, with `edits` applied to its tunable lines first. */
async function sentText(name: RuleName, edits: Record<string, string> = {}): Promise<string> {
  let text = await readFile(path.join(QUERIES, `${name}.kql`), "utf8");
  for (const [tunable, value] of Object.entries(edits)) {
    const edited = text.replace(new RegExp(`^let ${tunable} = [^;]*;`, "m"), `let ${tunable} = ${value};`);
    if (edited === text) throw new Error(`no tunable ${tunable} in ${name}.kql`);
    text = edited;
  }
  const prepared = prepareQuery(text);
  if (!prepared.ok) throw new Error(`${name} cannot be sent: ${JSON.stringify(prepared.problems)}`);
  return prepared.query.text;
}

/** Every row the rule returns over the history, through the product's own paging. */
async function rows(name: RuleName, history: JobRecord[], edits: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  h.emulator.addJobs(history);
  const arm = connectArm({ credential: h.credential, endpoint: h.emulator.url, tlsCa: h.emulator.ca });
  const result = await runQuery({ client: createResourceGraphClient(arm), query: { name, text: await sentText(name, edits) }, scope: { tenant: true }, quota: createQuotaGate(), logger: silent });
  if (result.error !== undefined) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
  return result.data as Record<string, unknown>[];
}

/** The judgement columns of each row, by item. */
async function verdicts(name: RuleName, history: JobRecord[], edits: Record<string, string> = {}) {
  return (await rows(name, history, edits)).map((r) => ({ itemId: r.itemId, verdict: r.verdict, attempts: r.attempts }));
}

const item = (itemId: string, verdict: string, attempts = 0) => ({ itemId, verdict, attempts });

describe("recovery-services.kql: what is retried", () => {
  it.each<[string, () => JobRecord[], ReturnType<typeof item>[]]>([
    ["the latest scheduled backup failed: retry", () => [ok(VM, 30), rs(VM, 3)], [item(VM, "retry")]],
    ["a later backup succeeded: left alone", () => [rs(VM, 5), ok(VM, 2)], []],
    ["a backup of the item is running: left alone", () => [rs(VM, 5), rs(VM, 1, { status: "InProgress", userTriggered: true })], []],
    ["protection was stopped after the failure: left alone", () => [rs(VM, 5), ok(VM, 1, { operation: "DisableBackup" })], []],
    ["protection was stopped before the failure: retry", () => [ok(VM, 9, { operation: "DisableBackup" }), rs(VM, 5)], [item(VM, "retry")]],
    ["a symbolic code a retry cannot fix: left alone", () => [rs(VM, 3, { error: { code: 100_001, title: "UserErrorVmNotFoundV2" } })], []],
    ["a numeric code a retry cannot fix: left alone", () => [rs(VM, 3, { error: { code: 320_001, title: "SomeOtherTitle" } })], []],
    ["a person's own failed on-demand backup: left alone", () => [mine(VM, 2)], []],
    ["the failure is older than the look-back (48h): left alone", () => [rs(VM, 49)], []],
    ["the failure is just inside the look-back: retry", () => [rs(VM, 47)], [item(VM, "retry")]],
    ["the failure and a success in ids of other case: left alone", () => [rs(VM, 5), ok(VM.toLowerCase(), 2)], []],
    ["two failures, the later one in another case: one row", () => [rs(VM, 7), rs(VM.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), 3)], [item(VM.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), "retry")]],
    ["a scheduled failure and two failed retries: retry, 2 attempts", () => [rs(VM, 9), mine(VM, 6), mine(VM, 3)], [item(VM, "retry", 2)]],
    ["a scheduled failure and three failed retries: exhausted", () => [rs(VM, 9), mine(VM, 7), mine(VM, 5), mine(VM, 3)], [item(VM, "exhausted", 3)]],
    ["a cancelled job: left alone", () => [rs(VM, 3, { status: "Cancelled" })], []],
  ])("%s", async (_case, history, expected) => {
    expect(await verdicts("recovery-services", history())).toEqual(expected);
  });

  it("returns the row contract for a retry, exactly", async () => {
    const history = [rs(VM, 3, { error: { code: 100_136, title: "UserErrorGuestAgentStatusUnavailable", message: "VM Agent unable to communicate with Azure Backup" } })];
    const [row] = await rows("recovery-services", history);
    expect(row).toEqual({
      id: history[0]?.id,
      subscriptionId: SUB,
      itemId: VM,
      failedAt: expect.stringMatching(new RegExp(`^${at(3).toISOString().slice(0, 19)}`)),
      errorCode: "UserErrorGuestAgentStatusUnavailable",
      errorMessage: "VM Agent unable to communicate with Azure Backup",
      expiryDays: 10,
      backupType: "",
      dataSourceType: "AzureIaasVM",
      verdict: "retry",
      retryAfter: null,
      onDemandLast24h: 0,
      dailyAllowance: 9,
      attempts: 0,
    });
  });

  it("retries a person's failed on-demand backup when retryManualJobs is true", async () => {
    expect(await verdicts("recovery-services", [mine(VM, 2)], { retryManualJobs: "true" })).toEqual([item(VM, "retry", 1)]);
  });

  it("a raised attemptBudget lets a fourth retry go", async () => {
    const history = () => [rs(VM, 9), mine(VM, 7), mine(VM, 5), mine(VM, 3)];
    expect(await verdicts("recovery-services", history(), { attemptBudget: "5" })).toEqual([item(VM, "retry", 3)]);
  });

  it("a longer look-back reaches an older failure", async () => {
    expect(await verdicts("recovery-services", [rs(VM, 60)], { lookback: "3d" })).toEqual([item(VM, "retry")]);
  });

  it("leaves a workload removed from `workloads` alone", async () => {
    const history = [rs(VM, 3), rs(FILES, 3, { error: { code: 1 } })];
    expect((await verdicts("recovery-services", history, { workloads: 'dynamic(["AzureFileShare"])' })).map((r) => r.itemId)).toEqual([FILES]);
  });
});

describe("recovery-services.kql: SQL and SAP HANA", () => {
  const full = (hoursAgo: number, over: Partial<RsJobSpec> = {}) => rs(SQL, hoursAgo, { operation: "Backup (Full)", ...over });
  const log = (hoursAgo: number, over: Partial<RsJobSpec> = {}) => rs(SQL, hoursAgo, { operation: "Backup (Log)", ...over });
  const backupTypes = async (history: JobRecord[]) => (await rows("recovery-services", history)).map((r) => [r.backupType, r.verdict, r.expiryDays]);

  it("judges log and full apart: a later successful log does not make up for a failed full", async () => {
    expect(await backupTypes([full(6), log(4, { status: "Completed" })])).toEqual([["Full", "retry", 45]]);
  });
  it("retries a failed log as a log when the full succeeded later", async () => {
    expect(await backupTypes([log(6), full(5, { status: "Completed" }), log(2)])).toEqual([["Log", "retry", 45]]);
  });
  it("picks the most complete kind when several failed", async () => {
    expect(await backupTypes([log(6), rs(SQL, 5, { operation: "Backup (Differential)" }), full(4)])).toEqual([["Full", "retry", 45]]);
  });
  it.each(["string", "absent"] as const)("stops at the budget whether isUserTriggered is %s", async (form) => {
    // Three failed retries after the scheduled failure: with the field, they are user-triggered;
    // without it, every failure after the first counts.
    const history = [full(9, { userTriggeredAs: form }), full(7, { userTriggered: true, userTriggeredAs: form }), full(5, { userTriggered: true, userTriggeredAs: form }), full(3, { userTriggered: true, userTriggeredAs: form })];
    expect(await verdicts("recovery-services", history)).toEqual([item(SQL, "exhausted", 3)]);
  });
  it.each(["string", "absent"] as const)("retries under the budget whether isUserTriggered is %s", async (form) => {
    const history = [full(9, { userTriggeredAs: form }), full(3, { userTriggered: true, userTriggeredAs: form })];
    expect(await verdicts("recovery-services", history)).toEqual([item(SQL, "retry", 1)]);
  });
  it("leaves a person's own failed on-demand SAP HANA backup alone where the field says so", async () => {
    expect(await verdicts("recovery-services", [rs(HANA, 2, { operation: "Backup (Full)", userTriggered: true })])).toEqual([]);
  });
  it("SAP HANA auto-heal or a remedial backup error is retried like any other failure", async () => {
    expect(await verdicts("recovery-services", [rs(HANA, 2, { operation: "Backup (Full)", error: { code: 59_100, title: "UserErrorBackupFailedAsRemedialBackupInProgress" } })])).toEqual([item(HANA, "retry")]);
  });
});

describe("recovery-services.kql: Azure Files errors come by number", () => {
  const share = (hoursAgo: number, error: { code: number; message: string }) => rs(FILES, hoursAgo, { error });
  it.each([
    ["FileShareNotFound", "Operation failed as the file share is not found"],
    ["FileShareNotFound (newer wording)", "Operation failed as the file share isn't found"],
    ["AFSMaxSnapshotReached", "You have reached the max limit of snapshots for this file share; you will be able to take more once the older ones expire."],
    ["UserErrorStorageAccountNotFound", "Operation failed as the specified storage account does not exist anymore."],
    ["UserErrorStorageAccountIsLocked", "Backup or restore jobs failed due to storage account being in locked state."],
  ])("recognises %s from its documented message and leaves it alone", async (_code, message) => {
    expect(await verdicts("recovery-services", [share(3, { code: 400_123, message })])).toEqual([]);
  });
  it("retries a Files error it does not know, reporting its number as the code", async () => {
    const [row] = await rows("recovery-services", [share(3, { code: 400_999, message: "File share backup failed because the storage service throttled the request." })]);
    expect([row?.errorCode, row?.verdict, row?.expiryDays]).toEqual(["400999", "retry", 10]);
  });
  it("leaves it alone once its number is in nonRetryableCodes", async () => {
    const codes = 'dynamic(["400999"])';
    expect(await verdicts("recovery-services", [share(3, { code: 400_999, message: "Something new." })], { nonRetryableCodes: codes })).toEqual([]);
  });
});

describe("recovery-services.kql: the daily on-demand allowance", () => {
  // A person's successful on-demand backups earlier today count towards the allowance, then the scheduled backup failed.
  const people = (itemId: string, n: number, from: number) => Array.from({ length: n }, (_, i) => ok(itemId, from - i, { userTriggered: true }));
  it.each<[string, string, number, string]>([
    ["Azure VM at 8 of its 9 on-demand backups a day: retry", VM, 8, "retry"],
    ["Azure VM at 9 of 9: dailyAllowance", VM, 9, "dailyAllowance"],
    ["Azure Files at 9 of 10: retry", FILES, 9, "retry"],
    ["Azure Files at 10 of 10: dailyAllowance", FILES, 10, "dailyAllowance"],
    ["SQL at 9 of 9: dailyAllowance", SQL, 9, "dailyAllowance"],
  ])("%s", async (_case, itemId, count, verdict) => {
    const operation = itemId === SQL ? { operation: "Backup (Full)" } : itemId === FILES ? { error: { code: 1, message: "transient" } } : {};
    const history = [...Array.from({ length: count }, (_, i) => ok(itemId, 20 - i, { userTriggered: true, ...operation })), rs(itemId, 2, operation)];
    const [row] = await rows("recovery-services", history);
    expect([row?.verdict, row?.onDemandLast24h]).toEqual([verdict, count]);
    if (verdict === "dailyAllowance") expect(row?.retryAfter).toMatch(new RegExp(`^${new Date(at(20).getTime() + 86_400_000).toISOString().slice(0, 19)}`));
  });
  it("does not count on-demand backups older than 24 hours", async () => {
    const history = [...Array.from({ length: 9 }, (_, i) => ok(VM, 40 - i, { userTriggered: true })), rs(VM, 2)];
    expect(await verdicts("recovery-services", history)).toEqual([item(VM, "retry")]);
  });
  it("counts SQL jobs without isUserTriggered as on-demand, except log backups", async () => {
    // Eight full backups and the failed one itself: without the field, nothing tells them from scheduled ones.
    const unmarked = (hoursAgo: number, operation: string) => ok(SQL, hoursAgo, { operation, userTriggeredAs: "absent" });
    const history = [...Array.from({ length: 8 }, (_, i) => unmarked(20 - i, "Backup (Full)")), ...Array.from({ length: 20 }, (_, i) => unmarked(23 - i, "Backup (Log)")), rs(SQL, 2, { operation: "Backup (Full)", userTriggeredAs: "absent" })];
    const [row] = await rows("recovery-services", history);
    expect([row?.verdict, row?.onDemandLast24h]).toEqual(["dailyAllowance", 9]);
  });
  it("a lower allowance keeps more of the day for people", async () => {
    const history = [...people(VM, 3, 20), rs(VM, 2)];
    expect((await verdicts("recovery-services", history, { dailyAllowanceByWorkload: 'dynamic({"AzureVM": 3})' }))[0]?.verdict).toBe("dailyAllowance");
  });
});

describe("recovery-services.kql: the 24-hour quota", () => {
  const quota = (hoursAgo: number, title = "CloudDosAbsoluteLimitReached", over: Partial<RsJobSpec> = {}) => rs(SQL, hoursAgo, { operation: "Backup (Full)", error: { code: 100_500, title }, ...over });
  it("a quota failure 3 hours ago waits until 24 hours after it", async () => {
    const [row] = await rows("recovery-services", [quota(3)]);
    expect([row?.verdict, row?.attempts]).toEqual(["serviceQuota", 0]);
    expect(row?.retryAfter).toMatch(new RegExp(`^${new Date(at(3).getTime() + 86_400_000).toISOString().slice(0, 19)}`));
  });
  it("a quota failure 25 hours ago is retried", async () => {
    expect(await verdicts("recovery-services", [quota(25)])).toEqual([item(SQL, "retry")]);
  });
  it("spends no attempt: failed retries that hit the quota do not count", async () => {
    const history = [rs(SQL, 30, { operation: "Backup (Full)" }), quota(28, "CloudDosAbsoluteLimitReached", { userTriggered: true }), quota(27, "CloudDosAbsoluteLimitReached", { userTriggered: true }), quota(26, "CloudDosAbsoluteLimitReached", { userTriggered: true })];
    expect(await verdicts("recovery-services", history)).toEqual([item(SQL, "retry", 0)]);
  });
  it("CloudDosAbsoluteLimitReachedWithRetry is left to the service, which retries by itself", async () => {
    expect(await verdicts("recovery-services", [quota(3, "CloudDosAbsoluteLimitReachedWithRetry")])).toEqual([]);
  });
});

describe("backup-vault.kql", () => {
  it.each<[string, () => JobRecord[], ReturnType<typeof item>[]]>([
    ["the latest scheduled backup failed: retry", () => [dp(DISK, 3)], [item(DISK, "retry")]],
    ["a later backup succeeded (Succeeded): left alone", () => [dp(DISK, 5), dp(DISK, 2, { status: "Succeeded" })], []],
    ["a later backup succeeded (Completed): left alone", () => [dp(DISK, 5), dp(DISK, 2, { status: "Completed" })], []],
    ["a backup is running (Started): left alone", () => [dp(DISK, 5), dp(DISK, 1, { status: "Started", userTriggered: true })], []],
    ["a backup is running (InProgress): left alone", () => [dp(DISK, 5), dp(DISK, 1, { status: "InProgress", userTriggered: true })], []],
    ["isRetryable false: left alone", () => [dp(DISK, 3, { error: { code: "UserErrorSomething", isRetryable: false } })], []],
    ["isUserError true and no isRetryable: left alone", () => [dp(DISK, 3, { error: { code: "UserErrorSomething", isUserError: true } })], []],
    ["isUserError true but isRetryable true: retry", () => [dp(PG, 3, { dataSourceType: "Microsoft.DBforPostgreSQL/servers/databases", error: { code: "UserErrorSomething", isUserError: true, isRetryable: true } })], [item(PG, "retry")]],
    ["a code in nonRetryableCodes even though retryable: left alone", () => [dp(DISK, 3, { error: { code: "UserErrorManagedDiskNotFound", isRetryable: true } })], []],
    ["a person's own failed on-demand backup: left alone", () => [dp(DISK, 2, { userTriggered: true })], []],
    ["three failed retries after a scheduled failure: exhausted", () => [dp(DISK, 9), dp(DISK, 7, { userTriggered: true }), dp(DISK, 5, { userTriggered: true }), dp(DISK, 3, { userTriggered: true })], [item(DISK, "exhausted", 3)]],
    ["three failures with no isUserTriggered: retry, 2 attempts", () => [dp(DISK, 9, { userTriggeredAs: "absent" }), dp(DISK, 7, { userTriggeredAs: "absent" }), dp(DISK, 3, { userTriggeredAs: "absent" })], [item(DISK, "retry", 2)]],
    ["four failures with no isUserTriggered: exhausted", () => [dp(DISK, 9, { userTriggeredAs: "absent" }), dp(DISK, 7, { userTriggeredAs: "absent" }), dp(DISK, 5, { userTriggeredAs: "absent" }), dp(DISK, 3, { userTriggeredAs: "absent" })], [item(DISK, "exhausted", 3)]],
    ["vaulted blobs at 3 of 4 on-demand backups: retry", () => [...[20, 18, 16].map((h) => blob(h, { status: "Succeeded", userTriggered: true })), blob(2)], [item(BLOB, "retry")]],
    ["vaulted blobs at 4 of 4 on-demand backups: postponed", () => [...[20, 18, 16, 14].map((h) => blob(h, { status: "Succeeded", userTriggered: true })), blob(2)], [item(BLOB, "dailyAllowance")]],
    ["a disk has no daily cap", () => [...Array.from({ length: 20 }, (_, i) => dp(DISK, 22 - i, { status: "Succeeded", userTriggered: true })), dp(DISK, 1)], [item(DISK, "retry")]],
    ["the daily quota 3 hours ago (isRetryable false): waits", () => [dp(DISK, 3, { error: { code: "CloudDosTimeboudLimitReached", isRetryable: false, isUserError: true } })], [item(DISK, "serviceQuota")]],
    ["the daily quota 25 hours ago: retry", () => [dp(DISK, 25, { error: { code: "CloudDosTimeboudLimitReached", isRetryable: false, isUserError: true } })], [item(DISK, "retry")]],
  ])("%s", async (_case, history, expected) => {
    expect(await verdicts("backup-vault", history())).toEqual(expected);
  });

  it("returns the failed job's rule and tag, and leaves them empty when the job has none", async () => {
    const result = await rows("backup-vault", [dp(DISK, 3), dp(PG, 3, { dataSourceType: "Microsoft.DBforPostgreSQL/servers/databases", additionalDetails: false })]);
    expect(result.map((r) => [r.itemId, r.ruleName, r.retentionTag, r.dailyAllowance])).toEqual(
      [[DISK, "BackupHourly", "Default", null], [PG, "", "", null]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });
});

describe("both vault kinds in one estate, and more rows than a page", () => {
  it("each rule reads its own vault kind", async () => {
    const history = [rs(VM, 3), dp(DISK, 3)];
    expect((await verdicts("recovery-services", history)).map((r) => r.itemId)).toEqual([VM]);
    expect((await verdicts("backup-vault", [])).map((r) => r.itemId)).toEqual([DISK]);
  });
  it("returns 1,200 failed items over two pages", async () => {
    const vms = Array.from({ length: 1200 }, (_, i) => VM.replaceAll("vm-web-01", `vm-${String(i).padStart(4, "0")}`));
    const result = await rows("recovery-services", vms.map((id) => rs(id, 3)));
    expect(result).toHaveLength(1200);
    expect(new Set(result.map((r) => r.itemId))).toEqual(new Set(vms));
    expect(h.emulator.requests.filter((r) => r.kind === "arg")).toHaveLength(2);
  });
});

describe("the sweep over the rules' verdicts", () => {
  async function copyRule(name: RuleName, as: string, edits: Record<string, string> = {}) {
    let text = await readFile(path.join(QUERIES, `${name}.kql`), "utf8");
    for (const [tunable, value] of Object.entries(edits)) text = text.replace(new RegExp(`^let ${tunable} = [^;]*;`, "m"), `let ${tunable} = ${value};`);
    await h.rule(as, text);
  }

  async function run(history: JobRecord[]): Promise<Report> {
    h.emulator.addJobs(history);
    return (await h.run()).report;
  }

  it("turns each verdict into its outcome, and none of them is a failure", async () => {
    await copyRule("recovery-services", "recovery-services");
    await copyRule("backup-vault", "backup-vault");
    const report = await run([
      rs(VM, 3),
      rs(SQL, 9, { operation: "Backup (Full)" }), mine(SQL, 7, { operation: "Backup (Full)" }), mine(SQL, 5, { operation: "Backup (Full)" }), mine(SQL, 3, { operation: "Backup (Full)" }),
      ...Array.from({ length: 10 }, (_, i) => ok(FILES, 20 - i, { userTriggered: true })), rs(FILES, 2, { error: { code: 1, message: "transient" } }),
      dp(DISK, 3, { error: { code: "CloudDosTimeboudLimitReached", isRetryable: false } }),
    ]);
    const outcome = Object.fromEntries(report.actions.map((a) => [a.itemId, [a.outcome, a.waitReason]]));
    expect(outcome).toEqual({
      [VM]: ["triggered", undefined],
      [SQL]: ["exhausted", undefined],
      [FILES]: ["postponed", "dailyAllowance"],
      [DISK]: ["postponed", "serviceQuota"],
    });
    const files = report.actions.find((a) => a.itemId === FILES);
    expect(files).toMatchObject({ onDemandLast24h: 10, dailyAllowance: 10, retryAfter: new Date(at(20).getTime() + 86_400_000).toISOString() });
    expect(report.totals).toMatchObject({ triggered: 1, exhausted: 1, postponed: 2, failed: 0 });
    expect(exitCodeOf(report)).toBe(0);
    expect(h.emulator.requests.filter((r) => r.method === "POST" && r.kind !== "arg").map((r) => r.itemId)).toEqual([VM]);
  });

  it("a second sweep leaves alone what the first one triggered", async () => {
    await copyRule("recovery-services", "recovery-services");
    const first = await run([rs(VM, 3)]);
    expect(first.totals.triggered).toBe(1);
    const second = await run([]);
    expect(second.totals).toMatchObject({ rows: 0, triggered: 0 });
  });

  it("two rules that disagree: the safer verdict wins and the action names both", async () => {
    await copyRule("recovery-services", "recovery-services");
    await copyRule("recovery-services", "vm-lenient", { attemptBudget: "5" });
    await copyRule("recovery-services", "vm-strict-allowance", { dailyAllowanceByWorkload: 'dynamic({"AzureVM": 2})' });
    const report = await run([rs(SQL, 9, { operation: "Backup (Full)" }), mine(SQL, 7, { operation: "Backup (Full)" }), mine(SQL, 5, { operation: "Backup (Full)" }), mine(SQL, 3, { operation: "Backup (Full)" }), ok(VM, 10, { userTriggered: true }), ok(VM, 8, { userTriggered: true }), rs(VM, 3)]);
    const sql = report.actions.find((a) => a.itemId === SQL);
    const vm = report.actions.find((a) => a.itemId === VM);
    expect(sql).toMatchObject({ outcome: "exhausted", rules: ["recovery-services", "vm-lenient", "vm-strict-allowance"] });
    expect(sql?.sourceRows).toHaveLength(3);
    // The shipped rule allows 9 a day and would retry; the strict copy allows 2, and 2 were used.
    expect(vm).toMatchObject({ outcome: "postponed", waitReason: "dailyAllowance", dailyAllowance: 2, onDemandLast24h: 2 });
    expect(report.totals).toMatchObject({ rows: 6, actions: 2, triggered: 0 });
  });
});
