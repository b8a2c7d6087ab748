import type { ItemSeed, RetentionRuleSeed } from "./types.ts";

export type RsWorkload = "VM" | "SQLDataBase" | "SAPHanaDatabase" | "AzureFileShare";

export interface RsItem {
  vault: "rs";
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  container: string;
  name: string;
  workload: RsWorkload;
  policyId: string;
}

export interface DpItem {
  vault: "dp";
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  name: string;
  dataSourceType: string;
  policyId: string;
}

export type Item = RsItem | DpItem;

export interface Policy {
  id: string;
  dataSourceTypes: string[];
  rules: RetentionRuleSeed[];
}

const RS_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)\/backupFabrics\/([^/]+)\/protectionContainers\/([^/]+)\/protectedItems\/([^/]+)$/i;
const DP_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DataProtection\/backupVaults\/([^/]+)\/backupInstances\/([^/]+)$/i;

export const DISK = "Microsoft.Compute/disks";
export const POSTGRESQL = "Microsoft.DBforPostgreSQL/servers/databases";
export const BLOB = "Microsoft.Storage/storageAccounts/blobServices";

/** Ids are case-insensitive in ARM. */
export const idKey = (id: string): string => id.replace(/\/+$/, "").toLowerCase();

export function rsItemId(p: { subscriptionId: string; resourceGroup: string; vaultName: string; fabric?: string; container: string; name: string }): string {
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${p.vaultName}/backupFabrics/${p.fabric ?? "Azure"}/protectionContainers/${p.container}/protectedItems/${p.name}`;
}

export function dpItemId(p: { subscriptionId: string; resourceGroup: string; vaultName: string; name: string }): string {
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${p.vaultName}/backupInstances/${p.name}`;
}

export function dpVaultId(item: { subscriptionId: string; resourceGroup: string; vaultName: string }): string {
  return `/subscriptions/${item.subscriptionId}/resourceGroups/${item.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${item.vaultName}`;
}

/** The workload an RS item has, from its container and item name prefixes (as the service names them). */
export function rsWorkloadOf(container: string, name: string): RsWorkload | undefined {
  const c = container.toLowerCase();
  const n = name.toLowerCase();
  if (c.startsWith("iaasvmcontainer") && n.startsWith("vm;")) return "VM";
  if (c.startsWith("vmappcontainer;") && n.startsWith("sqldatabase;")) return "SQLDataBase";
  if (c.startsWith("vmappcontainer;") && n.startsWith("saphanadatabase;")) return "SAPHanaDatabase";
  if (c.startsWith("storagecontainer;") && n.startsWith("azurefileshare;")) return "AzureFileShare";
  return undefined;
}

const RS_WORKLOADS: readonly RsWorkload[] = ["VM", "SQLDataBase", "SAPHanaDatabase", "AzureFileShare"];

function normaliseWorkload(workload: string | undefined): RsWorkload | undefined {
  if (workload === undefined) return undefined;
  return RS_WORKLOADS.find((w) => w.toLowerCase() === workload.toLowerCase());
}

/** The rule a new policy gets for a datasource type, named as the portal's default policies name them. */
export function defaultRule(dataSourceType: string): RetentionRuleSeed {
  const type = dataSourceType.toLowerCase();
  if (type.startsWith("microsoft.dbforpostgresql")) return { name: "BackupWeekly", retentionTags: ["Default"], defaultTag: "Default" };
  if (type === BLOB.toLowerCase()) return { name: "BackupDaily", retentionTags: ["Default"], defaultTag: "Default" };
  return { name: "BackupHourly", retentionTags: ["Default"], defaultTag: "Default" };
}

function defaultPolicyName(vaultName: string, dataSourceType: string): string {
  const type = dataSourceType.toLowerCase();
  if (type.startsWith("microsoft.dbforpostgresql")) return `${vaultName}-postgresql-policy`;
  if (type === BLOB.toLowerCase()) return `${vaultName}-blob-policy`;
  return `${vaultName}-policy`;
}

function defaultRsPolicy(vaultId: string, workload: RsWorkload): string {
  const name = workload === "VM" ? "DefaultPolicy" : workload === "AzureFileShare" ? "DailyPolicy-files" : "HourlyLogBackup";
  return `${vaultId}/backupPolicies/${name}`;
}

export type ParsedId =
  | { vault: "rs"; subscriptionId: string; resourceGroup: string; vaultName: string; fabric: string; container: string; name: string }
  | { vault: "dp"; subscriptionId: string; resourceGroup: string; vaultName: string; name: string };

