import { createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import type { BackupRequestUnion, RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { z } from "zod";
import { retryAfterMs } from "../azure/retry.ts";
import type { PlannedAction } from "../plan/plan.ts";
import type { RecoveryServicesItemRef, Workload } from "../plan/ids.ts";
import type { Row } from "../plan/row.ts";
import { classifyError, OperationFailedError, RunCancelledError } from "./classify.ts";
import type { BackupContext, PathResult } from "./context.ts";
import { followOperation, onArmHost, type PollStep } from "./operation.ts";

type BackupType = NonNullable<Row["backupType"]>;

const DAY_MS = 86_400_000;
/** On-demand Full backups of SQL / SAP HANA databases are kept at least 45 days (azure-api.md §3). */
const FULL_MINIMUM_DAYS = 45;
/** Headroom over a minimum, so the service's own clock, read a moment later, still sees the minimum met. */
const MINIMUM_MARGIN_MS = 3_600_000;
/** Ad hoc recovery points of Azure Files live in the snapshot tier: at most 10 years (azure-file-share-support-matrix.md). */
const FILES_MAXIMUM_DAYS = 3650;

export interface RecoveryServicesRequest {
  properties: BackupRequestUnion;
  expiresAt?: Date;
  backupType?: BackupType;
  /** Said in the report when the expiry asked for was changed to one the service accepts. */
  note?: string;
}

/** The trigger body for a workload; undefined for a workload a Recovery Services vault cannot back up on demand. */
export function recoveryServicesRequest(workload: Workload, backupType: BackupType | undefined, days: number, now: Date): RecoveryServicesRequest | undefined {
  const requested = new Date(now.getTime() + days * DAY_MS);
  switch (workload) {
    case "AzureVM":
      return { properties: { objectType: "IaasVMBackupRequest", recoveryPointExpiryTimeInUTC: requested }, expiresAt: requested };
    case "AzureFileShare": {
      if (days <= FILES_MAXIMUM_DAYS) return { properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: requested }, expiresAt: requested };
      const clamped = new Date(now.getTime() + FILES_MAXIMUM_DAYS * DAY_MS);
      return {
        properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: clamped },
        expiresAt: clamped,
        note: `expiry of ${days} days shortened to ${FILES_MAXIMUM_DAYS}: Azure Files keeps on-demand recovery points at most 10 years`,
      };
    }
    case "SQLDatabase":
    case "SAPHanaDatabase": {
      const type = backupType ?? "Full";
      // Differential, Log and Incremental recovery points are retained by the policy (docs: "follow the
      // policy"), so no expiry is sent for them: it would not be honoured. Full needs at least 45 days;
      // CopyOnlyFull accepts any expiry.
      if (type === "Differential" || type === "Log" || type === "Incremental") {
        return { properties: { objectType: "AzureWorkloadBackupRequest", backupType: type }, backupType: type };
      }
      const minimum = new Date(now.getTime() + FULL_MINIMUM_DAYS * DAY_MS + MINIMUM_MARGIN_MS);
      const expiresAt = type === "Full" && requested < minimum ? minimum : requested;
      return { properties: { objectType: "AzureWorkloadBackupRequest", backupType: type, recoveryPointExpiryTimeInUTC: expiresAt }, expiresAt, backupType: type };
    }
    default:
      return undefined;
  }
}

const OperationStatusSchema = z.looseObject({
  status: z.string().optional(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).nullish(),
  properties: z.looseObject({ jobId: z.string().optional() }).nullish(),
});

interface Accepted {
  asyncOperation?: string;
  location?: string;
  retryAfterMs?: number;
}

