// Job records as Resource Graph holds them (../shared/reference/service-behaviour.md, the REST job models), and the
// job a trigger starts: user-triggered and InProgress, then Completed or Failed, visible to the next query.
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { getClient } from "@azure-rest/core-client";
import { describe, expect, it } from "vitest";
import { dpJob, rsJob } from "../../emulator/index.ts";
import { items, SUBS, useHarness } from "../support/harness.ts";

const h = useHarness({}, (harness) => harness.emulator.configure({ argQuota: false, pollsBeforeDone: 1 }));

const STANDARD_COLUMNS = ["id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId", "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation"];

describe("job records", () => {
  it("an RS job has the standard columns, a lower-case type and the AzureIaaSVMJob properties", () => {
    const job = rsJob({ itemId: items.vm(SUBS.a, "vm-web-01"), status: "Failed", startTime: "2026-11-21T02:00:00.000Z", error: { code: 400094, title: "UserErrorGuestAgentStatusUnavailable", message: "VM Agent unable to communicate with Azure Backup" } });
    expect(Object.keys(job)).toEqual(STANDARD_COLUMNS);
    expect(job.type).toBe("microsoft.recoveryservices/vaults/backupjobs");
    expect(job.id).toMatch(/^\/subscriptions\/.*\/providers\/Microsoft\.RecoveryServices\/vaults\/rsv-prod\/backupJobs\/[0-9a-f-]{36}$/);
    expect(job.resourceGroup).toBe("rg-backup");
    expect(job.properties).toMatchObject({
      jobType: "AzureIaaSVMJob",
      entityFriendlyName: "vm-web-01",
      backupManagementType: "AzureIaasVM",
      operation: "Backup",
      status: "Failed",
      startTime: "2026-11-21T02:00:00.000Z",
      endTime: "2026-11-21T02:20:00.000Z",
      duration: "00:20:00.0000000",
      backupInstanceId: items.vm(SUBS.a, "vm-web-01"),
      isUserTriggered: "false",
      errorDetails: [{ errorCode: 400094, errorTitle: "UserErrorGuestAgentStatusUnavailable", errorString: "VM Agent unable to communicate with Azure Backup" }],
    });
  });

  it("SQL and SAP HANA jobs are AzureWorkloadJob, named by the kind of backup, and may carry no isUserTriggered", () => {
    const sql = rsJob({ itemId: items.sql(SUBS.a, "sales"), operation: "Backup (Log)", userTriggeredAs: "absent" });
    expect(sql.properties).toMatchObject({ jobType: "AzureWorkloadJob", backupManagementType: "AzureWorkload", workloadType: "SQLDataBase", operation: "Backup (Log)" });
    expect(sql.properties).not.toHaveProperty("isUserTriggered");
    expect(rsJob({ itemId: items.hana(SUBS.a, "hxe") }).properties).toMatchObject({ workloadType: "SAPHanaDatabase", operation: "Backup (Full)" });
  });

  it("Azure Files errors have a numeric errorCode and an errorString but no errorTitle", () => {
    const files = rsJob({ itemId: items.files(SUBS.a, "finance"), error: { code: 100071, message: "AFSMaxSnapshotReached: the share has 200 snapshots" } });
    expect(files.properties).toMatchObject({ jobType: "AzureStorageJob", backupManagementType: "AzureStorage" });
    const [detail] = files.properties.errorDetails as Record<string, unknown>[];
    expect(detail).toEqual({ errorCode: 100071, errorString: "AFSMaxSnapshotReached: the share has 200 snapshots", recommendations: [] });
    expect(() => rsJob({ itemId: items.files(SUBS.a, "finance"), error: { title: "AFSMaxSnapshotReached" } })).toThrow(/no errorTitle/);
  });

  it("isUserTriggered as a string (Resource Graph), a boolean (REST) or absent; running jobs have no endTime", () => {
    expect(rsJob({ itemId: items.vm(SUBS.a, "a"), userTriggered: true }).properties.isUserTriggered).toBe("true");
    expect(rsJob({ itemId: items.vm(SUBS.a, "a"), userTriggered: true, userTriggeredAs: "boolean" }).properties.isUserTriggered).toBe(true);
    const running = rsJob({ itemId: items.vm(SUBS.a, "a"), status: "InProgress" });
    expect(running.properties).not.toHaveProperty("endTime");
    expect(running.properties).not.toHaveProperty("errorDetails");
  });

  it("a Backup vault job has the AzureBackupJob properties, UserFacingError details and the rule in additionalDetails", () => {
    const itemId = items.dp(SUBS.a, "pg-sales-01-salesdb-0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b");
    const job = dpJob({ itemId, dataSourceType: "Microsoft.DBforPostgreSQL/servers/databases", ruleName: "BackupWeekly", retentionTag: "Weekly", error: { code: "UserErrorMaxConcurrentOperationLimitReached", isRetryable: true, isUserError: true } });
    expect(Object.keys(job)).toEqual(STANDARD_COLUMNS);
    expect(job.type).toBe("microsoft.dataprotection/backupvaults/backupjobs");
    expect(job.properties).toMatchObject({
      backupInstanceId: itemId,
      dataSourceType: "Microsoft.DBforPostgreSQL/servers/databases",
      dataSourceName: "pg-sales-01-salesdb",
      operationCategory: "Backup",
      operation: "Backup",
      status: "Failed",
      isUserTriggered: "false",
      vaultName: "bv-prod",
      extendedInfo: { additionalDetails: { PolicyRuleName: "BackupWeekly", RetentionTag: "Weekly" } },
      errorDetails: [{ code: "UserErrorMaxConcurrentOperationLimitReached", isRetryable: true, isUserError: true, recommendedAction: [] }],
    });
    expect(dpJob({ itemId, additionalDetails: false, status: "Succeeded" }).properties).toMatchObject({ extendedInfo: { subTasks: [] }, status: "Succeeded" });
  });
});

