import type { Modifier } from "./faults.ts";
import { absoluteUrl, armError } from "./http.ts";
import type { Reply } from "./http.ts";
import type { RsItem, RsWorkload } from "./items.ts";
import { endJob, startRsJob } from "./job-lifecycle.ts";
import { newBackupOperation, pollOperation } from "./operations.ts";
import type { Operation } from "./operations.ts";
import { protectedItemResource } from "./resources.ts";
import type { Route } from "./routes.ts";
import { conflictOf, startOperation } from "./state.ts";
import type { State } from "./state.ts";

export interface BackupInput {
  state: State;
  route: Route;
  body: unknown;
  apiVersion: string;
  modifiers: Set<Modifier>;
}

const REQUEST_TYPE: Record<RsWorkload, string> = {
  VM: "IaasVMBackupRequest",
  SQLDataBase: "AzureWorkloadBackupRequest",
  SAPHanaDatabase: "AzureWorkloadBackupRequest",
  AzureFileShare: "AzureFileShareBackupRequest",
};

const BACKUP_TYPES: Partial<Record<RsWorkload, string[]>> = {
  SQLDataBase: ["Full", "Differential", "Log", "CopyOnlyFull"],
  SAPHanaDatabase: ["Full", "Differential", "Log", "CopyOnlyFull", "Incremental"],
};

const DAY_MS = 86_400_000;
/** On-demand Full backups of SQL / SAP HANA databases keep their recovery point 45 days to 99 years. */
const WORKLOAD_FULL_MIN_DAYS = 45;
const MAX_DAYS = 99 * 365;
/** Ad hoc recovery points of Azure Files live in the snapshot tier: at most 10 years (azure-file-share-support-matrix.md). */
const FILES_MAX_YEARS = 10;

const IN_PROGRESS_MESSAGE = "Unable to initiate backup as another backup operation is currently in progress";

const itemNotFound = (): Reply => armError(404, "BMSUserErrorItemNotFound", "Item not found");

function rsItemOf(state: State, itemId: string | undefined): RsItem | undefined {
  const item = itemId === undefined ? undefined : state.registry.get(itemId);
  return item?.vault === "rs" ? item : undefined;
}

/** The service's checks of a BackupRequestResource for the item's workload: undefined when fine, else the 400. */
function validateRsBody(item: RsItem, body: unknown, now: number): Reply | undefined {
  const invalid = (message: string) => armError(400, "BMSUserErrorInvalidInput", message);
  const properties = (body as { properties?: unknown } | undefined)?.properties;
  if (typeof properties !== "object" || properties === null) return invalid("The request body must be a BackupRequestResource: { properties: { objectType, ... } }.");
  const p = properties as Record<string, unknown>;
  const expected = REQUEST_TYPE[item.workload];
  if (p.objectType !== expected) {
    return invalid(`'${String(p.objectType)}' is not a valid backup request for a ${item.workload} item; send objectType '${expected}'.`);
  }
  const allowedTypes = BACKUP_TYPES[item.workload];
  if (allowedTypes !== undefined && !allowedTypes.includes(String(p.backupType))) {
    return armError(400, "BMSUserErrorInvalidBackupType", `backupType '${String(p.backupType)}' is not valid for a ${item.workload} item; use one of ${allowedTypes.join(", ")}.`);
  }
  if (p.enableCompression !== undefined && typeof p.enableCompression !== "boolean") return invalid("enableCompression must be a boolean.");
  if (p.recoveryPointExpiryTimeInUTC === undefined || p.recoveryPointExpiryTimeInUTC === null) return undefined;
  const expiry = typeof p.recoveryPointExpiryTimeInUTC === "string" ? Date.parse(p.recoveryPointExpiryTimeInUTC) : Number.NaN;
  if (Number.isNaN(expiry)) return invalid(`recoveryPointExpiryTimeInUTC '${String(p.recoveryPointExpiryTimeInUTC)}' is not a date-time.`);
  if (expiry <= now) {
    return armError(400, "BMSUserErrorInvalidRecoveryPointExpiryTime", `The recovery point expiry time ${p.recoveryPointExpiryTimeInUTC} is in the past; give a time in the future (UTC).`);
  }
  const filesLimit = new Date(now);
  filesLimit.setUTCFullYear(filesLimit.getUTCFullYear() + FILES_MAX_YEARS);
  if (item.workload === "AzureFileShare" && expiry > filesLimit.getTime()) {
    return armError(400, "BMSUserErrorInvalidRetentionDuration", `The recovery point expiry time ${p.recoveryPointExpiryTimeInUTC} is more than ${FILES_MAX_YEARS} years ahead; an on-demand Azure Files recovery point is kept at most ${FILES_MAX_YEARS} years.`);
  }
  if (expiry > now + MAX_DAYS * DAY_MS) {
    return armError(400, "BMSUserErrorInvalidRetentionDuration", `The recovery point expiry time ${p.recoveryPointExpiryTimeInUTC} is more than 99 years ahead.`);
  }
  if (allowedTypes !== undefined && p.backupType === "Full" && expiry < now + WORKLOAD_FULL_MIN_DAYS * DAY_MS) {
    return armError(
      400,
      "BMSUserErrorInvalidRetentionDuration",
      `An on-demand Full backup of a ${item.workload} item must be retained at least ${WORKLOAD_FULL_MIN_DAYS} days; recoveryPointExpiryTimeInUTC ${p.recoveryPointExpiryTimeInUTC} is too soon.`,
    );
  }
  return undefined;
}

