import { BLOB, DISK, dpItemId, POSTGRESQL, rsItemId } from "./items.ts";
import type { Emulator, ItemSeed, QueryMatch } from "./types.ts";

/** A sample tenant for the demo and the benchmarks: what the two shipped queries would return, and the vaults behind it. */
export interface Estate {
  subscriptions: { id: string; name: string }[];
  items: ItemSeed[];
  /** Rows per query name (the file name without .kql). */
  rowsByQuery: Record<string, Record<string, unknown>[]>;
  /** Subscriptions where the identity can read but not trigger. */
  deniedWrite: string[];
  /** Items with a backup already running (the trigger answers 409). */
  busy: string[];
}

const PROD = "3f2b8c1e-6d4a-4b7e-9a51-0c8e2d7f4a10";
const DEV = "8a6d0f52-1b3c-4e9f-8d27-5c4b3a2e1f90";
const FINANCE = "c71e4d29-9f08-4a63-b5d1-2e6f8a9b0c34";

const rs = (subscriptionId: string, resourceGroup: string, vaultName: string, container: string, name: string) =>
  rsItemId({ subscriptionId, resourceGroup, vaultName, container, name });
const dp = (subscriptionId: string, resourceGroup: string, vaultName: string, name: string) => dpItemId({ subscriptionId, resourceGroup, vaultName, name });

const ITEMS = {
  vmWeb01: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01", "VM;iaasvmcontainerv2;rg-app;vm-web-01"),
  vmWeb02: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-02", "VM;iaasvmcontainerv2;rg-app;vm-web-02"),
  vmLegacy: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "IaasVMContainer;iaasvmcontainerv2;rg-legacy;vm-legacy-07", "VM;iaasvmcontainerv2;rg-legacy;vm-legacy-07"),
  sqlSales: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "VMAppContainer;Compute;rg-data;sqlvm-01", "SQLDataBase;mssqlserver;sales"),
  sqlInventory: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "VMAppContainer;Compute;rg-data;sqlvm-01", "SQLDataBase;mssqlserver;inventory"),
  hana: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "VMAppContainer;Compute;rg-sap;hanavm-01", "SAPHanaDatabase;hxe;hxe"),
  filesFinance: rs(PROD, "rg-backup-prod", "rsv-prod-weu", "StorageContainer;Storage;rg-files;stfinance01", "AzureFileShare;finance"),
  disk: dp(PROD, "rg-backup-prod", "bv-prod-weu", "diskrg-disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b"),
  postgres: dp(PROD, "rg-backup-prod", "bv-prod-weu", "pg-sales-01-salesdb-0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"),
  blob: dp(PROD, "rg-backup-prod", "bv-prod-weu", "stcontosodocs-stcontosodocs-5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"),
  vmBuild: rs(DEV, "rg-backup-dev", "rsv-dev-weu", "IaasVMContainer;iaasvmcontainerv2;rg-dev;vm-build-01", "VM;iaasvmcontainerv2;rg-dev;vm-build-01"),
  filesBuilds: rs(DEV, "rg-backup-dev", "rsv-dev-weu", "StorageContainer;Storage;rg-dev;stdevbuilds", "AzureFileShare;builds"),
  diskDev: dp(DEV, "rg-backup-dev", "bv-dev-weu", "diskrg-disk-dev-02-9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f"),
  vmLedger: rs(FINANCE, "rg-backup-fin", "rsv-fin-weu", "IaasVMContainer;iaasvmcontainerv2;rg-fin;vm-ledger-01", "VM;iaasvmcontainerv2;rg-fin;vm-ledger-01"),
  sqlLedger: rs(FINANCE, "rg-backup-fin", "rsv-fin-weu", "VMAppContainer;Compute;rg-fin;sqlvm-fin-01", "SQLDataBase;mssqlserver;ledger"),
};

const jobId = (itemId: string, guid: string): string => {
  const vault = itemId.split("/").slice(0, 9).join("/");
  return `${vault}/backupJobs/${guid}`;
};

/** Lower-case everything after the subscription id, as ids sometimes come back from other tables. */
const recased = (id: string): string => id.replace(/(\/subscriptions\/[^/]+)(.*)/i, (_, head: string, tail: string) => `${head}${tail.toLowerCase()}`);

