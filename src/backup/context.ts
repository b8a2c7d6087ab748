import type { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import type { ArmConnection, BackupPolicyResource, DataProtectionClient } from "../azure/index.ts";
import type { ActionReport, Workload } from "../core/index.ts";
import type { Logger } from "../log.ts";
import type { Limiter } from "./concurrency.ts";

/** What both trigger paths share for one run: clients, limits and caches. */
export interface BackupContext {
  arm: ArmConnection;
  dryRun: boolean;
  now: () => Date;
  expiryDays: number;
  logger: Logger;
  /** Aborted (Ctrl-C): a write not yet sent is not sent, and following an operation stops. */
  signal?: AbortSignal;
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
