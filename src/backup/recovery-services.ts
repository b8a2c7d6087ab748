import type { BackupRequestUnion } from "@azure/arm-recoveryservicesbackup";
import type { FullOperationResponse } from "@azure/core-client";
import { createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { armOperation, type ArmAnswer } from "../azure/index.ts";
import { RECOVERY_SERVICES_WORKLOADS, WORKLOADS, type BackupType, type RecoveryServicesItemRef, type Workload } from "../core/index.ts";
import type { PlannedAction } from "../plan/index.ts";
import type { BackupContext, PathResult } from "./context.ts";
import { triggerAndFollow } from "./trigger.ts";

const DAY_MS = 86_400_000;
/** Headroom over a minimum, so the service's own clock, read a moment later, still sees the minimum met. */
const MINIMUM_MARGIN_MS = 3_600_000;

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
  const [minimumDays, maximumDays] = workload === "Other" ? [1, Infinity] : (WORKLOADS[workload].expiryDays ?? [1, Infinity]);
  switch (workload) {
    case "AzureVM":
      return { properties: { objectType: "IaasVMBackupRequest", recoveryPointExpiryTimeInUTC: requested }, expiresAt: requested };
    case "AzureFileShare": {
      if (days <= maximumDays) return { properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: requested }, expiresAt: requested };
      const clamped = new Date(now.getTime() + maximumDays * DAY_MS);
      return {
        properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: clamped },
        expiresAt: clamped,
        note: `expiry of ${days} days shortened to ${maximumDays}: Azure Files keeps on-demand recovery points at most 10 years`,
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
      const minimum = new Date(now.getTime() + minimumDays * DAY_MS + MINIMUM_MARGIN_MS);
      const expiresAt = type === "Full" && requested < minimum ? minimum : requested;
      return { properties: { objectType: "AzureWorkloadBackupRequest", backupType: type, recoveryPointExpiryTimeInUTC: expiresAt }, expiresAt, backupType: type };
    }
    default:
      return undefined;
  }
}

/** POST .../protectedItems/{item}/backup with the SDK's own operation, then its operation followed to the job id. */
export function triggerRecoveryServices(action: PlannedAction, ref: RecoveryServicesItemRef, ctx: BackupContext): Promise<PathResult> {
  const workload = action.workload ?? "Other";
  const request = recoveryServicesRequest(workload, action.backupType, action.expiryDays ?? ctx.expiryDays, ctx.now());
  if (request === undefined) {
    return Promise.resolve({
      outcome: "failed",
      workload,
      error: { code: "UnsupportedWorkload", message: `cannot tell which on-demand backup fits ${ref.item}; add a dataSourceType column (${RECOVERY_SERVICES_WORKLOADS.join(", ")}) to the query` },
    });
  }
  const client = ctx.recoveryServices(ref.subscriptionId);
  return triggerAndFollow(
    {
      itemId: ref.itemId,
      sent: { outcome: "triggered", workload, expiresAt: request.expiresAt?.toISOString(), backupType: request.backupType, reason: request.note },
      start: (seen) =>
        armOperation({
          endpoint: ctx.arm.endpoint,
          sendInitial: async () => {
            let answer: ArmAnswer | undefined;
            await client.backups.trigger(ref.vaultName, ref.resourceGroup, ref.fabric, ref.container, ref.item, { properties: request.properties }, {
              onResponse: (raw) => {
                answer = toAnswer(raw);
                seen(answer);
              },
            });
            if (answer === undefined) throw new Error("the trigger answered nothing");
            return answer;
          },
          get: async (url) => {
            const answer = toAnswer(await client.sendRequest(createPipelineRequest({ url, method: "GET" })));
            seen(answer);
            return answer;
          },
        }),
    },
    ctx,
  );
}

function toAnswer(raw: PipelineResponse | FullOperationResponse): ArmAnswer {
  const text = raw.bodyAsText ?? undefined;
  let body: unknown;
  try {
    body = text === undefined || text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: raw.status, headers: raw.headers.toJSON(), body, request: { method: raw.request.method, url: raw.request.url } };
}