export function demoEstate(now: Date = new Date()): Estate {
  const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();
  const row = (itemId: string, guid: string, hoursAgo: number, fields: Record<string, unknown>) => ({
    id: jobId(itemId, guid),
    subscriptionId: itemId.split("/")[2],
    itemId,
    failedAt: ago(hoursAgo),
    exhausted: false,
    attempts: 0,
    ...fields,
  });
  const vm = { expiryDays: 10, backupType: "", dataSourceType: "AzureIaasVM" };
  const workload = (backupType: string) => ({ expiryDays: 45, backupType, dataSourceType: "AzureWorkload" });
  const files = { expiryDays: 10, backupType: "", dataSourceType: "AzureStorage" };
  return {
    subscriptions: [
      { id: PROD, name: "contoso-prod" },
      { id: DEV, name: "contoso-dev" },
      { id: FINANCE, name: "contoso-finance" },
    ],
    items: [
      { itemId: ITEMS.vmWeb01 },
      { itemId: ITEMS.vmWeb02 },
      { itemId: ITEMS.vmLegacy },
      { itemId: ITEMS.sqlSales },
      { itemId: ITEMS.sqlInventory },
      { itemId: ITEMS.hana },
      { itemId: ITEMS.filesFinance },
      { itemId: ITEMS.disk, dataSourceType: DISK, rules: [{ name: "BackupHourly", retentionTags: ["Default"], defaultTag: "Default" }] },
      { itemId: ITEMS.postgres, dataSourceType: POSTGRESQL, rules: [{ name: "BackupWeekly", retentionTags: ["Default", "Weekly"], defaultTag: "Default" }] },
      { itemId: ITEMS.blob, dataSourceType: BLOB, rules: [{ name: "BackupDaily", retentionTags: ["Default"], defaultTag: "Default" }] },
      { itemId: ITEMS.vmBuild },
      { itemId: ITEMS.filesBuilds },
      { itemId: ITEMS.diskDev, dataSourceType: DISK, rules: [{ name: "BackupHourly", retentionTags: ["Default"], defaultTag: "Default" }] },
      { itemId: ITEMS.vmLedger },
      { itemId: ITEMS.sqlLedger },
    ],
    rowsByQuery: {
      "recovery-services": [
        row(ITEMS.vmWeb01, "0b7c1d2e-3f40-4a51-8b62-7c83d94e05f1", 3, { ...vm, errorCode: "UserErrorGuestAgentStatusUnavailable", errorMessage: "VM Agent unable to communicate with Azure Backup", attempts: 1 }),
        // The same item again, its id in another case: the sweep must trigger it once.
        row(recased(ITEMS.vmWeb01), "1c8d2e3f-4051-4b62-9c73-8d94e05f16a2", 9, { ...vm, errorCode: "BackUpOperationFailedV2", errorMessage: "Backup failed with an internal error. Please retry the operation in a few minutes." }),
        row(ITEMS.vmWeb02, "2d9e3f40-5162-4c73-8d84-9e05f16a27b3", 5, { ...vm, errorCode: "ExtensionSnapshotFailedNoNetwork", errorMessage: "Snapshot operation failed due to no network connectivity on the virtual machine." }),
        row(ITEMS.vmLegacy, "3e0f4051-6273-4d84-9e95-0f16a27b38c4", 2, {
          ...vm,
          errorCode: "UserErrorVmProvisioningStateFailed",
          errorMessage: "The VM is in failed provisioning state.",
          exhausted: true,
          attempts: 3,
        }),
        row(ITEMS.sqlSales, "4f105162-7384-4e95-8fa6-1a27b38c49d5", 6, {
          ...workload("Full"),
          errorCode: "OperationCancelledBecauseConflictingOperationRunningUserError",
          errorMessage: "Operation cancelled because a conflicting operation was already running on the database.",
        }),
        row(ITEMS.sqlInventory, "50216273-8495-4fa6-9ab7-2b38c49d5ae6", 1, { ...workload("Log"), errorCode: "BackUpOperationFailed", errorMessage: "Log backup failed with an internal error." }),
        row(ITEMS.hana, "61327384-95a6-40b7-8bc8-3c49d5ae6bf7", 7, { ...workload("Differential"), errorCode: "BackUpOperationFailed", errorMessage: "Backup failed with an internal error. Please retry the operation in a few minutes." }),
        row(ITEMS.filesFinance, "72438495-a6b7-41c8-9cd9-4d5ae6bf7c08", 4, {
          ...files,
          errorCode: "FileshareBackupFailedWithAzureRpRequestThrottling",
          errorMessage: "File share backup failed because the storage service throttled the request.",
        }),
        row(ITEMS.vmBuild, "83549506-b7c8-42d9-8dea-5e6bf7c08d19", 8, { ...vm, errorCode: "BackUpOperationFailedV2", errorMessage: "Backup failed with an internal error. Please retry the operation in a few minutes." }),
        row(ITEMS.filesBuilds, "9465a617-c8d9-43ea-9efb-6f7c08d19e2a", 10, { ...files, errorCode: "DatamoverGenericError", errorMessage: "The data mover hit a transient error." }),
        row(ITEMS.vmLedger, "a576b728-d9ea-44fb-8f0c-708d19e2af3b", 11, { ...vm, errorCode: "BackUpOperationFailedV2", errorMessage: "Backup failed with an internal error. Please retry the operation in a few minutes." }),
        row(ITEMS.sqlLedger, "b687c839-eafb-450c-9a1d-819e2af3b04c", 12, { ...workload("Full"), errorCode: "BackUpOperationFailed", errorMessage: "Full backup failed with an internal error." }),
      ],
      "backup-vault": [
        row(ITEMS.disk, "c798d94a-fb0c-461d-8b2e-92af3b04c15d", 2, {
          errorCode: "UserErrorMaxConcurrentOperationLimitReached",
          errorMessage: "Unable to start the operation as maximum number of allowed concurrent backups has reached.",
          ruleName: "BackupHourly",
          retentionTag: "Default",
          dataSourceType: DISK,
        }),
        // Rule and tag left to the instance's policy.
        row(ITEMS.postgres, "d8a9ea5b-0c1d-472e-9c3f-a3b04c15d26e", 5, { errorCode: "CloudInternalError", errorMessage: "Microsoft Azure Backup encountered an internal error.", ruleName: "", retentionTag: "", dataSourceType: POSTGRESQL }),
        row(ITEMS.blob, "e9bafb6c-1d2e-483f-8d40-b4c15d26e37f", 3, {
          errorCode: "CloudInternalError",
          errorMessage: "Microsoft Azure Backup encountered an internal error.",
          ruleName: "BackupDaily",
          retentionTag: "Default",
          dataSourceType: BLOB,
          attempts: 1,
        }),
        row(ITEMS.diskDev, "facb0c7d-2e3f-4940-9e51-c5d26e37f480", 6, { errorCode: "CloudInternalError", errorMessage: "Microsoft Azure Backup encountered an internal error.", ruleName: "", retentionTag: "", dataSourceType: DISK }),
      ],
    },
    deniedWrite: [FINANCE],
    busy: [ITEMS.vmWeb02],
  };
}