const graph = () => new ResourceGraphClient(h.credential, { endpoint: h.emulator.url, credentials: { scopes: [`${h.emulator.url}/.default`] }, tlsOptions: { ca: h.emulator.ca } });
const jobsOf = async (itemId: string) =>
  (
    await graph().resources({
      query: `RecoveryServicesResources | where tolower(tostring(properties.backupInstanceId)) == tolower('${itemId}') | project id, status = tostring(properties.status), operation = tostring(properties.operation), manual = tostring(properties.isUserTriggered), endTime = tostring(properties.endTime), error = properties.errorDetails[0] | order by id asc`,
    })
  ).data as { id: string; status: string; operation: string; manual: string; endTime: string; error: Record<string, unknown> | null }[];

const backup = () =>
  new RecoveryServicesBackupClient(h.credential, SUBS.a, { $host: h.emulator.url, endpoint: h.emulator.url, credentialScopes: [`${h.emulator.url}/.default`], tlsOptions: { ca: h.emulator.ca } });

/** Container and item names of a protected item id, as the SDK takes them. */
const names = (itemId: string) => {
  const [, container = "", item = ""] = /protectionContainers\/([^/]+)\/protectedItems\/([^/]+)$/.exec(itemId) ?? [];
  return { container, item };
};

async function triggerRs(itemId: string, properties: Record<string, unknown>): Promise<string> {
  const { container, item } = names(itemId);
  let operation = "";
  await backup().backups.trigger("rsv-prod", "rg-backup", "Azure", container, item, { properties: properties as never }, { onResponse: (r) => (operation = r.headers.get("azure-asyncoperation") ?? "") });
  return new URL(operation).pathname.split("/").pop() ?? "";
}

async function pollRs(itemId: string, operationId: string) {
  const { container, item } = names(itemId);
  return backup().protectedItemOperationStatuses.get("rsv-prod", "rg-backup", "Azure", container, item, operationId);
}

