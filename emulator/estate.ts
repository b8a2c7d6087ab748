import { BLOB, DISK, dpItemId, POSTGRESQL, rsItemId } from "./items.ts";
import { dpJob, rsJob, type DpJobSpec, type JobRecord, type RsJobSpec } from "./jobs.ts";
import type { Emulator, ItemSeed } from "./types.ts";

/**
 * A sample tenant for the demo and `emulator/cli.ts`: job histories the shipped rules judge, one judgement case per
 * item, and the vaults behind them. What happens to each item is up to the rules as they stand in queries/, so
 * editing a tunable changes the outcome.
 */
export interface Estate {
  subscriptions: { id: string; name: string }[];
  items: ItemSeed[];
  jobs: JobRecord[];
  /** One entry per judgement case: the item and what its history shows a person. */
  cases: { itemId: string; label: string; subscription: string }[];
  /** Subscriptions where the identity can read but not trigger. */
  deniedWrite: string[];
  /** Items whose backup is already running at the service, before Resource Graph shows its job (the trigger answers 409). */
  busy: string[];
}

const PROD = "3f2b8c1e-6d4a-4b7e-9a51-0c8e2d7f4a10";
const DEV = "8a6d0f52-1b3c-4e9f-8d27-5c4b3a2e1f90";
const FINANCE = "c71e4d29-9f08-4a63-b5d1-2e6f8a9b0c34";

const vm = (sub: string, rg: string, vault: string, name: string) =>
  rsItemId({ subscriptionId: sub, resourceGroup: rg, vaultName: vault, container: `IaasVMContainer;iaasvmcontainerv2;rg-app;${name}`, name: `VM;iaasvmcontainerv2;rg-app;${name}` });
const sql = (sub: string, rg: string, vault: string, host: string, db: string) =>
  rsItemId({ subscriptionId: sub, resourceGroup: rg, vaultName: vault, container: `VMAppContainer;Compute;rg-data;${host}`, name: `SQLDataBase;mssqlserver;${db}` });
const hana = (sub: string, rg: string, vault: string) => rsItemId({ subscriptionId: sub, resourceGroup: rg, vaultName: vault, container: "VMAppContainer;Compute;rg-sap;hanavm-01", name: "SAPHanaDatabase;hxe;hxe" });
const share = (sub: string, rg: string, vault: string, account: string, name: string) =>
  rsItemId({ subscriptionId: sub, resourceGroup: rg, vaultName: vault, container: `StorageContainer;Storage;rg-files;${account}`, name: `AzureFileShare;${name}` });
const instance = (sub: string, rg: string, vault: string, name: string) => dpItemId({ subscriptionId: sub, resourceGroup: rg, vaultName: vault, name });

const P = { sub: PROD, rg: "rg-backup-prod", rsv: "rsv-prod-weu", bv: "bv-prod-weu" };
const ITEMS = {
  web01: vm(P.sub, P.rg, P.rsv, "vm-web-01"),
  web02: vm(P.sub, P.rg, P.rsv, "vm-web-02"),
  legacy: vm(P.sub, P.rg, P.rsv, "vm-legacy-07"),
  app03: vm(P.sub, P.rg, P.rsv, "vm-app-03"),
  batch04: vm(P.sub, P.rg, P.rsv, "vm-batch-04"),
  old05: vm(P.sub, P.rg, P.rsv, "vm-old-05"),
  gone06: vm(P.sub, P.rg, P.rsv, "vm-gone-06"),
  ops08: vm(P.sub, P.rg, P.rsv, "vm-ops-08"),
  sales: sql(P.sub, P.rg, P.rsv, "sqlvm-01", "sales"),
  inventory: sql(P.sub, P.rg, P.rsv, "sqlvm-01", "inventory"),
  hana: hana(P.sub, P.rg, P.rsv),
  finance: share(P.sub, P.rg, P.rsv, "stfinance01", "finance"),
  disk: instance(P.sub, P.rg, P.bv, "diskrg-disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b"),
  postgres: instance(P.sub, P.rg, P.bv, "pg-sales-01-salesdb-0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"),
  blob: instance(P.sub, P.rg, P.bv, "stcontosodocs-stcontosodocs-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"),
  build01: vm(DEV, "rg-backup-dev", "rsv-dev-weu", "vm-build-01"),
  builds: share(DEV, "rg-backup-dev", "rsv-dev-weu", "stdevbuilds", "builds"),
  diskDev: instance(DEV, "rg-backup-dev", "bv-dev-weu", "diskrg-disk-dev-02-9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f"),
  ledger: vm(FINANCE, "rg-backup-fin", "rsv-fin-weu", "vm-ledger-01"),
  ledgerDb: sql(FINANCE, "rg-backup-fin", "rsv-fin-weu", "sqlvm-fin-01", "ledger"),
};

