import { BLOB, DISK } from "./items.ts";
import type { DpItem, Policy, RsItem } from "./items.ts";

const lastSegment = (id: string): string => id.split("/").pop() ?? id;
const afterSemicolon = (name: string, index: number): string => name.split(";")[index] ?? name;

/** A ProtectedItemResource as GET protectedItems/{item} returns it, per workload. */
export function protectedItemResource(item: RsItem): unknown {
  const lastBackupTime = new Date(Date.now() - 26 * 3600_000).toISOString();
  const common = {
    containerName: item.container,
    policyId: item.policyId,
    policyName: lastSegment(item.policyId),
    lastRecoveryPoint: lastBackupTime,
    isScheduledForDeferredDelete: false,
    softDeleteRetentionPeriodInDays: 14,
    vaultId: `/subscriptions/${item.subscriptionId}/resourceGroups/${item.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${item.vaultName}`,
  };
  const parts = item.container.split(";");
  const hostRg = parts[2] ?? item.resourceGroup;
  const hostName = parts[3] ?? afterSemicolon(item.name, 3);
  let properties: Record<string, unknown>;
  switch (item.workload) {
    case "VM": {
      const vmId = `/subscriptions/${item.subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Compute/virtualMachines/${hostName}`;
      properties = {
        protectedItemType: "Microsoft.Compute/virtualMachines",
        backupManagementType: "AzureIaasVM",
        workloadType: "VM",
        friendlyName: hostName,
        virtualMachineId: vmId,
        sourceResourceId: vmId,
        protectionStatus: "Healthy",
        protectionState: "Protected",
        healthStatus: "Passed",
        lastBackupStatus: "Failed",
        lastBackupTime,
        protectedItemDataId: "17592186044416",
      };
      break;
    }
    case "SQLDataBase":
    case "SAPHanaDatabase": {
      const sql = item.workload === "SQLDataBase";
      properties = {
        protectedItemType: sql ? "AzureVmWorkloadSQLDatabase" : "AzureVmWorkloadSAPHanaDatabase",
        backupManagementType: "AzureWorkload",
        workloadType: item.workload,
        friendlyName: afterSemicolon(item.name, 2),
        serverName: hostName,
        parentName: afterSemicolon(item.name, 1).toUpperCase(),
        parentType: sql ? "AzureVmWorkloadSQLInstance" : "AzureVmWorkloadSAPHanaSystem",
        sourceResourceId: `/subscriptions/${item.subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Compute/virtualMachines/${hostName}`,
        protectionStatus: "Healthy",
        protectionState: "Protected",
        protectedItemHealthStatus: "Healthy",
        lastBackupStatus: "Unhealthy",
        lastBackupTime,
      };
      break;
    }
    case "AzureFileShare":
      properties = {
        protectedItemType: "AzureFileShareProtectedItem",
        backupManagementType: "AzureStorage",
        workloadType: "AzureFileShare",
        friendlyName: afterSemicolon(item.name, 1),
        sourceResourceId: `/subscriptions/${item.subscriptionId}/resourceGroups/${hostRg}/providers/Microsoft.Storage/storageAccounts/${hostName}`,
        protectionStatus: "Healthy",
        protectionState: "Protected",
        lastBackupStatus: "Failed",
        lastBackupTime,
      };
      break;
  }
  return { id: item.id, name: item.name, type: "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems", properties: { ...common, ...properties } };
}

/** The datasource a backup instance protects; the instance name is "{datasource}-{guid}". */
function datasourceOf(item: DpItem): { resourceID: string; resourceName: string; resourceType: string; setId: string; setName: string; setType: string } {
  const resourceName = item.name.replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "");
  const rg = `/subscriptions/${item.subscriptionId}/resourceGroups/${item.resourceGroup}/providers`;
  const type = item.dataSourceType.toLowerCase();
  if (type.startsWith("microsoft.dbforpostgresql")) {
    const server = resourceName.split("-")[0] ?? resourceName;
    const setId = `${rg}/Microsoft.DBforPostgreSQL/servers/${server}`;
    return { resourceID: `${setId}/databases/${resourceName}`, resourceName, resourceType: item.dataSourceType, setId, setName: server, setType: "Microsoft.DBforPostgreSQL/servers" };
  }
  if (type === BLOB.toLowerCase()) {
    const id = `${rg}/Microsoft.Storage/storageAccounts/${resourceName}`;
    return { resourceID: id, resourceName, resourceType: "Microsoft.Storage/storageAccounts", setId: id, setName: resourceName, setType: "Microsoft.Storage/storageAccounts" };
  }
  const id = `${rg}/${type === DISK.toLowerCase() ? DISK : item.dataSourceType}/${resourceName}`;
  return { resourceID: id, resourceName, resourceType: item.dataSourceType, setId: id, setName: resourceName, setType: item.dataSourceType };
}