/** POST .../protectedItems/{item}/backup, then follow Azure-AsyncOperation (or Location) to the job id. */
export async function triggerRecoveryServices(action: PlannedAction, ref: RecoveryServicesItemRef, ctx: BackupContext): Promise<PathResult> {
  const workload = action.workload ?? "Other";
  const request = recoveryServicesRequest(workload, action.backupType, action.expiryDays ?? ctx.expiryDays, ctx.now());
  if (request === undefined) {
    return {
      outcome: "failed",
      workload,
      error: { code: "UnsupportedWorkload", message: `cannot tell which on-demand backup fits ${ref.item}; add a dataSourceType column (AzureIaasVM, SQLDataBase, SAPHanaDatabase, AzureFileShare) to the query` },
    };
  }
  const sent: PathResult = {
    outcome: "triggered",
    workload,
    ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt.toISOString() }),
    ...(request.backupType === undefined ? {} : { backupType: request.backupType }),
    ...(request.note === undefined ? {} : { reason: request.note }),
  };
  if (ctx.dryRun) return { ...sent, outcome: "dryRun" };

  const client = ctx.recoveryServices(ref.subscriptionId);
  const accepted: Accepted = {};
  try {
    await ctx.write(async () => {
      if (ctx.signal?.aborted) throw new RunCancelledError();
      await client.backups.trigger(ref.vaultName, ref.resourceGroup, ref.fabric, ref.container, ref.item, { properties: request.properties }, {
        abortSignal: ctx.signal,
        onResponse: (raw) => {
          if (raw.status !== 202) return;
          accepted.asyncOperation = raw.headers.get("azure-asyncoperation");
          accepted.location = raw.headers.get("location");
          accepted.retryAfterMs = retryAfterMs(raw);
        },
      });
    });
  } catch (error) {
    if (error instanceof RunCancelledError) return { ...sent, outcome: "deferred", reason: error.message };
    return { ...sent, ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  ctx.logger.debug({ event: "backup.http", step: "trigger", itemId: ref.itemId, status: 202, asyncOperation: accepted.asyncOperation !== undefined, location: accepted.location !== undefined });

  const url = accepted.asyncOperation ?? accepted.location;
  if (url === undefined) {
    return { ...sent, reason: "ARM accepted the backup (202) but sent neither Azure-AsyncOperation nor Location; find the job in the vault's backup jobs" };
  }
  if (!onArmHost(url, ctx.arm.endpoint)) {
    return { ...sent, reason: `ARM accepted the backup, but its operation URL is not on ${ctx.arm.endpoint}; not followed, so the token stays with ARM` };
  }
  const byLocation = accepted.asyncOperation === undefined;
  try {
    const followed = await followOperation({
      bounds: ctx.bounds,
      firstDelayMs: accepted.retryAfterMs,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      poll: () => ctx.read(() => pollOnce(client, url, byLocation, ref, ctx)),
    });
    if (!followed.done) return { ...sent, reason: followed.reason };
    const { jobId } = followed.value;
    if (jobId !== undefined) return { ...sent, jobId };
    return {
      ...sent,
      reason: byLocation
        ? "the operation finished; ARM sent only a Location header, which names no job id"
        : "the operation succeeded but named no job id; find the job in the vault's backup jobs",
    };
  } catch (error) {
    const classified = classifyError(error, ctx.arm.retry, ctx.now());
    if (error instanceof OperationFailedError) return { ...sent, ...classified };
    return { ...sent, reason: `the backup was accepted, but following its operation failed: ${classified.error.code}: ${classified.error.message}` };
  }
}

/** One GET of the operation URL through the client's pipeline (auth, TLS, our retry policy). */
async function pollOnce(
  client: RecoveryServicesBackupClient,
  url: string,
  byLocation: boolean,
  ref: RecoveryServicesItemRef,
  ctx: BackupContext,
): Promise<PollStep<{ jobId: string | undefined }>> {
  const response = await client.sendRequest(createPipelineRequest({ url, method: "GET", ...(ctx.signal === undefined ? {} : { abortSignal: ctx.signal }) }));
  const body = parseJson(response.bodyAsText ?? undefined);
  if (response.status >= 400) {
    const error = OperationStatusSchema.safeParse(body).data?.error;
    throw new RestError(error?.message ?? `ARM answered HTTP ${response.status} to the operation status request`, {
      statusCode: response.status,
      ...(error?.code === undefined ? {} : { code: error.code }),
      response,
    });
  }
  if (byLocation) {
    ctx.logger.debug({ event: "backup.http", step: "poll", itemId: ref.itemId, status: response.status });
    return response.status === 202 ? { done: false, retryAfterMs: retryAfterMs(response) } : { done: true, value: { jobId: undefined } };
  }
  const operation = OperationStatusSchema.safeParse(body).data ?? {};
  const status = (operation.status ?? "").toLowerCase();
  ctx.logger.debug({ event: "backup.http", step: "poll", itemId: ref.itemId, status: response.status, operationStatus: operation.status });
  if (status === "succeeded") return { done: true, value: { jobId: operation.properties?.jobId } };
  if (status === "failed" || status === "canceled" || status === "cancelled" || status === "invalid") {
    throw new OperationFailedError(operation.error?.code ?? `Operation${operation.status}`, operation.error?.message ?? `the backup operation ended ${operation.status}`);
  }
  return { done: false, retryAfterMs: retryAfterMs(response) };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