const normalise = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Without the query's text, recognise it by the job type it reads. */
const FALLBACK_MARKERS: Record<string, string> = {
  "recovery-services": "microsoft.recoveryservices/vaults/backupjobs",
  "backup-vault": "microsoft.dataprotection/backupvaults/backupjobs",
};

function matcherFor(name: string, text: string | undefined): QueryMatch | undefined {
  if (text !== undefined && normalise(text) !== "") {
    const wanted = normalise(text);
    return (query) => normalise(query).includes(wanted);
  }
  const marker = FALLBACK_MARKERS[name];
  return marker === undefined ? undefined : (query) => query.toLowerCase().includes(marker);
}

/** Seeds the emulator with an estate; rows go to the query of the same name, matched by the text the caller passes. */
export function seedEstate(emulator: Emulator, estate: Estate, queryTexts: Record<string, string>): void {
  emulator.addItems(estate.items);
  for (const [name, rows] of Object.entries(estate.rowsByQuery)) {
    const match = matcherFor(name, queryTexts[name]);
    if (match !== undefined) emulator.seedQuery(match, rows);
  }
  for (const subscriptionId of estate.deniedWrite) emulator.denySubscription(subscriptionId, "write");
  for (const itemId of estate.busy) emulator.setBusy(itemId, "trigger409");
}