const INTERNAL = { code: 100_000, title: "BackUpOperationFailedV2", message: "Backup failed with an internal error. Please retry the operation in a few minutes." };
const DP_INTERNAL = { code: "CloudInternalError", message: "Microsoft Azure Backup encountered an internal error.", isRetryable: true, isUserError: false };

export function demoEstate(now: Date = new Date()): Estate {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000);
  const rs = (itemId: string, hoursAgo: number, over: Partial<RsJobSpec> = {}) => rsJob({ itemId, startTime: at(hoursAgo), error: INTERNAL, ...over });
  const dp = (itemId: string, hoursAgo: number, over: Partial<DpJobSpec> = {}) => dpJob({ itemId, startTime: at(hoursAgo), error: DP_INTERNAL, ...over });
  const ok = { status: "Completed" } as const;
  const people = { userTriggered: true } as const;
  const full = { operation: "Backup (Full)" } as const;
  const jobs: JobRecord[] = [
    rs(ITEMS.web01, 27, ok),
    rs(ITEMS.web01, 3),
    // The same item as another table spells it: the rule reads one item.
    rs(ITEMS.web01.replace(/\/resourceGroups\/.*$/, (tail) => tail.toLowerCase()), 9, { error: { code: 100_136, title: "UserErrorGuestAgentStatusUnavailable", message: "VM Agent unable to communicate with Azure Backup" } }),
    rs(ITEMS.web02, 5, { error: { code: 100_137, title: "ExtensionSnapshotFailedNoNetwork", message: "Snapshot operation failed due to no network connectivity on the virtual machine." } }),
    rs(ITEMS.legacy, 20, { error: { code: 100_138, title: "UserErrorVmProvisioningStateFailed", message: "The VM is in failed provisioning state." } }),
    ...[15, 10, 5].map((h) => rs(ITEMS.legacy, h, { ...people, error: { code: 100_138, title: "UserErrorVmProvisioningStateFailed", message: "The VM is in failed provisioning state." } })),
    rs(ITEMS.app03, 8),
    rs(ITEMS.app03, 2, ok),
    rs(ITEMS.batch04, 6),
    rs(ITEMS.batch04, 0.5, { status: "InProgress", ...people }),
    rs(ITEMS.old05, 7),
    rs(ITEMS.old05, 4, { ...ok, operation: "DisableBackup" }),
    rs(ITEMS.gone06, 4, { error: { code: 400_094, title: "UserErrorVmNotFoundV2", message: "The VM has been deleted or moved; backups cannot run." } }),
    rs(ITEMS.ops08, 2, people),
    rs(ITEMS.sales, 6, { ...full, error: { code: 510_008, title: "OperationCancelledBecauseConflictingOperationRunningUserError", message: "Operation cancelled because a conflicting operation was already running on the database." } }),
    rs(ITEMS.inventory, 5, { ...full, ...ok }),
    rs(ITEMS.inventory, 1, { operation: "Backup (Log)", error: { code: 100_000, title: "BackUpOperationFailed", message: "Log backup failed with an internal error." } }),
    rs(ITEMS.hana, 3, { ...full, error: { code: 59_101, title: "CloudDosAbsoluteLimitReached", message: "The operation limit for the last 24 hours has been reached. Retry after 24 hours." } }),
    ...Array.from({ length: 10 }, (_, i) => rs(ITEMS.finance, 22 - i * 2, { ...ok, ...people })),
    rs(ITEMS.finance, 1, { error: { code: 400_199, message: "File share backup failed because the storage service throttled the request." } }),
    dp(ITEMS.disk, 2, { ruleName: "BackupHourly", retentionTag: "Default", error: { code: "UserErrorMaxConcurrentOperationLimitReached", message: "Unable to start the operation as maximum number of allowed concurrent backups has reached.", isRetryable: true } }),
    dp(ITEMS.postgres, 5, { dataSourceType: POSTGRESQL, additionalDetails: false }),
    dp(ITEMS.blob, 3, { dataSourceType: BLOB, ruleName: "BackupDaily", retentionTag: "Default" }),
    rs(ITEMS.build01, 8),
    rs(ITEMS.builds, 10, { error: { code: 400_201, message: "The data mover hit a transient error." } }),
    dp(ITEMS.diskDev, 6),
    rs(ITEMS.ledger, 11),
    rs(ITEMS.ledgerDb, 12, full),
  ];
  const label = (itemId: string, name: string) => ({ itemId, label: name, subscription: itemId.split("/")[2] === DEV ? "contoso-dev" : itemId.split("/")[2] === FINANCE ? "contoso-finance" : "contoso-prod" });
  return {
    subscriptions: [
      { id: PROD, name: "contoso-prod" },
      { id: DEV, name: "contoso-dev" },
      { id: FINANCE, name: "contoso-finance" },
    ],
    items: [
      { itemId: ITEMS.disk, dataSourceType: DISK, rules: [{ name: "BackupHourly", retentionTags: ["Default"], defaultTag: "Default" }] },
      { itemId: ITEMS.postgres, dataSourceType: POSTGRESQL, rules: [{ name: "BackupWeekly", retentionTags: ["Default", "Weekly"], defaultTag: "Default" }] },
      { itemId: ITEMS.blob, dataSourceType: BLOB, rules: [{ name: "BackupDaily", retentionTags: ["Default"], defaultTag: "Default" }] },
      { itemId: ITEMS.diskDev, dataSourceType: DISK, rules: [{ name: "BackupHourly", retentionTags: ["Default"], defaultTag: "Default" }] },
    ],
    jobs,
    cases: [
      label(ITEMS.web01, "VM vm-web-01"),
      label(ITEMS.web02, "VM vm-web-02"),
      label(ITEMS.legacy, "VM vm-legacy-07"),
      label(ITEMS.app03, "VM vm-app-03"),
      label(ITEMS.batch04, "VM vm-batch-04"),
      label(ITEMS.old05, "VM vm-old-05"),
      label(ITEMS.gone06, "VM vm-gone-06"),
      label(ITEMS.ops08, "VM vm-ops-08"),
      label(ITEMS.sales, "SQL sales"),
      label(ITEMS.inventory, "SQL inventory"),
      label(ITEMS.hana, "SAP HANA hxe"),
      label(ITEMS.finance, "Azure Files finance"),
      label(ITEMS.disk, "Disk disk-data-01"),
      label(ITEMS.postgres, "PostgreSQL salesdb"),
      label(ITEMS.blob, "Blobs stcontosodocs"),
      label(ITEMS.build01, "VM vm-build-01"),
      label(ITEMS.builds, "Azure Files builds"),
      label(ITEMS.diskDev, "Disk disk-dev-02"),
      label(ITEMS.ledger, "VM vm-ledger-01"),
      label(ITEMS.ledgerDb, "SQL ledger"),
    ],
    deniedWrite: [FINANCE],
    busy: [ITEMS.web02],
  };
}