describe("the job a trigger starts", () => {
  it("an accepted RS trigger adds a user-triggered InProgress job that turns Completed when the operation ends", async () => {
    const vm = items.vm(SUBS.a, "vm-web-01");
    h.emulator.addJobs([rsJob({ itemId: vm, status: "Failed", startTime: new Date(Date.now() - 3_600_000) })]);
    const operationId = await triggerRs(vm, { objectType: "IaasVMBackupRequest", recoveryPointExpiryTimeInUTC: new Date(Date.now() + 10 * 86_400_000) });
    const running = (await jobsOf(vm)).filter((j) => j.manual === "true");
    expect(running).toEqual([{ id: expect.stringMatching(/\/backupJobs\/[0-9a-f-]{36}$/), status: "InProgress", operation: "Backup", manual: "true", endTime: "", error: null }]);
    expect((await pollRs(vm, operationId)).status).toBe("InProgress");
    const done = await pollRs(vm, operationId);
    expect(done.status).toBe("Succeeded");
    const jobId = (done.properties as { jobId: string }).jobId;
    expect(running[0]?.id.endsWith(`/backupJobs/${jobId}`)).toBe(true);
    const after = (await jobsOf(vm)).find((j) => j.manual === "true");
    expect(after).toMatchObject({ status: "Completed", endTime: expect.stringMatching(/^\d{4}-/) });
  });

  it("a SQL trigger names the job by its backupType; a failed operation fails the job with the operation's error", async () => {
    const sql = items.sql(SUBS.a, "sales");
    h.emulator.addJobs([]);
    h.emulator.addItems([{ itemId: sql }]);
    h.emulator.setConflict(sql, { on: "operation" });
    h.emulator.configure({ pollsBeforeDone: 0 });
    const operationId = await triggerRs(sql, { objectType: "AzureWorkloadBackupRequest", backupType: "Log" });
    expect((await jobsOf(sql)).map((j) => [j.status, j.operation])).toEqual([["InProgress", "Backup (Log)"]]);
    expect((await pollRs(sql, operationId)).status).toBe("Failed");
    expect(await jobsOf(sql)).toEqual([expect.objectContaining({ status: "Failed", operation: "Backup (Log)", error: expect.objectContaining({ errorTitle: "UserErrorBackupOperationInProgress", errorCode: expect.any(Number) }) })]);
  });

  it("a Backup vault trigger adds a Started job with the rule and tag it was asked for, Succeeded when done", async () => {
    const disk = items.dp(SUBS.a, "disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b");
    h.emulator.addJobs([dpJob({ itemId: disk, ruleName: "BackupHourly", retentionTag: "Default" })]);
    const client = getClient(h.emulator.url, h.credential, { credentials: { scopes: [`${h.emulator.url}/.default`] }, tlsOptions: { ca: h.emulator.ca } });
    const initial = await client.pathUnchecked(`${disk}/backup`).post({ queryParameters: { "api-version": "2025-07-01" }, body: { backupRuleOptions: { ruleName: "BackupHourly", triggerOption: { retentionTagOverride: "Default" } } } });
    expect(initial.status).toBe("202");
    const query = `RecoveryServicesResources | where type == 'microsoft.dataprotection/backupvaults/backupjobs' and properties.isUserTriggered == 'true' | project status = tostring(properties.status), rule = tostring(properties.extendedInfo.additionalDetails.PolicyRuleName), tag = tostring(properties.extendedInfo.additionalDetails.RetentionTag), id`;
    expect((await graph().resources({ query })).data).toEqual([{ status: "Started", rule: "BackupHourly", tag: "Default", id: expect.stringContaining("/backupJobs/") }]);
    const status = initial.headers["azure-asyncoperation"]!;
    await client.pathUnchecked(status).get();
    expect(((await client.pathUnchecked(status).get()).body as { status: string }).status).toBe("Succeeded");
    const result = await client.pathUnchecked(initial.headers.location!).get();
    const jobId = (result.body as { jobId: string }).jobId;
    expect((await graph().resources({ query })).data).toEqual([{ status: "Succeeded", rule: "BackupHourly", tag: "Default", id: expect.stringMatching(new RegExp(`/backupJobs/${jobId}$`)) }]);
  });
});