export function parseItemId(id: string): ParsedId | undefined {
  const rs = RS_ID.exec(id.trim());
  if (rs) {
    const [, subscriptionId, resourceGroup, vaultName, fabric, container, name] = rs;
    return { vault: "rs", subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, vaultName: vaultName!, fabric: fabric!, container: container!, name: name! };
  }
  const dp = DP_ID.exec(id.trim());
  if (dp) {
    const [, subscriptionId, resourceGroup, vaultName, name] = dp;
    return { vault: "dp", subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, vaultName: vaultName!, name: name! };
  }
  return undefined;
}

/** Items and Backup-vault policies the emulator's vaults know, keyed by lower-cased id. */
export class Registry {
  readonly items = new Map<string, Item>();
  readonly policies = new Map<string, Policy>();
  /** Items added with addItems(); seeds never change them. */
  private readonly explicit = new Set<string>();

  add(seed: ItemSeed, options: { explicit: boolean }): Item {
    const parsed = parseItemId(seed.itemId);
    if (parsed === undefined) {
      throw new Error(`emulator: "${seed.itemId}" is not a protected item or backup instance id`);
    }
    const key = idKey(seed.itemId);
    const existing = this.items.get(key);
    if (existing !== undefined && !options.explicit && this.explicit.has(key)) return existing;
    if (options.explicit) this.explicit.add(key);
    // A row that names a known item in another case keeps the id it was first known by.
    const id = !options.explicit && existing !== undefined ? existing.id : seed.itemId.trim();
    const item = parsed.vault === "rs" ? this.rsItem(id, seed, parsed) : this.dpItem(id, seed, parsed, existing, options.explicit);
    this.items.set(key, item);
    return item;
  }

  get(id: string): Item | undefined {
    return this.items.get(idKey(id));
  }

  clear(): void {
    this.items.clear();
    this.policies.clear();
    this.explicit.clear();
  }

  private rsItem(id: string, seed: ItemSeed, p: Extract<ParsedId, { vault: "rs" }>): RsItem {
    const workload = normaliseWorkload(seed.workload) ?? rsWorkloadOf(p.container, p.name);
    if (workload === undefined) {
      throw new Error(`emulator: cannot tell the workload of "${seed.itemId}"; pass workload (VM, SQLDataBase, SAPHanaDatabase or AzureFileShare)`);
    }
    const vaultId = `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${p.vaultName}`;
    return { ...p, id, workload, policyId: seed.policyId ?? defaultRsPolicy(vaultId, workload) };
  }

  private dpItem(id: string, seed: ItemSeed, p: Extract<ParsedId, { vault: "dp" }>, existing: Item | undefined, explicit: boolean): DpItem {
    const previous = existing?.vault === "dp" && !explicit ? existing : undefined;
    const dataSourceType = seed.dataSourceType ?? previous?.dataSourceType ?? DISK;
    const policyId = seed.policyId ?? previous?.policyId ?? `${dpVaultId(p)}/backupPolicies/${defaultPolicyName(p.vaultName, dataSourceType)}`;
    // Rules a test states are the policy's rules; rules learnt from rows add to what the policy has.
    this.mergePolicy(policyId, dataSourceType, seed.rules ?? [defaultRule(dataSourceType)], explicit && seed.rules !== undefined);
    return { ...p, id, dataSourceType, policyId };
  }

  /** Items that share a policy id share its rules: the union by rule name, tags merged. */
  private mergePolicy(policyId: string, dataSourceType: string, rules: RetentionRuleSeed[], replace: boolean): void {
    const key = idKey(policyId);
    const known = this.policies.get(key);
    const policy = known !== undefined && !replace ? known : { id: policyId, dataSourceTypes: known?.dataSourceTypes ?? [], rules: [] };
    if (!policy.dataSourceTypes.some((t) => t.toLowerCase() === dataSourceType.toLowerCase())) policy.dataSourceTypes.push(dataSourceType);
    for (const rule of rules) {
      const same = policy.rules.find((r) => r.name.toLowerCase() === rule.name.toLowerCase());
      if (same === undefined) {
        policy.rules.push({ name: rule.name, retentionTags: [...new Set([rule.defaultTag, ...rule.retentionTags])], defaultTag: rule.defaultTag });
        continue;
      }
      for (const tag of rule.retentionTags) {
        if (!same.retentionTags.some((t) => t.toLowerCase() === tag.toLowerCase())) same.retentionTags.push(tag);
      }
    }
    this.policies.set(key, policy);
  }
}
