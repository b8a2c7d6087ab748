import { randomUUID } from "node:crypto";
import { defaultRule, DISK, idKey, parseItemId, rsWorkloadOf } from "./items.ts";
import type { RsWorkload } from "./items.ts";
import type { ItemSeed } from "./types.ts";

/**
 * Backup-job records as Resource Graph holds them in RecoveryServicesResources: the standard columns, `type`
 * lower-cased, and `properties` per the REST job models (`AzureIaaSVMJob`, `AzureWorkloadJob`, `AzureStorageJob`
 * of @azure/arm-recoveryservicesbackup 12; `AzureBackupJob` of Microsoft.DataProtection), plus what the docs' ARG
 * queries read (`backupInstanceId`, `isUserTriggered` as a string). Sources: ../shared/reference/service-behaviour.md.
 */

export interface JobRecord {
  id: string;
  name: string;
  type: string;
  tenantId: string;
  kind: string;
  location: string;
  resourceGroup: string;
  subscriptionId: string;
  managedBy: string;
  sku: null;
  plan: null;
  properties: Record<string, unknown>;
  tags: null;
  identity: null;
  zones: null;
  extendedLocation: null;
}

const RS_JOB_TYPE = "microsoft.recoveryservices/vaults/backupjobs";
const DP_JOB_TYPE = "microsoft.dataprotection/backupvaults/backupjobs";
export const EMULATOR_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/**
 * How a record says who started the job: "string" ("true"/"false", as ARG holds it and the docs' queries compare it),
 * "boolean" (the REST models' form), or "absent" (AzureWorkloadJob has no isUserTriggered in its REST model, and
 * nobody has confirmed that ARG adds one).
 */
type UserTriggeredForm = "string" | "boolean" | "absent";

type RsJobStatus = "InProgress" | "Completed" | "CompletedWithWarnings" | "Failed" | "Cancelled" | "Cancelling";
type DpJobStatus = "Started" | "InProgress" | "Succeeded" | "Completed" | "CompletedWithWarnings" | "Failed" | "Cancelled" | "Cancelling" | "Paused";

interface RsJobError {
  /** The numeric errorCode, e.g. 510008 (default 100000, an unnamed internal error). */
  code?: number;
  /** The symbolic code, e.g. "UserErrorGuestAgentStatusUnavailable"; Azure Files errors have none. */
  title?: string;
  message?: string;
  recommendations?: string[];
}

export interface RsJobSpec {
  /** The protected item's ARM id (properties.backupInstanceId). */
  itemId: string;
  /** Default Failed. */
  status?: RsJobStatus;
  /** Default "Backup" (VM, Files) or "Backup (Full)" (SQL, SAP HANA); also "Backup (Log)", "DisableBackup", "DeleteBackupData", "ConfigureBackup", ... */
  operation?: string;
  /** Default now. */
  startTime?: string | Date;
  /** Default: start + 20 minutes once the job is over; none while it runs. null: none. */
  endTime?: string | Date | null;
  /** Default false (a scheduled backup). */
  userTriggered?: boolean;
  /** Default "string". */
  userTriggeredAs?: UserTriggeredForm;
  /** errorDetails[0] of a failed job (default: an internal error); ignored unless the job failed. */
  error?: RsJobError;
  /** The job's GUID (the last segment of its id); default random. */
  jobId?: string;
  /** Needed only when the item id does not tell (container and item name prefixes). */
  workload?: RsWorkload;
  location?: string;
}

interface DpJobError {
  code: string;
  message?: string;
  isRetryable?: boolean;
  isUserError?: boolean;
  recommendedAction?: string[];
}

