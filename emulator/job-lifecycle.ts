import { dpJob, jobDuration, rsJob } from "./jobs.ts";
import type { JobRecord } from "./jobs.ts";
import type { DpItem, RsItem } from "./items.ts";
import type { Operation } from "./operations.ts";
import type { State } from "./state.ts";

/**
 * The job a trigger starts, as Resource Graph then shows it: a user-triggered InProgress (Backup vault: Started) job
 * for the item, whose id is the job id the operation reports; when the operation ends the job is Completed
 * (Succeeded), or Failed with the operation's error. A later query therefore sees the running or finished job,
 * as it would in Azure. Backup vault jobs use the vocabulary of the service's own examples (Started, Succeeded).
 */

const jobs = (state: State) => state.graph.recoveryServicesResources;

/** RS: "Backup", or "Backup (Full)", "Backup (Log)", ... for SQL / SAP HANA (the request's backupType). */
export function startRsJob(state: State, op: Operation, item: RsItem, backupType: string | undefined): void {
  const operation = item.workload === "SQLDataBase" || item.workload === "SAPHanaDatabase" ? `Backup (${backupType ?? "Full"})` : "Backup";
  jobs(state).upsert(rsJob({ itemId: item.id, workload: item.workload, status: "InProgress", operation, userTriggered: true, jobId: op.jobId, startTime: op.startTime }));
}

export function startDpJob(state: State, op: Operation, item: DpItem, ruleName: string, retentionTag: string | undefined): void {
  const policyName = item.policyId.split("/").pop() ?? "";
  jobs(state).upsert(
    dpJob({ itemId: item.id, status: "Started", userTriggered: true, jobId: op.jobId, startTime: op.startTime, dataSourceType: item.dataSourceType, policyName, ruleName, retentionTag }),
  );
}

/** The operation ended: its job turns Completed / Succeeded, or Failed with the operation's error. */
export function endJob(state: State, op: Operation): void {
  const id = `${op.itemId.split("/").slice(0, 9).join("/")}/backupJobs/${op.jobId}`;
  const running = jobs(state).get(id);
  if (running === undefined) return;
  const p = running.properties;
  const failed = op.failure !== undefined;
  const end = op.endTime ?? new Date().toISOString();
  const properties: Record<string, unknown> = { ...p, endTime: end, duration: jobDuration(String(p.startTime), end) };
  if (op.vault === "rs") {
    properties.status = failed ? "Failed" : "Completed";
    properties.actionsInfo = [];
    if (op.failure !== undefined) {
      const detail: Record<string, unknown> = { errorCode: op.failure.errorCode ?? 100000, errorString: op.failure.message, recommendations: [] };
      // Azure Files errors carry no errorTitle (AzureStorageErrorInfo).
      if (p.jobType !== "AzureStorageJob") detail.errorTitle = op.failure.code;
      properties.errorDetails = [detail];
    }
  } else {
    properties.status = failed ? "Failed" : "Succeeded";
    if (op.failure !== undefined) {
      properties.errorDetails = [{ code: op.failure.code, message: op.failure.message, isRetryable: op.failure.isRetryable ?? true, isUserError: op.failure.isUserError ?? false, recommendedAction: [] }];
    }
  }
  const ended: JobRecord = { ...running, properties };
  jobs(state).upsert(ended);
}