/** POST .../protectedItems/{item}/backup (Backups_Trigger). */
export function rsTrigger(input: BackupInput): Reply {
  const { state } = input;
  const item = rsItemOf(state, input.route.itemId);
  if (item === undefined) return itemNotFound();
  const invalid = validateRsBody(item, input.body, Date.now());
  if (invalid !== undefined) return invalid;
  const conflict = conflictOf(state, item.id, { code: "UserErrorBackupOperationInProgress", message: IN_PROGRESS_MESSAGE });
  if (conflict?.on === "trigger") return armError(conflict.status, conflict.code, conflict.message);
  if (input.modifiers.has("noAsyncHeaders")) return { status: 202 };
  const failure = conflict === undefined ? undefined : { status: conflict.status, code: conflict.code, message: conflict.message };
  const op = newBackupOperation("rs", item, input.apiVersion, input.modifiers.has("neverFinishes"), failure);
  startOperation(state, op);
  startRsJob(state, op, item, backupTypeOf(input.body));
  return {
    status: 202,
    headers: {
      location: absoluteUrl(state.url, `${item.id}/operationResults/${op.id}`, op.apiVersion),
      "azure-asyncoperation": absoluteUrl(state.url, `${item.id}/operationsStatus/${op.id}`, op.apiVersion),
      "retry-after": String(state.options.retryAfterSeconds),
    },
  };
}

function backupTypeOf(body: unknown): string | undefined {
  const type = (body as { properties?: { backupType?: unknown } } | undefined)?.properties?.backupType;
  return typeof type === "string" ? type : undefined;
}

function operationOf(input: BackupInput): Operation | undefined {
  const op = input.route.operationId === undefined ? undefined : input.state.operations.get(input.route.operationId);
  if (op === undefined || op.vault !== "rs" || op.subscriptionId.toLowerCase() !== (input.route.subscriptionId ?? "").toLowerCase()) return undefined;
  if (input.route.itemId !== undefined && op.itemId.toLowerCase() !== input.route.itemId.toLowerCase()) return undefined;
  return op;
}

const operationNotFound = (id: string | undefined): Reply => armError(404, "BMSUserErrorOperationNotFound", `Operation '${id ?? ""}' not found.`);

/** GET .../operationsStatus/{op} (ProtectedItemOperationStatuses_Get) and vault-level backupOperations/{op}. */
export function rsOperationStatus(input: BackupInput): Reply {
  const op = operationOf(input);
  if (op === undefined) return operationNotFound(input.route.operationId);
  const status = pollOperation(op, input.state.options, input.modifiers.has("neverFinishes"), (ended) => endJob(input.state, ended));
  const body: Record<string, unknown> = { id: op.id, name: op.id, status, startTime: op.startTime };
  if (status !== "InProgress") body.endTime = op.endTime;
  if (status === "Succeeded") body.properties = { objectType: "OperationStatusJobExtendedInfo", jobId: op.jobId };
  if (status === "Failed" && op.failure !== undefined) body.error = { code: op.failure.code, message: op.failure.message };
  // A status monitor still running says when to ask again, as ARM async operations do.
  return status === "InProgress" ? { status: 200, body, headers: { "retry-after": String(input.state.options.retryAfterSeconds) } } : { status: 200, body };
}

/** GET .../operationResults/{op}: 202 while running, 204 when done, the error when failed. */
export function rsOperationResult(input: BackupInput): Reply {
  const op = operationOf(input);
  if (op === undefined) return operationNotFound(input.route.operationId);
  const status = pollOperation(op, input.state.options, input.modifiers.has("neverFinishes"), (ended) => endJob(input.state, ended));
  if (status === "InProgress") {
    return { status: 202, headers: { location: absoluteUrl(input.state.url, `${op.itemId}/operationResults/${op.id}`, op.apiVersion), "retry-after": String(input.state.options.retryAfterSeconds) } };
  }
  if (status === "Failed" && op.failure !== undefined) return armError(op.failure.status, op.failure.code, op.failure.message);
  return { status: 204 };
}

/** GET .../protectedItems/{item} (ProtectedItems_Get). */
export function rsItem(input: BackupInput): Reply {
  const item = rsItemOf(input.state, input.route.itemId);
  return item === undefined ? itemNotFound() : { status: 200, body: protectedItemResource(item) };
}
