// The execute step against the local ARM: the real Recovery Services SDK client, our Backup-vault
// client and the real ManagedIdentityCredential. Assertions are on what crossed the wire and on the
// returned reports and log events.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Emulator, RecordedRequest } from "../../emulator/index.ts";
import { connectArm, type ArmConnection, type ArmConnectionOptions } from "../../src/azure/index.ts";
import { executeActions } from "../../src/backup/index.ts";
import type { ActionReport } from "../../src/core/index.ts";
import { createLogger } from "../../src/log.ts";
import { planActions, type PlannedAction } from "../../src/plan/index.ts";
import { FAST_OPERATION, FAST_RETRY, items, SUBS, useHarness } from "../support/harness.ts";
import { expectNoSecrets } from "../support/wire.ts";

const { a: SUB_A, b: SUB_B, c: SUB_C } = SUBS;
const DAY = 86_400_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const rsVault = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;
const dpVault = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-prod`;
const { vm, sql, hana, files: share, dp: instance } = items;
const policy = (sub: string, name: string) => `${dpVault(sub)}/backupPolicies/${name}`;

const h = useHarness({}, (h) => h.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1 }));
let emulator: Emulator;
let arm: ArmConnection;
let logs: string[];
let jobCounter = 0;

beforeAll(() => {
  emulator = h.emulator;
  arm = connectArm({ credential: h.credential, endpoint: emulator.url, tlsCa: emulator.ca, retry: FAST_RETRY, operation: FAST_OPERATION });
});
afterEach(() => {
  vi.useRealTimers();
});
beforeEach(() => {
  logs = [];
});

function row(itemId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  jobCounter += 1;
  const sub = /\/subscriptions\/([^/]+)/.exec(itemId)?.[1] ?? SUB_A;
  return { id: `/subscriptions/${sub}/backupJobs/job-${jobCounter}`, subscriptionId: sub, itemId, failedAt: new Date(Date.UTC(2026, 0, 1, 0, jobCounter % 60)).toISOString(), ...extra };
}

/**
 * Rows through the real planner, so the actions are what the sweep would hand over. Registers the
 * items with the emulator's vaults unless told not to; a test that needs particular Backup-vault
 * rules calls addItems afterwards, which replaces the defaults.
 */
function plan(rows: Record<string, unknown>[], caps: { maxPerRun?: number; maxPerSubscription?: number } = {}, register = true): PlannedAction[] {
  if (register) emulator.addItems(rows.map((r) => ({ itemId: r.itemId as string })));
  const planned = planActions([{ rule: "test", data: rows }], { maxPerRun: caps.maxPerRun ?? 1000, maxPerSubscription: caps.maxPerSubscription ?? 1000 });
  expect(planned.invalid).toEqual([]);
  return planned.actions;
}

interface ExecuteTestOptions {
  concurrency?: number;
  dryRun?: boolean;
  operation?: ArmConnectionOptions["operation"];
}

function execute(actions: PlannedAction[], options: ExecuteTestOptions = {}): Promise<ActionReport[]> {
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void logs.push(line) }, base: { runId: "run-1" } });
  const connection = options.operation === undefined ? arm : connectArm({ credential: h.credential, endpoint: emulator.url, tlsCa: emulator.ca, retry: FAST_RETRY, operation: options.operation });
  return executeActions(actions, { arm: connection, concurrency: options.concurrency ?? 4, expiryDays: 10, dryRun: options.dryRun ?? false, logger });
}

/** Stops the clock at the current time (Date only: timers and I/O run as usual), so expiry times are exact. */
function frozenNow(): Date {
  const now = new Date();
  vi.useFakeTimers({ toFake: ["Date"], now });
  return now;
}

const writes = () => emulator.requests.filter((r) => r.kind === "rs.trigger" || r.kind === "dp.trigger");
const ofKind = (kind: RecordedRequest["kind"]) => emulator.requests.filter((r) => r.kind === kind);
const propertiesOf = (request: RecordedRequest | undefined) => (request?.body as { properties: Record<string, unknown> } | undefined)?.properties;
const reportFor = (reports: ActionReport[], itemId: string) => reports.find((r) => r.itemId.toLowerCase() === itemId.toLowerCase());
const events = () => logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => typeof e.event === "string" && (e.event as string).startsWith("retry."));

describe("Recovery Services: one POST per workload, followed to the job id", () => {
  it("sends each workload's exact URL, api-version and body, and reports the job", async () => {
    const now = frozenNow();
    const ids = { vm: vm(SUB_A, "vm-web-01"), sql: sql(SUB_A, "orders"), hana: hana(SUB_A, "hxe"), files: share(SUB_A, "finance") };
    const reports = await execute(plan([row(ids.vm), row(ids.sql), row(ids.hana), row(ids.files)]));

    const post = (fragment: string) => writes().find((r) => r.path.includes(fragment));
    const vmPost = post("VM%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01");
    expect(vmPost?.path).toBe(
      `/subscriptions/${SUB_A}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupFabrics/Azure/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01/protectedItems/VM%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01/backup`,
    );
    expect(vmPost?.method).toBe("POST");
    expect(vmPost?.query).toEqual({ "api-version": "2023-06-01" });
    const tenDays = new Date(now.getTime() + 10 * DAY).toISOString();
    expect(vmPost?.body).toEqual({ properties: { objectType: "IaasVMBackupRequest", recoveryPointExpiryTimeInUTC: tenDays } });
    expect(propertiesOf(post("SQLDataBase%3Bmssqlserver%3Borders"))).toMatchObject({ objectType: "AzureWorkloadBackupRequest", backupType: "Full" });
    expect(propertiesOf(post("SAPHanaDatabase%3Bhxe%3Bhxe"))).toMatchObject({ objectType: "AzureWorkloadBackupRequest", backupType: "Full" });
    expect(post("AzureFileShare%3Bfinance")?.body).toEqual({ properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: tenDays } });

    expect(writes()).toHaveLength(4);
    for (const request of emulator.requests.filter((r) => r.kind !== "msi")) {
      expect(emulator.tokens).toContain(request.headers.authorization?.replace(/^Bearer /, ""));
    }
    // Each one is followed through its Azure-AsyncOperation URL until it names the job.
    expect(ofKind("rs.operationStatus").length).toBeGreaterThanOrEqual(4);
    expect(reports.map((r) => r.outcome)).toEqual(["triggered", "triggered", "triggered", "triggered"]);
    expect(reports.map((r) => r.workload).sort()).toEqual(["AzureFileShare", "AzureVM", "SAPHanaDatabase", "SQLDatabase"]);
    for (const report of reports) expect(report.jobId).toMatch(GUID);
    expect(reportFor(reports, ids.vm)).toMatchObject({ vaultKind: "recoveryServices", expiresAt: tenDays, vaultId: rsVault(SUB_A) });
    expect(reportFor(reports, ids.vm)?.backupType).toBeUndefined();
  });

  it("keeps SQL / HANA Full at the 45-day minimum, lets a row's expiry win, and sends no expiry for policy-retained types", async () => {
    const now = frozenNow();
    const ids = {
      fullShort: sql(SUB_A, "short"),
      fullLong: sql(SUB_A, "long"),
      copyOnly: sql(SUB_A, "copy"),
      diff: sql(SUB_A, "diff"),
      log: hana(SUB_A, "log"),
      vmRow: vm(SUB_A, "vm-row"),
    };
    const reports = await execute(
      plan([
        row(ids.fullShort),
        row(ids.fullLong, { expiryDays: 60 }),
        row(ids.copyOnly, { backupType: "CopyOnlyFull" }),
        row(ids.diff, { backupType: "Differential" }),
        row(ids.log, { backupType: "Log" }),
        row(ids.vmRow, { expiryDays: 3 }),
      ]),
    );
    const at = (days: number, extraMs = 0) => new Date(now.getTime() + days * DAY + extraMs).toISOString();
    const sent = (itemId: string) => propertiesOf(writes().find((r) => r.itemId?.toLowerCase() === itemId.toLowerCase()));

    expect(sent(ids.fullShort)).toEqual({ objectType: "AzureWorkloadBackupRequest", backupType: "Full", recoveryPointExpiryTimeInUTC: at(45, 3_600_000) });
    expect(reportFor(reports, ids.fullShort)).toMatchObject({ outcome: "triggered", backupType: "Full", expiresAt: at(45, 3_600_000) });
    expect(sent(ids.fullLong)?.recoveryPointExpiryTimeInUTC).toBe(at(60));
    expect(sent(ids.copyOnly)).toEqual({ objectType: "AzureWorkloadBackupRequest", backupType: "CopyOnlyFull", recoveryPointExpiryTimeInUTC: at(10) });
    expect(sent(ids.diff)).toEqual({ objectType: "AzureWorkloadBackupRequest", backupType: "Differential" });
    expect(sent(ids.log)).toEqual({ objectType: "AzureWorkloadBackupRequest", backupType: "Log" });
    expect(reportFor(reports, ids.log)).toMatchObject({ outcome: "triggered", backupType: "Log" });
    expect(reportFor(reports, ids.log)?.expiresAt).toBeUndefined();
    expect(sent(ids.vmRow)?.recoveryPointExpiryTimeInUTC).toBe(at(3));
    expect(reports.every((r) => r.outcome === "triggered")).toBe(true);
  });
});

describe("Backup vaults: rule and tag, then the poller to the job id", () => {
  it("takes rule and tag from the row when it gives both, without reading the instance or policy", async () => {
    const id = instance(SUB_A, "disk-data-01");
    const actions = plan([row(id, { ruleName: "BackupHourly", retentionTag: "Weekly", dataSourceType: "Microsoft.Compute/disks" })]);
    emulator.addItems([{ itemId: id, rules: [{ name: "BackupHourly", retentionTags: ["Default", "Weekly"], defaultTag: "Default" }] }]);
    const reports = await execute(actions);

    expect(ofKind("dp.instance")).toHaveLength(0);
    expect(ofKind("dp.policy")).toHaveLength(0);
    const [post] = writes();
    expect(post?.path).toBe(`${id}/backup`);
    expect(post?.query).toEqual({ "api-version": "2025-07-01" });
    expect(post?.body).toEqual({ backupRuleOptions: { ruleName: "BackupHourly", triggerOption: { retentionTagOverride: "Weekly" } } });
    expect(ofKind("dp.operationResult").length).toBeGreaterThanOrEqual(1);
    expect(reports[0]).toMatchObject({ outcome: "triggered", vaultKind: "dataProtection", workload: "AzureDisk", ruleName: "BackupHourly", retentionTag: "Weekly" });
    expect(reports[0]?.jobId).toMatch(GUID);
  });

  it("reads each instance and its policy once per run, and uses the scheduled rule's default tag", async () => {
    const shared = policy(SUB_A, "pg-weekly");
    const ids = [instance(SUB_A, "pg-orders-01"), instance(SUB_A, "pg-billing-02"), instance(SUB_A, "pg-audit-03")];
    const actions = plan(ids.map((id) => row(id)));
    emulator.addItems(
      ids.map((itemId) => ({
        itemId,
        dataSourceType: "Microsoft.DBforPostgreSQL/servers/databases",
        policyId: shared,
        rules: [{ name: "BackupWeekly", retentionTags: ["Monthly", "Default"], defaultTag: "Default" }],
      })),
    );
    const reports = await execute(actions);

    expect(ofKind("dp.instance")).toHaveLength(3);
    expect(ofKind("dp.policy").map((r) => r.path)).toEqual([shared]);
    expect(ofKind("dp.policy")[0]?.query).toEqual({ "api-version": "2025-07-01" });
    expect(writes().map((r) => r.body)).toEqual(ids.map(() => ({ backupRuleOptions: { ruleName: "BackupWeekly", triggerOption: { retentionTagOverride: "Default" } } })));
    for (const report of reports) {
      expect(report).toMatchObject({ outcome: "triggered", workload: "PostgreSQL", ruleName: "BackupWeekly", retentionTag: "Default" });
      expect(report.jobId).toMatch(GUID);
    }
  });

  it("fails an unknown backup instance with ARM's 404 and sends no write", async () => {
    const reports = await execute(plan([row(instance(SUB_A, "gone-01"))], {}, false));
    expect(writes()).toHaveLength(0);
    expect(reports[0]).toMatchObject({ outcome: "failed", workload: "Other", error: { code: "ResourceNotFound", status: 404 } });
  });
});

describe("dry run", () => {
  it("sends no write, still shows the expiry and the Backup-vault rule it would use", async () => {
    const now = frozenNow();
    const dp = instance(SUB_B, "disk-dry-01");
    const reports = await execute(plan([row(vm(SUB_A, "vm-dry")), row(sql(SUB_A, "dry")), row(dp)]), { dryRun: true });

    expect(writes()).toHaveLength(0);
    expect(emulator.requests.every((r) => r.method === "GET")).toBe(true);
    expect(reports.map((r) => r.outcome)).toEqual(["dryRun", "dryRun", "dryRun"]);
    expect(reportFor(reports, vm(SUB_A, "vm-dry"))).toMatchObject({ expiresAt: new Date(now.getTime() + 10 * DAY).toISOString() });
    expect(reportFor(reports, sql(SUB_A, "dry"))).toMatchObject({ backupType: "Full" });
    expect(reportFor(reports, dp)).toMatchObject({ workload: "AzureDisk", ruleName: "BackupHourly", retentionTag: "Default" });
    expect(events().map((e) => [e.event, e.level])).toEqual([
      ["retry.dryRun", "info"],
      ["retry.dryRun", "info"],
      ["retry.dryRun", "info"],
    ]);
  });
});

describe("failures stay with their action", () => {
  it("reports a 403 in one subscription with ARM's message and triggers the others", async () => {
    emulator.denySubscription(SUB_B);
    const reports = await execute(plan([row(vm(SUB_A, "vm-a")), row(vm(SUB_B, "vm-b")), row(instance(SUB_B, "disk-b-01")), row(vm(SUB_C, "vm-c"))]));

    expect(reportFor(reports, vm(SUB_A, "vm-a"))?.outcome).toBe("triggered");
    expect(reportFor(reports, vm(SUB_C, "vm-c"))?.outcome).toBe("triggered");
    const denied = reportFor(reports, vm(SUB_B, "vm-b"));
    expect(denied).toMatchObject({ outcome: "failed", error: { code: "AuthorizationFailed", status: 403 } });
    expect(denied?.error?.message).toMatch(/does not have authorization to perform action '.*protectedItems\/backup\/action' over scope/);
    expect(reportFor(reports, instance(SUB_B, "disk-b-01"))).toMatchObject({ outcome: "failed", error: { code: "AuthorizationFailed", status: 403 } });
    const failedEvents = events().filter((e) => e.event === "retry.failed");
    expect(failedEvents).toHaveLength(2);
    expect(failedEvents.every((e) => e.level === "error" && e.subscriptionId === SUB_B)).toBe(true);
  });

  it("fails an item the vault does not know with ARM's 404", async () => {
    const reports = await execute(plan([row(vm(SUB_A, "vm-unknown"))], {}, false));
    expect(reports[0]).toMatchObject({ outcome: "failed", error: { code: "BMSUserErrorItemNotFound", message: "Item not found", status: 404 } });
    expect(writes()).toHaveLength(1);
  });

  it("retries a 429 that says when (Retry-After) and one that does not, then triggers", async () => {
    const withHeader = vm(SUB_A, "vm-429-header");
    const without = vm(SUB_B, "vm-429-bare");
    emulator.fault({ kind: "rs.trigger", subscriptionId: SUB_A, times: 2, respond: { status: 429, headers: { "retry-after": "0" } } });
    emulator.fault({ kind: "rs.trigger", subscriptionId: SUB_B, times: 2, respond: { status: 429 } });
    const reports = await execute(plan([row(withHeader), row(without)]));

    expect(reports.map((r) => r.outcome)).toEqual(["triggered", "triggered"]);
    expect(writes().filter((r) => r.subscriptionId === SUB_A).map((r) => r.status)).toEqual([429, 429, 202]);
    expect(writes().filter((r) => r.subscriptionId === SUB_B).map((r) => r.status)).toEqual([429, 429, 202]);
  });

  it("does not sleep through a Retry-After over the cap: fails at once and says the next run retries", async () => {
    emulator.fault({ kind: "rs.trigger", respond: { status: 429, headers: { "retry-after": "120" } } });
    const reports = await execute(plan([row(vm(SUB_A, "vm-throttled"))]));

    expect(writes()).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: "failed", error: { code: "TooManyRequests", status: 429 } });
    expect(reports[0]?.error?.message).toMatch(/asked to wait 120 s, over the 2 s cap.*next run will retry/);
  });

  it("gives up on a 429 without Retry-After after the retry budget", async () => {
    emulator.fault({ kind: "rs.trigger", respond: { status: 429 } });
    const reports = await execute(plan([row(vm(SUB_A, "vm-always-429"))]));
    expect(writes()).toHaveLength(FAST_RETRY.maxRetries + 1);
    expect(reports[0]).toMatchObject({ outcome: "failed", error: { code: "TooManyRequests", status: 429 } });
    expect(reports[0]?.error?.message).toMatch(/through 3 retries; the next run will retry it/);
  });

  it("retries 500 and 503, and reports a 503 that never clears", async () => {
    const flaky = vm(SUB_A, "vm-flaky");
    const down = instance(SUB_B, "disk-down-01");
    emulator.fault({ kind: "rs.trigger", times: 1, respond: { status: 500 } });
    emulator.fault({ kind: "rs.trigger", times: 1, respond: { status: 503 } });
    emulator.fault({ kind: "dp.trigger", respond: { status: 503 } });
    const reports = await execute(plan([row(flaky), row(down, { ruleName: "BackupHourly", retentionTag: "Default" })]));

    expect(writes().filter((r) => r.kind === "rs.trigger").map((r) => r.status)).toEqual([500, 503, 202]);
    expect(reportFor(reports, flaky)?.outcome).toBe("triggered");
    expect(writes().filter((r) => r.kind === "dp.trigger")).toHaveLength(FAST_RETRY.maxRetries + 1);
    expect(reportFor(reports, down)).toMatchObject({ outcome: "failed", error: { code: "ServiceUnavailable", status: 503 } });
  });

  it("retries a connection reset", async () => {
    emulator.fault({ kind: "rs.trigger", times: 1, respond: { reset: true } });
    emulator.fault({ kind: "rs.operationStatus", times: 1, respond: { reset: true } });
    const reports = await execute(plan([row(vm(SUB_A, "vm-reset"))]));
    expect(writes().map((r) => r.status)).toEqual([0, 202]);
    expect(reports[0]?.outcome).toBe("triggered");
    expect(reports[0]?.jobId).toMatch(GUID);
  });
});

describe("a backup already running", () => {
  it("is alreadyInProgress (RS) or postponed for the vault's concurrency limit (DP) whether the POST answers 409 or the operation ends Failed", async () => {
    const ids = { rs409: vm(SUB_A, "vm-busy"), rsOp: sql(SUB_A, "busydb"), dp409: instance(SUB_B, "disk-busy-01"), dpOp: instance(SUB_B, "disk-busy-02") };
    const actions = plan([row(ids.rs409), row(ids.rsOp), row(ids.dp409), row(ids.dpOp)]);
    emulator.setConflict(ids.rs409, { on: "trigger" });
    emulator.setConflict(ids.rsOp, { on: "operation" });
    emulator.setConflict(ids.dp409, { on: "trigger" });
    emulator.setConflict(ids.dpOp, { on: "operation" });
    const reports = await execute(actions);

    expect(reportFor(reports, ids.rs409)).toMatchObject({ outcome: "alreadyInProgress", error: { code: "UserErrorBackupOperationInProgress", status: 409 } });
    expect(reportFor(reports, ids.rsOp)).toMatchObject({ outcome: "alreadyInProgress", error: { code: "UserErrorBackupOperationInProgress" } });
    expect(reportFor(reports, ids.dp409)).toMatchObject({ outcome: "postponed", waitReason: "concurrencyLimit", error: { code: "UserErrorMaxConcurrentOperationLimitReached", status: 409 } });
    expect(reportFor(reports, ids.dpOp)).toMatchObject({ outcome: "postponed", waitReason: "concurrencyLimit", error: { code: "UserErrorMaxConcurrentOperationLimitReached" } });
    expect(events().filter((e) => e.event === "retry.alreadyInProgress").every((e) => e.level === "info")).toBe(true);
  });

  it("is recognised from the message when the code is generic, and an operation failing otherwise is failed", async () => {
    const byMessage = vm(SUB_A, "vm-msg");
    const broken = vm(SUB_A, "vm-broken");
    emulator.fault({
      itemId: byMessage,
      kind: "rs.trigger",
      respond: { status: 400, body: { error: { code: "BadRequest", message: "Another backup operation is currently in progress on this item." } } },
    });
    emulator.fault({
      itemId: broken,
      kind: "rs.operationStatus",
      respond: { status: 200, body: { id: "op", name: "op", status: "Failed", error: { code: "UserErrorGuestAgentStatusUnavailable", message: "VM agent unable to communicate with Azure Backup" } } },
    });
    const reports = await execute(plan([row(byMessage), row(broken)]));
    expect(reportFor(reports, byMessage)).toMatchObject({ outcome: "alreadyInProgress", error: { code: "BadRequest", status: 400 } });
    expect(reportFor(reports, broken)).toMatchObject({ outcome: "failed", error: { code: "UserErrorGuestAgentStatusUnavailable", message: "VM agent unable to communicate with Azure Backup" } });
  });
});

describe("following the operation", () => {
  it("stops after maxPolls and reports the backup triggered without a job id", async () => {
    const rs = vm(SUB_A, "vm-slow");
    const dp = instance(SUB_A, "disk-slow-01");
    emulator.fault({ kind: "rs.trigger", respond: { neverFinishes: true } });
    emulator.fault({ kind: "dp.trigger", respond: { neverFinishes: true } });
    const reports = await execute(plan([row(rs), row(dp)]), { operation: { maxPolls: 3, maxPollIntervalMs: 5, timeoutMs: 5_000 } });

    expect(ofKind("rs.operationStatus")).toHaveLength(3);
    expect(ofKind("dp.operationStatus")).toHaveLength(3);
    for (const report of reports) {
      expect(report.outcome).toBe("triggered");
      expect(report.jobId).toBeUndefined();
      expect(report.reason).toMatch(/still running after 3 polls/);
    }
  });

  it("reports a 202 without Azure-AsyncOperation or Location as triggered, and polls nothing", async () => {
    const rs = vm(SUB_A, "vm-bare");
    const dp = instance(SUB_A, "disk-bare-01");
    emulator.fault({ kind: "rs.trigger", respond: { noAsyncHeaders: true } });
    emulator.fault({ kind: "dp.trigger", respond: { noAsyncHeaders: true } });
    const reports = await execute(plan([row(rs), row(dp)]));

    expect(emulator.requests.filter((r) => r.kind.endsWith("operationStatus") || r.kind.endsWith("operationResult"))).toHaveLength(0);
    for (const report of reports) {
      expect(report).toMatchObject({ outcome: "triggered" });
      expect(report.jobId).toBeUndefined();
      expect(report.reason).toMatch(/neither Azure-AsyncOperation nor Location/);
    }
  });

  it("does not follow an operation URL off the ARM host, so the token stays there", async () => {
    const rs = vm(SUB_A, "vm-foreign");
    const dp = instance(SUB_A, "disk-foreign-01");
    const foreign = { "azure-asyncoperation": "https://203.0.113.7/operationsStatus/1?api-version=1", location: "https://203.0.113.7/operationResults/1?api-version=1" };
    emulator.fault({ kind: "rs.trigger", respond: { status: 202, headers: foreign } });
    emulator.fault({ kind: "dp.trigger", respond: { status: 202, headers: foreign } });
    const reports = await execute(plan([row(rs), row(dp)]));

    for (const report of reports) {
      expect(report.outcome).toBe("triggered");
      expect(report.jobId).toBeUndefined();
      expect(report.reason).toMatch(/not on https:\/\/127\.0\.0\.1:\d+; not followed/);
    }
  });

  it("does not hold a write slot while following an operation", async () => {
    // Retry-After 1 s: the first poll comes well after the writes of the others.
    emulator.configure({ retryAfterSeconds: 1 });
    const ids = [vm(SUB_A, "vm-s1"), vm(SUB_A, "vm-s2"), vm(SUB_A, "vm-s3")];
    const reports = await execute(plan(ids.map((id) => row(id))), { concurrency: 1, operation: { maxPolls: 2, maxPollIntervalMs: 200, timeoutMs: 5_000 } });
    const kinds = emulator.requests.filter((r) => r.kind !== "msi").map((r) => r.kind);
    expect(kinds.slice(0, 3)).toEqual(["rs.trigger", "rs.trigger", "rs.trigger"]);
    expect(reports.every((r) => r.outcome === "triggered" && r.jobId !== undefined)).toBe(true);
  });

  it("waits the Retry-After the service asks before polling, even over maxPollIntervalMs", async () => {
    // ARM asks clients to follow Retry-After (60 s on the Backup APIs); maxPollIntervalMs is only the wait without one.
    emulator.configure({ retryAfterSeconds: 1 });
    const reports = await execute(plan([row(vm(SUB_A, "vm-ra"))]), { operation: { maxPolls: 3, maxPollIntervalMs: 10, timeoutMs: 5_000 } });
    expect(reports[0]?.jobId).toBeDefined();
    const trigger = emulator.requests.find((r) => r.kind === "rs.trigger");
    const poll = emulator.requests.find((r) => r.kind === "rs.operationStatus");
    expect((poll?.at ?? 0) - (trigger?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });
});

describe("scheduling and the report", () => {
  it("serves subscriptions in turn, so a big subscription does not starve the others", async () => {
    const rows = [
      ...["a1", "a2", "a3", "a4"].map((n) => row(vm(SUB_A, n))),
      ...["b1", "b2"].map((n) => row(vm(SUB_B, n))),
      row(vm(SUB_C, "c1")),
    ];
    await execute(plan(rows), { concurrency: 1 });
    expect(writes().map((r) => r.subscriptionId)).toEqual([SUB_A, SUB_B, SUB_C, SUB_A, SUB_B, SUB_A, SUB_A]);
  });

  it("returns one report per action in input order; deferred and exhausted send nothing and keep their reasons", async () => {
    const ids = { old: vm(SUB_A, "vm-old"), newer: vm(SUB_A, "vm-newer"), spent: vm(SUB_B, "vm-spent") };
    const actions = plan(
      [
        row(ids.old, { failedAt: "2026-01-01T00:00:00Z" }),
        row(ids.newer, { failedAt: "2026-01-02T00:00:00Z" }),
        row(ids.spent, { exhausted: true, attempts: 3, errorCode: "UserErrorVmNotFoundV2", errorMessage: "VM deleted" }),
      ],
      { maxPerSubscription: 1 },
    );
    const reports = await execute(actions);

    expect(reports.map((r) => r.itemId)).toEqual(actions.map((a) => a.ref.itemId));
    expect(writes().map((r) => r.itemId?.toLowerCase())).toEqual([ids.old.toLowerCase()]);
    expect(reportFor(reports, ids.newer)).toMatchObject({ outcome: "deferred", reason: expect.stringMatching(/per-subscription cap/), durationMs: 0 });
    expect(reportFor(reports, ids.spent)).toMatchObject({ outcome: "exhausted", attempts: 3, lastError: { code: "UserErrorVmNotFoundV2", message: "VM deleted" } });
    expect(reportFor(reports, ids.spent)?.reason).toMatch(/attempt budget/);

    const byEvent = Object.fromEntries(events().map((e) => [e.event, e]));
    expect(events()).toHaveLength(3);
    expect(byEvent["retry.triggered"]).toMatchObject({ level: "info", runId: "run-1", subscriptionId: SUB_A, vaultKind: "recoveryServices", workload: "AzureVM", outcome: "triggered" });
    expect(byEvent["retry.triggered"]?.jobId).toMatch(GUID);
    expect(byEvent["retry.deferred"]).toMatchObject({ level: "info", reason: expect.stringMatching(/cap/) });
    expect(byEvent["retry.exhausted"]).toMatchObject({ level: "warn" });
  });

  it("keeps at most `concurrency` writes in flight over all subscriptions", async () => {
    emulator.fault({ kind: "rs.trigger", respond: { delayMs: 25 } });
    const rows = [SUB_A, SUB_B, SUB_C].flatMap((sub) => ["w1", "w2", "w3"].map((n) => row(vm(sub, n))));
    let most = 0;
    // The emulator runs in this process: a request it has received and not yet answered has status 0.
    const sampler = setInterval(() => (most = Math.max(most, writes().filter((r) => r.status === 0).length)), 1);
    const reports = await execute(plan(rows), { concurrency: 2 });
    clearInterval(sampler);
    expect(writes()).toHaveLength(9);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(reports.every((r) => r.outcome === "triggered")).toBe(true);
  });

  it("never puts a token, an Authorization header or IDENTITY_HEADER into a report or a log line", async () => {
    emulator.denySubscription(SUB_B);
    const reports = await execute(plan([row(vm(SUB_A, "vm-t")), row(vm(SUB_B, "vm-u")), row(instance(SUB_A, "disk-t-01"))]));
    const text = JSON.stringify(reports) + logs.join("\n");
    expectNoSecrets(emulator, [text]);
    // Not even a redacted header: the execute step has no reason to carry one.
    expect(text).not.toMatch(/"authorization"|bearer\s/i);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
