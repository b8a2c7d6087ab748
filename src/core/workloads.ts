import { z } from "zod";
import type { ItemRef, VaultKind } from "./ids.ts";

/**
 * The one vocabulary of workloads: the report, the rules' tunables (`workloads`, `expiryDaysByWorkload`,
 * `dailyAllowanceByWorkload`) and the trigger paths all use these names.
 */
export const WorkloadSchema = z.enum(["AzureVM", "SQLDatabase", "SAPHanaDatabase", "AzureFileShare", "AzureDisk", "PostgreSQL", "AzureBlob", "Other"]);
export type Workload = z.infer<typeof WorkloadSchema>;

interface WorkloadFacts {
  vault: VaultKind;
  /** Days an on-demand recovery point may be kept (Recovery Services; a Backup vault's retention comes from its policy). */
  expiryDays?: readonly [number, number];
  /** Why the limits are not the service's usual 1 day to 99 years. */
  expiryLimitsWhy?: string;
  /** On-demand backups the service allows per item per day, where it documents one. */
  dailyAllowance?: number;
}

/**
 * What the services document per workload (reference/service-behaviour.md): recovery points kept at most 99 years,
 * at least 45 days for SQL and SAP HANA full backups, at most 10 years for Azure Files (snapshot tier); 9 on-demand
 * backups a day for VMs, SQL and SAP HANA (3 recommended), 10 for Azure Files, 4 for vaulted blobs.
 */
export const WORKLOADS: Readonly<Record<Exclude<Workload, "Other">, WorkloadFacts>> = {
  AzureVM: { vault: "recoveryServices", expiryDays: [1, 36_135], dailyAllowance: 9 },
  SQLDatabase: { vault: "recoveryServices", expiryDays: [45, 36_135], expiryLimitsWhy: "SQL full backups are kept at least 45 days", dailyAllowance: 9 },
  SAPHanaDatabase: { vault: "recoveryServices", expiryDays: [45, 36_135], expiryLimitsWhy: "SAP HANA full backups are kept at least 45 days", dailyAllowance: 9 },
  AzureFileShare: { vault: "recoveryServices", expiryDays: [1, 3650], expiryLimitsWhy: "snapshot-tier recovery points of Azure Files are kept at most 10 years", dailyAllowance: 10 },
  AzureDisk: { vault: "dataProtection" },
  PostgreSQL: { vault: "dataProtection" },
  AzureBlob: { vault: "dataProtection", dailyAllowance: 4 },
};

export function isWorkloadName(name: string): name is Exclude<Workload, "Other"> {
  return Object.hasOwn(WORKLOADS, name);
}

/** The Recovery Services workloads, in the vocabulary's order (messages list them). */
export const RECOVERY_SERVICES_WORKLOADS: readonly Workload[] = Object.entries(WORKLOADS).filter(([, f]) => f.vault === "recoveryServices").map(([name]) => name as Workload);
const RS_WORKLOADS: ReadonlySet<Workload> = new Set(RECOVERY_SERVICES_WORKLOADS);

const RS_ITEM_PREFIXES: [string, Workload][] = [
  ["vm;", "AzureVM"],
  ["sqldatabase;", "SQLDatabase"],
  ["saphanadatabase;", "SAPHanaDatabase"],
  ["azurefileshare;", "AzureFileShare"],
];
const RS_CONTAINER_PREFIXES: [string, Workload][] = [
  ["iaasvmcontainer", "AzureVM"],
  ["storagecontainer;", "AzureFileShare"],
];
// Names the row may use to say what the item is: the vocabulary's own, and the services' (backupManagementType,
// workloadType, datasource type).
const ROW_WORKLOADS: Record<string, Workload> = {
  ...Object.fromEntries(Object.keys(WORKLOADS).map((name) => [name.toLowerCase(), name as Workload])),
  azureiaasvm: "AzureVM", vm: "AzureVM", "microsoft.compute/virtualmachines": "AzureVM",
  sqldatabase: "SQLDatabase", sqldb: "SQLDatabase", azurevmworkloadsqldatabase: "SQLDatabase",
  saphanadatabase: "SAPHanaDatabase", azurevmworkloadsaphanadatabase: "SAPHanaDatabase",
  azurefileshare: "AzureFileShare", azurestorage: "AzureFileShare", "microsoft.storage/storageaccounts/fileservices/shares": "AzureFileShare",
  "microsoft.compute/disks": "AzureDisk",
  "microsoft.dbforpostgresql/servers/databases": "PostgreSQL", "microsoft.dbforpostgresql/flexibleservers": "PostgreSQL",
  "microsoft.storage/storageaccounts/blobservices": "AzureBlob",
};

/** Workload from the row's hint first, then from the id's container and item name prefixes. */
export function workloadOf(ref: ItemRef, hint?: string): Workload | undefined {
  const fromHint = hint === undefined ? undefined : ROW_WORKLOADS[hint.trim().toLowerCase()];
  if (ref.kind === "dataProtection") return fromHint ?? undefined;
  if (fromHint !== undefined && RS_WORKLOADS.has(fromHint)) return fromHint;
  const item = ref.item.toLowerCase();
  const container = ref.container.toLowerCase();
  return RS_ITEM_PREFIXES.find(([p]) => item.startsWith(p))?.[1] ?? RS_CONTAINER_PREFIXES.find(([p]) => container.startsWith(p))?.[1];
}

/** Workload of a Backup vault datasource type as the backup instance reports it. */
export function dataProtectionWorkload(datasourceType: string | undefined): Workload {
  return (datasourceType === undefined ? undefined : ROW_WORKLOADS[datasourceType.toLowerCase()]) ?? "Other";
}
