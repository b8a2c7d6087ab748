import { absoluteUrl, armError } from "./http.ts";
import type { Reply } from "./http.ts";
import { dpVaultId, idKey } from "./items.ts";
import type { DpItem } from "./items.ts";
import { endJob, startDpJob } from "./job-lifecycle.ts";
import { newBackupOperation, pollOperation } from "./operations.ts";
import type { Operation } from "./operations.ts";
import type { BackupInput } from "./recovery-services.ts";
import { backupInstanceResource, backupPolicyResource } from "./resources.ts";
import { conflictOf, startOperation } from "./state.ts";
import type { State } from "./state.ts";

const CONCURRENT_LIMIT_MESSAGE = "Unable to start the operation as maximum number of allowed concurrent backups has reached.";

function notFound(id: string | undefined): Reply {
  // "/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/{type}/{name}"
  const parts = (id ?? "").split("/");
  const rg = parts[4] ?? "";
  const rest = parts.slice(7);
  const type = [parts[6] ?? "", ...rest.filter((_, i) => i % 2 === 0)].join("/");
  const name = rest.filter((_, i) => i % 2 === 1).join("/");
  return armError(404, "ResourceNotFound", `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

function dpItemOf(state: State, itemId: string | undefined): DpItem | undefined {
  const item = itemId === undefined ? undefined : state.registry.get(itemId);
  return item?.vault === "dp" ? item : undefined;
}

/** The service's checks of a TriggerBackupRequest against the instance's policy: undefined when fine, else the 400. */
function validateDpBody(state: State, item: DpItem, body: unknown): Reply | undefined {
  const invalid = (message: string) => armError(400, "UserErrorInvalidRequestParameter", message);
  const options = (body as { backupRuleOptions?: unknown } | undefined)?.backupRuleOptions;
  if (typeof options !== "object" || options === null) return invalid("backupRuleOptions is required: { ruleName, triggerOption: { retentionTagOverride } }.");
  const o = options as Record<string, unknown>;
  if (typeof o.ruleName !== "string" || o.ruleName === "") return invalid("backupRuleOptions.ruleName is required.");
  if (typeof o.triggerOption !== "object" || o.triggerOption === null) return invalid("backupRuleOptions.triggerOption is required.");
  const tag = (o.triggerOption as Record<string, unknown>).retentionTagOverride;
  if (tag !== undefined && tag !== null && typeof tag !== "string") return invalid("triggerOption.retentionTagOverride must be a string.");
  const policy = state.registry.policies.get(idKey(item.policyId));
  const rules = policy?.rules ?? [];
  const ruleName = o.ruleName;
  const rule = rules.find((r) => r.name.toLowerCase() === ruleName.toLowerCase());
  if (rule === undefined) {
    return armError(400, "UserErrorInvalidRuleName", `The rule '${ruleName}' is not a backup rule of policy '${item.policyId}'. Its backup rules: ${rules.map((r) => r.name).join(", ") || "none"}.`);
  }
  if (typeof tag === "string" && tag !== "" && !rule.retentionTags.some((t) => t.toLowerCase() === tag.toLowerCase())) {
    return armError(400, "UserErrorInvalidRetentionTag", `The retention tag '${tag}' is not a tag of rule '${rule.name}'. Its tags: ${rule.retentionTags.join(", ")}.`);
  }
  return undefined;
}

const statusPath = (op: Operation) => `${dpVaultId(op)}/operationStatus/${op.id}`;
/** The Location shape of the BackupInstances_AdhocBackup example: under the resource group, named by the backup instance. */
const resultPath = (op: Operation) => `/subscriptions/${op.subscriptionId}/resourceGroups/${op.resourceGroup}/providers/Microsoft.DataProtection/backupInstances/${op.itemId.split("/").pop() ?? ""}/operationResults/${op.id}`;

function asyncHeaders(state: State, op: Operation): Record<string, string> {
  return {
    "azure-asyncoperation": absoluteUrl(state.url, statusPath(op), op.apiVersion),
    location: absoluteUrl(state.url, resultPath(op), op.apiVersion),
    "retry-after": String(state.options.retryAfterSeconds),
  };
}

/** POST .../backupInstances/{bi}/backup (BackupInstances_AdhocBackup). */
export function dpTrigger(input: BackupInput): Reply {
  const { state } = input;
  const item = dpItemOf(state, input.route.itemId);
  if (item === undefined) return notFound(input.route.itemId);
  const invalid = validateDpBody(state, item, input.body);
  if (invalid !== undefined) return invalid;
  const conflict = conflictOf(state, item.id, { code: "UserErrorMaxConcurrentOperationLimitReached", message: CONCURRENT_LIMIT_MESSAGE });
  if (conflict?.on === "trigger") return armError(conflict.status, conflict.code, conflict.message);
  if (input.modifiers.has("noAsyncHeaders")) return { status: 202 };
  const failure = conflict === undefined ? undefined : { status: conflict.status, code: conflict.code, message: conflict.message, isRetryable: true, isUserError: true };
  const op = newBackupOperation("dp", item, input.apiVersion, input.modifiers.has("neverFinishes"), failure);
  startOperation(state, op);
  const options = (input.body as { backupRuleOptions: { ruleName: string; triggerOption: { retentionTagOverride?: unknown } } }).backupRuleOptions;
  const tag = options.triggerOption.retentionTagOverride;
  startDpJob(state, op, item, options.ruleName, typeof tag === "string" && tag !== "" ? tag : undefined);
  return { status: 202, headers: asyncHeaders(state, op) };
}

export function dpOperationOf(state: State, operationId: string | undefined, subscriptionId: string | undefined): Operation | undefined {
  const op = operationId === undefined ? undefined : state.operations.get(operationId);
  return op?.vault === "dp" && op.subscriptionId.toLowerCase() === (subscriptionId ?? "").toLowerCase() ? op : undefined;
}

const operationNotFound = (id: string | undefined): Reply => armError(404, "OperationNotFound", `The operation '${id ?? ""}' was not found.`);

/** GET .../operationStatus/{op} (OperationStatusBackupVaultContext_Get). */
export function dpOperationStatus(input: BackupInput): Reply {
  const op = dpOperationOf(input.state, input.route.operationId, input.route.subscriptionId);
  if (op === undefined) return operationNotFound(input.route.operationId);
  const status = pollOperation(op, input.state.options, input.modifiers.has("neverFinishes"), (ended) => endJob(input.state, ended));
  const body: Record<string, unknown> = { id: statusPath(op), name: op.id, status, startTime: op.startTime };
  if (status !== "InProgress") body.endTime = op.endTime;
  if (status === "Failed" && op.failure !== undefined) body.error = { code: op.failure.code, message: op.failure.message };
  if (status === "Succeeded" && input.state.options.dpJobIdIn !== "location") body.properties = { jobId: op.jobId };
  // A status monitor still running says when to ask again, as ARM async operations do.
  return status === "InProgress" ? { status: 200, body, headers: { "retry-after": String(input.state.options.retryAfterSeconds) } } : { status: 200, body };
}

/** GET on the Location URL (OperationResult_Get): 202 while running, then 200 with the job id. */
export function dpOperationResult(input: BackupInput): Reply {
  const op = dpOperationOf(input.state, input.route.operationId, input.route.subscriptionId);
  if (op === undefined) return operationNotFound(input.route.operationId);
  const status = pollOperation(op, input.state.options, input.modifiers.has("neverFinishes"), (ended) => endJob(input.state, ended));
  if (status === "InProgress") return { status: 202, headers: asyncHeaders(input.state, op) };
  if (status === "Failed" && op.failure !== undefined) return armError(op.failure.status, op.failure.code, op.failure.message);
  if (input.state.options.dpJobIdIn === "status") return operationNotFound(input.route.operationId);
  return { status: 200, body: { objectType: "OperationJobExtendedInfo", jobId: op.jobId } };
}

/** GET .../backupInstances/{bi} (BackupInstances_Get). */
export function dpInstance(input: BackupInput): Reply {
  const item = dpItemOf(input.state, input.route.itemId);
  return item === undefined ? notFound(input.route.itemId) : { status: 200, body: backupInstanceResource(item) };
}

/** GET .../backupPolicies/{p} (BackupPolicies_Get). */
export function dpPolicy(input: BackupInput): Reply {
  const policy = input.route.policyId === undefined ? undefined : input.state.registry.policies.get(idKey(input.route.policyId));
  return policy === undefined ? notFound(input.route.policyId) : { status: 200, body: backupPolicyResource(policy) };
}
