// A synthetic failure wave: N items whose latest scheduled backup failed, spread evenly over S
// subscriptions, both vault kinds and every workload mixed: one failed job record per item, for the
// shipped rules to judge in the emulator's Resource Graph.
import { dpJob, rsJob, type JobRecord } from "../emulator/index.ts";

export interface EstateSpec {
  items: number;
  subscriptions: number;
}

export type ItemKind = "recoveryServices" | "dataProtection";

export interface Estate {
  spec: EstateSpec;
  subscriptionIds: string[];
  /** One failed scheduled backup job per item. */
  jobs: JobRecord[];
  /** Items per vault kind. */
  counts: Record<ItemKind, number>;
  /** Lower-cased item id -> vault kind and subscription. */
  items: Map<string, { kind: ItemKind; subscriptionId: string }>;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function subscriptionId(index: number): string {
  return `${hex(index + 1, 8)}-be0c-4000-8000-${hex(index + 1, 12)}`;
}

function guid(n: number): string {
  return `${hex(n, 8)}-0000-4000-8000-${hex(n, 12)}`;
}

/** Workload mix per ten items: 4 VMs, 1 SQL, 1 HANA, 1 file share (RS); 2 disks, 1 PostgreSQL or blob (DP). */
function jobFor(i: number, sub: string, startTime: Date): { kind: ItemKind; itemId: string; job: JobRecord } {
  const rg = `/subscriptions/${sub}/resourceGroups/rg-backup/providers`;
  const rsVault = `${rg}/Microsoft.RecoveryServices/vaults/rsv-${hex(i % 3, 2)}`;
  const dpVault = `${rg}/Microsoft.DataProtection/backupVaults/bv-${hex(i % 2, 2)}`;
  const n = `n${hex(i, 6)}`;
  const jobId = guid(i + 1);
  const rs = (container: string, item: string, operation?: string) => {
    const itemId = `${rsVault}/backupFabrics/Azure/protectionContainers/${container}/protectedItems/${item}`;
    const error = item.startsWith("AzureFileShare;") ? { code: 400_199, message: "Backup failed with an internal error." } : { code: 100_000, title: "BackUpOperationFailedV2", message: "Backup failed with an internal error." };
    return { kind: "recoveryServices" as const, itemId, job: rsJob({ itemId, jobId, startTime, error, operation }) };
  };
  const dp = (name: string, dataSourceType: string, ruleName: string) => {
    const itemId = `${dpVault}/backupInstances/${name}-${guid(i + 1)}`;
    const error = { code: "UserErrorMaxConcurrentOperationLimitReached", message: "Transient failure.", isRetryable: true };
    return { kind: "dataProtection" as const, itemId, job: dpJob({ itemId, jobId, startTime, dataSourceType, ruleName, retentionTag: "Default", error }) };
  };
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return rs(`IaasVMContainer;iaasvmcontainerv2;rg-app;vm-${n}`, `VM;iaasvmcontainerv2;rg-app;vm-${n}`);
    case 4:
      return rs(`VMAppContainer;Compute;rg-sql;sqlvm-${n}`, `SQLDataBase;mssqlserver;db-${n}`, "Backup (Full)");
    case 5:
      return rs(`VMAppContainer;Compute;rg-sap;hana-${n}`, `SAPHanaDatabase;hxe;db-${n}`, "Backup (Log)");
    case 6:
      return rs(`StorageContainer;Storage;rg-files;st${n}`, `AzureFileShare;share-${n}`);
    case 7:
    case 8:
      return dp(`disk-${n}`, "Microsoft.Compute/disks", "BackupHourly");
    default:
      return i % 20 === 9 ? dp(`pg-${n}`, "Microsoft.DBforPostgreSQL/servers/databases", "BackupWeekly") : dp(`st${n}`, "Microsoft.Storage/storageAccounts/blobServices", "BackupDaily");
  }
}

export function buildEstate(spec: EstateSpec): Estate {
  const subscriptionIds = Array.from({ length: spec.subscriptions }, (_, i) => subscriptionId(i));
  const jobs: JobRecord[] = [];
  const counts: Record<ItemKind, number> = { recoveryServices: 0, dataProtection: 0 };
  const items: Estate["items"] = new Map();
  // Failed within the last day, inside the shipped rules' look-back.
  const start = Date.now() - 20 * 3_600_000;
  for (let i = 0; i < spec.items; i++) {
    const sub = subscriptionIds[i % spec.subscriptions] as string;
    const built = jobFor(i, sub, new Date(start + i * 1000));
    jobs.push(built.job);
    counts[built.kind] += 1;
    items.set(built.itemId.toLowerCase(), { kind: built.kind, subscriptionId: sub });
  }
  return { spec, subscriptionIds, jobs, counts, items };
}

/** Items per subscription, for the write-bucket term of the lower bound. */
export function itemsPerSubscription(estate: Estate): number[] {
  const counts = new Map<string, number>();
  for (const { subscriptionId: sub } of estate.items.values()) counts.set(sub, (counts.get(sub) ?? 0) + 1);
  return [...counts.values()];
}