/** Seeds the emulator with an estate: the job histories, the Backup-vault policies, a read-only subscription, a busy item. */
export function seedEstate(emulator: Emulator, estate: Estate): void {
  emulator.addItems(estate.items);
  emulator.addJobs(estate.jobs);
  for (const subscriptionId of estate.deniedWrite) emulator.denySubscription(subscriptionId, "write");
  for (const itemId of estate.busy) emulator.setConflict(itemId, { on: "trigger" });
}

/**
 * An item's history in one line, as a person would read it in the portal's backup jobs: oldest first, runs of the
 * same kind of job folded ("10 on-demand backups succeeded 22h-4h ago").
 */
export function describeHistory(records: readonly JobRecord[], itemId: string, now: Date = new Date()): string {
  const mine = records
    .filter((r) => String(r.properties.backupInstanceId).toLowerCase() === itemId.toLowerCase())
    .sort((a, b) => Date.parse(String(a.properties.startTime)) - Date.parse(String(b.properties.startTime)));
  const parts: { text: string; first: string; last: string; count: number }[] = [];
  for (const r of mine) {
    const text = describeJob(r);
    const time = `${Math.round((now.getTime() - Date.parse(String(r.properties.startTime))) / 3_600_000)}h`;
    const previous = parts[parts.length - 1];
    if (previous?.text === text) {
      previous.count += 1;
      previous.last = time;
    } else parts.push({ text, first: time, last: time, count: 1 });
  }
  return parts.map((p) => (p.count === 1 ? `${p.text} ${p.first} ago` : `${p.count} ${p.text.replace("backup ", "backups ")} ${p.first}-${p.last} ago`)).join("; ") || "no jobs";
}

function describeJob(r: JobRecord): string {
  const p = r.properties;
  const operation = String(p.operation ?? "Backup");
  if (/^(DisableBackup|DeleteBackupData)$/i.test(operation)) return "protection stopped";
  const who = String(p.isUserTriggered) === "true" ? "on-demand" : "scheduled";
  const kind = /\(([^)]+)\)/.exec(operation)?.[1]?.toLowerCase();
  const status = String(p.status);
  const outcome = /^(Completed|Succeeded|CompletedWithWarnings)$/.test(status) ? "succeeded" : /^(InProgress|Started)$/.test(status) ? "started" : status.toLowerCase();
  const error = (p.errorDetails as Record<string, unknown>[] | undefined)?.[0];
  const code = error === undefined ? "" : ` (${String(error.errorTitle ?? error.code ?? error.errorCode)})`;
  return `${who} ${kind === undefined ? "" : `${kind} `}backup ${outcome}${outcome === "failed" ? code : ""}`.replace(/\s+/g, " ");
}