export interface DpJobSpec {
  /** The backup instance's ARM id. */
  itemId: string;
  /** Default Failed. Both vocabularies occur: Started / Succeeded (the spec's examples), InProgress / Completed (its text). */
  status?: DpJobStatus;
  /** Default "Backup". */
  operationCategory?: string;
  /** Default "Backup". */
  operation?: string;
  startTime?: string | Date;
  endTime?: string | Date | null;
  userTriggered?: boolean;
  userTriggeredAs?: UserTriggeredForm;
  /** Default Microsoft.Compute/disks. */
  dataSourceType?: string;
  policyName?: string;
  /** extendedInfo.additionalDetails.PolicyRuleName / RetentionTag; `additionalDetails: false` leaves the map out. */
  ruleName?: string;
  retentionTag?: string;
  additionalDetails?: boolean;
  error?: DpJobError;
  jobId?: string;
  location?: string;
}

const JOB_TYPE: Record<RsWorkload, { jobType: string; backupManagementType: string }> = {
  VM: { jobType: "AzureIaaSVMJob", backupManagementType: "AzureIaasVM" },
  SQLDataBase: { jobType: "AzureWorkloadJob", backupManagementType: "AzureWorkload" },
  SAPHanaDatabase: { jobType: "AzureWorkloadJob", backupManagementType: "AzureWorkload" },
  AzureFileShare: { jobType: "AzureStorageJob", backupManagementType: "AzureStorage" },
};

const iso = (t: string | Date): string => (typeof t === "string" ? t : t.toISOString());
const JOB_MINUTES = 20;

/** A job's duration, hh:mm:ss.fffffff: the TimeSpan form the docs' job examples show (up to now while it runs). */
export function jobDuration(start: string, end: string | undefined): string {
  const total = Math.max(0, (end === undefined ? Date.now() : Date.parse(end)) - Date.parse(start));
  const pad = (n: number) => String(Math.floor(n)).padStart(2, "0");
  const fraction = String(Math.round((total % 1000) * 10_000)).padStart(7, "0");
  return `${pad(total / 3_600_000)}:${pad((total / 60_000) % 60)}:${pad((total / 1000) % 60)}.${fraction}`;
}

function times(status: string, startTime: string | Date | undefined, endTime: string | Date | null | undefined, running: readonly string[]) {
  const start = iso(startTime ?? new Date());
  const over = !running.includes(status);
  const end = endTime === null || !over ? undefined : endTime === undefined ? new Date(Date.parse(start) + JOB_MINUTES * 60_000).toISOString() : iso(endTime);
  return { start, end, duration: jobDuration(start, end) };
}

function userTriggered(value: boolean, form: UserTriggeredForm): Record<string, unknown> {
  if (form === "absent") return {};
  return { isUserTriggered: form === "string" ? String(value) : value };
}

function vaultOf(itemId: string, marker: RegExp): { vaultId: string; subscriptionId: string; resourceGroup: string; vaultName: string } {
  const m = marker.exec(itemId);
  if (m === null) throw new Error(`emulator: "${itemId}" is not an id this job builder knows`);
  return { vaultId: m[0], subscriptionId: m[1]!, resourceGroup: m[2]!, vaultName: m[3]! };
}

const RS_VAULT = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)/i;
const DP_VAULT = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DataProtection\/backupVaults\/([^/]+)/i;

