import type { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import type { ArmConnection } from "../azure/clients.ts";
import type { Logger } from "../log.ts";
import type { Workload } from "../plan/ids.ts";
import type { ActionReport } from "../report.ts";
import type { DataProtectionClient, BackupPolicyResource } from "./dataProtectionClient.ts";
import type { OperationBounds } from "./operation.ts";
import type { Limiter } from "./schedule.ts";

/** What both trigger paths share for one run: clients, limits, bounds and caches. */
export interface BackupContext {
  arm: ArmConnection;
  dryRun: boolean;
  now: () => Date;
  expiryDays: number;
  bounds: OperationBounds;
  signal?: AbortSignal;
  logger: Logger;
  /** ARM writes in flight (RETRY_CONCURRENCY); each client paces its writes to the subscription's ARM write bucket. */
  write: Limiter;
  /** Reads and operation polls in flight, bounded apart from the writes. */
  read: Limiter;
  recoveryServices: (subscriptionId: string) => RecoveryServicesBackupClient;
  dataProtection: (subscriptionId: string) => DataProtectionClient;
  /** One GET per policy id per run: the promise is cached, lower-cased id as key. */
  policies: Map<string, Promise<BackupPolicyResource>>;
}

/** What a trigger path found out about one action. */
export type PathResult = Pick<ActionReport, "outcome" | "jobId" | "expiresAt" | "backupType" | "ruleName" | "retentionTag" | "error" | "reason" | "waitReason" | "retryAfter"> & {
  workload: Workload;
};
