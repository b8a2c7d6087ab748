// A synthetic failure wave: N failed items spread evenly over S subscriptions, both vault kinds and
// every workload mixed, as the shipped queries would return them from Resource Graph.
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface EstateSpec {
  items: number;
  subscriptions: number;
}

export type ItemKind = "recoveryServices" | "dataProtection";

export interface Estate {
  spec: EstateSpec;
  subscriptionIds: string[];
  /** Rows per shipped query name, ordered by id as the queries order them. */
  rows: { recoveryServices: Record<string, unknown>[]; dataProtection: Record<string, unknown>[] };
  /** Lower-cased item id -> vault kind and subscription. */
  items: Map<string, { kind: ItemKind; subscriptionId: string }>;
}

/** Marker comments the emulator matches to answer each query with its rows (it cannot run KQL). */
export const MARKERS = { recoveryServices: "// bench-estate:recovery-services", dataProtection: "// bench-estate:backup-vault" } as const;

const QUERY_FILES = { recoveryServices: "recovery-services.kql", dataProtection: "backup-vault.kql" } as const;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

export function subscriptionId(index: number): string {
  return `${hex(index + 1, 8)}-be0c-4000-8000-${hex(index + 1, 12)}`;
}

function guid(n: number): string {
  return `${hex(n, 8)}-0000-4000-8000-${hex(n, 12)}`;
}

/** Workload mix per ten items: 4 VMs, 1 SQL, 1 HANA, 1 file share (RS); 2 disks, 1 PostgreSQL or blob (DP). */
function rowFor(i: number, sub: string, failedAt: string): { kind: ItemKind; itemId: string; row: Record<string, unknown> } {
  const rg = `/subscriptions/${sub}/resourceGroups/rg-backup/providers`;
  const rsVault = `${rg}/Microsoft.RecoveryServices/vaults/rsv-${hex(i % 3, 2)}`;
  const dpVault = `${rg}/Microsoft.DataProtection/backupVaults/bv-${hex(i % 2, 2)}`;
  const n = `n${hex(i, 6)}`;
  const job = guid(i + 1);
  const rs = (container: string, item: string, extra: Record<string, unknown>) => {
    const itemId = `${rsVault}/backupFabrics/Azure/protectionContainers/${container}/protectedItems/${item}`;
    const row = { id: `${rsVault}/backupJobs/${job}`, subscriptionId: sub, itemId, failedAt, errorCode: "BackUpOperationFailedV2", errorMessage: "Backup failed with an internal error.", exhausted: false, attempts: 0, ...extra };
    return { kind: "recoveryServices" as const, itemId, row };
  };
  const dp = (name: string, dataSourceType: string, ruleName: string) => {
    const itemId = `${dpVault}/backupInstances/${name}-${guid(i + 1)}`;
    const row = { id: `${dpVault}/backupJobs/${job}`, subscriptionId: sub, itemId, failedAt, errorCode: "UserErrorMaxConcurrentOperationLimitReached", errorMessage: "Transient failure.", ruleName, retentionTag: "Default", dataSourceType, exhausted: false, attempts: 0 };
    return { kind: "dataProtection" as const, itemId, row };
  };
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return rs(`IaasVMContainer;iaasvmcontainerv2;rg-app;vm-${n}`, `VM;iaasvmcontainerv2;rg-app;vm-${n}`, { expiryDays: 10, dataSourceType: "AzureIaasVM" });
    case 4:
      return rs(`VMAppContainer;Compute;rg-sql;sqlvm-${n}`, `SQLDataBase;mssqlserver;db-${n}`, { expiryDays: 45, backupType: "Full", dataSourceType: "AzureWorkload" });
    case 5:
      return rs(`VMAppContainer;Compute;rg-sap;hana-${n}`, `SAPHanaDatabase;hxe;db-${n}`, { expiryDays: 45, backupType: "Log", dataSourceType: "AzureWorkload" });
    case 6:
      return rs(`StorageContainer;Storage;rg-files;st${n}`, `AzureFileShare;share-${n}`, { expiryDays: 10, dataSourceType: "AzureStorage" });
    case 7:
    case 8:
      return dp(`disk-${n}`, "Microsoft.Compute/disks", "BackupHourly");
    default:
      return i % 20 === 9 ? dp(`pg-${n}`, "Microsoft.DBforPostgreSQL/servers/databases", "BackupWeekly") : dp(`st${n}`, "Microsoft.Storage/storageAccounts/blobServices", "BackupDaily");
  }
}

export function buildEstate(spec: EstateSpec): Estate {
  const subscriptionIds = Array.from({ length: spec.subscriptions }, (_, i) => subscriptionId(i));
  const rows: Estate["rows"] = { recoveryServices: [], dataProtection: [] };
  const items: Estate["items"] = new Map();
  const start = Date.UTC(2026, 10, 21, 2, 0, 0);
  for (let i = 0; i < spec.items; i++) {
    const sub = subscriptionIds[i % spec.subscriptions] as string;
    const built = rowFor(i, sub, new Date(start + i * 1000).toISOString());
    rows[built.kind].push(built.row);
    items.set(built.itemId.toLowerCase(), { kind: built.kind, subscriptionId: sub });
  }
  for (const list of Object.values(rows)) list.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return { spec, subscriptionIds, rows, items };
}

/** Items per subscription, for the write-bucket term of the lower bound. */
export function itemsPerSubscription(estate: Estate): number[] {
  const counts = new Map<string, number>();
  for (const { subscriptionId: sub } of estate.items.values()) counts.set(sub, (counts.get(sub) ?? 0) + 1);
  return [...counts.values()];
}

/** The shipped queries, copied as-is with a marker line on top, into a fresh folder. */
export async function writeQueries(shippedDir: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "rfb-bench-queries-"));
  const shipped = await readdir(shippedDir);
  for (const [kind, file] of Object.entries(QUERY_FILES) as [ItemKind, string][]) {
    if (!shipped.includes(file)) throw new Error(`bench: ${path.join(shippedDir, file)} is missing; the bench runs the shipped queries`);
    await writeFile(path.join(dir, file), `${MARKERS[kind]}\n${await readFile(path.join(shippedDir, file), "utf8")}`);
  }
  return dir;
}