function record(type: string, vault: ReturnType<typeof vaultOf>, jobId: string, location: string, properties: Record<string, unknown>): JobRecord {
  return {
    id: `${vault.vaultId}/backupJobs/${jobId}`,
    name: jobId,
    type,
    tenantId: EMULATOR_TENANT,
    kind: "",
    location,
    // Resource Graph lower-cases the resource group column.
    resourceGroup: vault.resourceGroup.toLowerCase(),
    subscriptionId: vault.subscriptionId,
    managedBy: "",
    sku: null,
    plan: null,
    properties,
    tags: null,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

/** The friendly name and data source the job shows for the item, as the portal names them. */
function rsEntity(workload: RsWorkload, container: string, name: string, subscriptionId: string): { friendly: string; dataSourceId: string } {
  const [, , hostRg = "", host = ""] = container.split(";");
  const parts = name.split(";");
  switch (workload) {
    case "VM":
      return { friendly: host, dataSourceId: `/subscriptions/${subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Compute/virtualMachines/${host}` };
    case "SQLDataBase":
    case "SAPHanaDatabase":
      return { friendly: `${(parts[1] ?? "").toUpperCase()}/${parts[2] ?? ""} [${host}]`, dataSourceId: `/subscriptions/${subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Compute/virtualMachines/${host}` };
    case "AzureFileShare":
      return { friendly: parts[1] ?? name, dataSourceId: `/subscriptions/${subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Storage/storageAccounts/${host}` };
  }
}

/** A Recovery Services vault backup job (Azure VM, SQL / SAP HANA in a VM, Azure Files). */
export function rsJob(spec: RsJobSpec): JobRecord {
  const parsed = parseItemId(spec.itemId);
  if (parsed?.vault !== "rs") throw new Error(`emulator: rsJob needs a protected item id; got "${spec.itemId}"`);
  const workload = spec.workload ?? rsWorkloadOf(parsed.container, parsed.name);
  if (workload === undefined) throw new Error(`emulator: cannot tell the workload of "${spec.itemId}"; pass workload`);
  const status = spec.status ?? "Failed";
  const sqlLike = workload === "SQLDataBase" || workload === "SAPHanaDatabase";
  const { start, end, duration } = times(status, spec.startTime, spec.endTime, ["InProgress", "Cancelling"]);
  const jobId = spec.jobId ?? randomUUID();
  const { jobType, backupManagementType } = JOB_TYPE[workload];
  const entity = rsEntity(workload, parsed.container, parsed.name, parsed.subscriptionId);
  const properties: Record<string, unknown> = {
    jobType,
    entityFriendlyName: entity.friendly,
    backupManagementType,
    operation: spec.operation ?? (sqlLike ? "Backup (Full)" : "Backup"),
    status,
    startTime: start,
    ...(end === undefined ? {} : { endTime: end }),
    duration,
    activityId: randomUUID(),
    backupInstanceId: spec.itemId,
    dataSourceId: entity.dataSourceId,
    dataSourceLocation: spec.location ?? "westeurope",
    ...userTriggered(spec.userTriggered ?? false, spec.userTriggeredAs ?? "string"),
    actionsInfo: status === "InProgress" ? [1] : [],
  };
  if (workload === "VM") properties.virtualMachineVersion = "Compute";
  if (sqlLike) properties.workloadType = workload;
  if (workload === "AzureFileShare") properties.storageAccountName = entity.dataSourceId.split("/").pop();
  if (status === "Failed") {
    const error = spec.error ?? {};
    if (workload === "AzureFileShare" && error.title !== undefined) {
      throw new Error("emulator: Azure Files job errors have no errorTitle (AzureStorageErrorInfo has errorCode and errorString only); put the text in message");
    }
    const detail: Record<string, unknown> = { errorCode: error.code ?? 100000, errorString: error.message ?? "Backup failed with an internal error. Please retry the operation in a few minutes.", recommendations: error.recommendations ?? [] };
    if (workload !== "AzureFileShare") detail.errorTitle = error.title ?? "BackUpOperationFailedV2";
    properties.errorDetails = [detail];
  }
  properties.extendedInfo = { tasksList: [{ taskId: "Transfer data to vault", status }], propertyBag: {} };
  const vault = vaultOf(spec.itemId, RS_VAULT);
  return record(RS_JOB_TYPE, vault, jobId, spec.location ?? "westeurope", properties);
}

/** A Backup vault (Data Protection) backup job (Azure Disks, PostgreSQL, blobs, ...). */
export function dpJob(spec: DpJobSpec): JobRecord {
  const parsed = parseItemId(spec.itemId);
  if (parsed?.vault !== "dp") throw new Error(`emulator: dpJob needs a backup instance id; got "${spec.itemId}"`);
  const status = spec.status ?? "Failed";
  const { start, end, duration } = times(status, spec.startTime, spec.endTime, ["Started", "InProgress", "Cancelling", "Paused"]);
  const jobId = spec.jobId ?? randomUUID();
  const dataSourceType = spec.dataSourceType ?? DISK;
  const vault = vaultOf(spec.itemId, DP_VAULT);
  const dataSourceName = parsed.name.replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "");
  const policyName = spec.policyName ?? `${vault.vaultName}-policy`;
  const properties: Record<string, unknown> = {
    activityID: randomUUID(),
    backupInstanceFriendlyName: dataSourceName,
    backupInstanceId: spec.itemId,
    dataSourceId: `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/${dataSourceType}/${dataSourceName}`,
    dataSourceLocation: spec.location ?? "westeurope",
    dataSourceName,
    dataSourceSetName: dataSourceName,
    dataSourceType,
    duration,
    startTime: start,
    ...(end === undefined ? {} : { endTime: end }),
    ...userTriggered(spec.userTriggered ?? false, spec.userTriggeredAs ?? "string"),
    operation: spec.operation ?? "Backup",
    operationCategory: spec.operationCategory ?? "Backup",
    policyId: `${vault.vaultId}/backupPolicies/${policyName}`,
    policyName,
    progressEnabled: false,
    sourceResourceGroup: vault.resourceGroup,
    sourceSubscriptionID: vault.subscriptionId,
    status,
    subscriptionId: vault.subscriptionId,
    supportedActions: [],
    vaultName: vault.vaultName,
  };
  properties.extendedInfo =
    spec.additionalDetails === false
      ? { subTasks: [] }
      : { additionalDetails: { ...(spec.ruleName === undefined ? {} : { PolicyRuleName: spec.ruleName }), ...(spec.retentionTag === undefined ? {} : { RetentionTag: spec.retentionTag }), TaskId: properties.activityID }, subTasks: [] };
  if (status === "Failed") {
    // The default is the emulator's own transient failure, not a code the public sources name.
    const error = spec.error ?? { code: "InternalError", message: "An internal error occurred. Retry the operation after some time.", isRetryable: true, isUserError: false };
    properties.errorDetails = [
      {
        code: error.code,
        message: error.message ?? "The backup failed.",
        ...(error.isRetryable === undefined ? {} : { isRetryable: error.isRetryable }),
        ...(error.isUserError === undefined ? {} : { isUserError: error.isUserError }),
        recommendedAction: error.recommendedAction ?? [],
      },
    ];
  }
  return record(DP_JOB_TYPE, vault, jobId, spec.location ?? "westeurope", properties);
}

/** Job records name their item; a job for an item the vaults do not know yet registers it, as seeded rows do. */
export function itemSeedsFromJobs(records: readonly JobRecord[]): ItemSeed[] {
  const seeds = new Map<string, ItemSeed>();
  for (const r of records) {
    const itemId = typeof r.properties?.backupInstanceId === "string" ? r.properties.backupInstanceId : undefined;
    const parsed = itemId === undefined ? undefined : parseItemId(itemId);
    if (itemId === undefined || parsed === undefined) continue;
    if (parsed.vault === "rs") {
      if (rsWorkloadOf(parsed.container, parsed.name) !== undefined) seeds.set(idKey(itemId), { itemId });
      continue;
    }
    const p = r.properties;
    const details = ((p.extendedInfo as { additionalDetails?: Record<string, unknown> } | undefined)?.additionalDetails ?? {}) as Record<string, unknown>;
    const dataSourceType = typeof p.dataSourceType === "string" ? p.dataSourceType : undefined;
    const rule = typeof details.PolicyRuleName === "string" ? details.PolicyRuleName : undefined;
    const tag = typeof details.RetentionTag === "string" ? details.RetentionTag : undefined;
    const base = defaultRule(dataSourceType ?? DISK);
    // The job's rule and tag join the policy's default rule, as a seeded row's do.
    const rules = rule === undefined && tag === undefined ? [base] : [base, { name: rule ?? base.name, retentionTags: [tag ?? base.defaultTag], defaultTag: base.defaultTag }];
    seeds.set(idKey(itemId), { itemId, ...(dataSourceType === undefined ? {} : { dataSourceType }), rules });
  }
  return [...seeds.values()];
}