/** A BackupInstanceResource (BackupInstances_Get). */
export function backupInstanceResource(item: DpItem): unknown {
  const ds = datasourceOf(item);
  const info = (objectType: string, id: string, name: string, resourceType: string) => ({
    datasourceType: item.dataSourceType,
    objectType,
    resourceID: id,
    resourceLocation: "westeurope",
    resourceName: name,
    resourceType,
    resourceUri: id,
  });
  return {
    id: item.id,
    name: item.name,
    type: "Microsoft.DataProtection/backupVaults/backupInstances",
    properties: {
      friendlyName: ds.resourceName,
      dataSourceInfo: info("Datasource", ds.resourceID, ds.resourceName, ds.resourceType),
      dataSourceSetInfo: info("DatasourceSet", ds.setId, ds.setName, ds.setType),
      policyInfo: { policyId: item.policyId, policyVersion: "" },
      protectionStatus: { status: "ProtectionConfigured" },
      currentProtectionState: "ProtectionConfigured",
      provisioningState: "Succeeded",
      objectType: "BackupInstance",
    },
  };
}

function schedule(ruleName: string): string {
  const r = ruleName.toLowerCase();
  const interval = r.includes("hour") ? "PT4H" : r.includes("week") ? "P1W" : "P1D";
  return `R/2024-01-07T02:00:00+00:00/${interval}`;
}

/** A BaseBackupPolicyResource (BackupPolicies_Get): one AzureBackupRule per rule, one AzureRetentionRule per tag. */
export function backupPolicyResource(policy: Policy): unknown {
  const type = (policy.dataSourceTypes[0] ?? DISK).toLowerCase();
  const operational = type === DISK.toLowerCase();
  const dataStore = { dataStoreType: operational ? "OperationalStore" : "VaultStore", objectType: "DataStoreInfoBase" };
  const backupType = operational ? "Incremental" : type === BLOB.toLowerCase() ? "Discrete" : "Full";
  const backupRules = policy.rules.map((rule) => ({
    name: rule.name,
    objectType: "AzureBackupRule",
    backupParameters: { objectType: "AzureBackupParams", backupType },
    dataStore,
    trigger: {
      objectType: "ScheduleBasedTriggerContext",
      schedule: { repeatingTimeIntervals: [schedule(rule.name)], timeZone: "UTC" },
      taggingCriteria: rule.retentionTags.map((tag) =>
        tag.toLowerCase() === rule.defaultTag.toLowerCase()
          ? { isDefault: true, tagInfo: { id: `${tag}_`, tagName: tag }, taggingPriority: 99 }
          : {
              isDefault: false,
              tagInfo: { id: `${tag}_`, tagName: tag },
              taggingPriority: 20,
              criteria: [{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: [tag.toLowerCase().includes("week") ? "FirstOfWeek" : "FirstOfDay"] }],
            },
      ),
    },
  }));
  const tags = [...new Map(policy.rules.flatMap((rule) => rule.retentionTags.map((tag) => [tag.toLowerCase(), { tag, isDefault: rule.defaultTag.toLowerCase() === tag.toLowerCase() }] as const))).values()];
  const retentionRules = tags.map(({ tag, isDefault }) => ({
    name: tag,
    objectType: "AzureRetentionRule",
    isDefault,
    lifecycles: [{ deleteAfter: { objectType: "AbsoluteDeleteOption", duration: isDefault ? "P7D" : "P30D" }, sourceDataStore: dataStore, targetDataStoreCopySettings: [] }],
  }));
  return {
    id: policy.id,
    name: lastSegment(policy.id),
    type: "Microsoft.DataProtection/backupVaults/backupPolicies",
    properties: { objectType: "BackupPolicy", datasourceTypes: policy.dataSourceTypes, policyRules: [...backupRules, ...retentionRules] },
  };
}
