import { dpItemId, rsItemId } from "./items.ts";
import type { RequestKind } from "./types.ts";

/** What a request is, from its method and decoded path segments. */
export interface Route {
  kind: RequestKind;
  subscriptionId?: string;
  /** The protected item / backup instance the path names (as sent). */
  itemId?: string;
  policyId?: string;
  operationId?: string;
  /** For AuthorizationFailed: the RBAC action and the scope it was checked on. */
  action?: string;
  scope?: string;
}

const RS_ITEM_ACTION = "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems";

export function classify(method: string, segments: string[]): Route {
  const s = segments.map((x) => x.toLowerCase());
  const at = (i: number, word: string) => s[i] === word;
  if (s.length === 3 && at(0, "providers") && at(1, "microsoft.resourcegraph") && at(2, "resources")) {
    return method === "POST" ? { kind: "arg" } : { kind: "other" };
  }
  if (!at(0, "subscriptions") || segments[1] === undefined) return { kind: "other" };
  const subscriptionId = segments[1];
  const scope = `/${segments.join("/")}`;

  // GET /subscriptions/{s}/providers/Microsoft.Authorization/permissions: the caller's own effective permissions.
  if (s.length === 5 && at(2, "providers") && at(3, "microsoft.authorization") && at(4, "permissions")) {
    return method === "GET" ? { kind: "authz.permissions", subscriptionId, scope: `/subscriptions/${subscriptionId}` } : { kind: "other", subscriptionId };
  }

  // /subscriptions/{s}/providers/Microsoft.DataProtection/locations/{l}/operationStatus|operationResults/{op}
  if (s.length === 8 && at(2, "providers") && at(3, "microsoft.dataprotection") && at(4, "locations") && method === "GET") {
    if (at(6, "operationstatus")) return { kind: "dp.operationStatus", subscriptionId, operationId: segments[7], action: "Microsoft.DataProtection/locations/operationStatus/read", scope };
    if (at(6, "operationresults")) return { kind: "dp.operationResult", subscriptionId, operationId: segments[7], action: "Microsoft.DataProtection/locations/operationResults/read", scope };
  }
  if (!(at(2, "resourcegroups") && at(4, "providers")) || segments[3] === undefined) return { kind: "other", subscriptionId };
  const resourceGroup = segments[3];
  const rest = segments.slice(6);
  const r = s.slice(6);

  if (at(5, "microsoft.recoveryservices") && r[0] === "vaults" && rest[1] !== undefined) {
    const vaultName = rest[1];
    if (r.length === 4 && r[2] === "backupoperations" && method === "GET") {
      return { kind: "rs.operationStatus", subscriptionId, operationId: rest[3], action: "Microsoft.RecoveryServices/Vaults/backupOperations/read", scope };
    }
    if (r.length >= 8 && r[2] === "backupfabrics" && r[4] === "protectioncontainers" && r[6] === "protecteditems") {
      const itemId = rsItemId({ subscriptionId, resourceGroup, vaultName, fabric: rest[3]!, container: rest[5]!, name: rest[7]! });
      const tail = r.slice(8);
      if (tail.length === 0 && method === "GET") return { kind: "rs.item", subscriptionId, itemId, action: `${RS_ITEM_ACTION}/read`, scope };
      if (tail.length === 1 && tail[0] === "backup" && method === "POST") {
        return { kind: "rs.trigger", subscriptionId, itemId, action: `${RS_ITEM_ACTION}/backup/action`, scope: itemId };
      }
      if (tail.length === 2 && tail[0] === "operationsstatus" && method === "GET") {
        return { kind: "rs.operationStatus", subscriptionId, itemId, operationId: rest[9], action: `${RS_ITEM_ACTION}/operationsStatus/read`, scope };
      }
      if (tail.length === 2 && tail[0] === "operationresults" && method === "GET") {
        return { kind: "rs.operationResult", subscriptionId, itemId, operationId: rest[9], action: `${RS_ITEM_ACTION}/operationResults/read`, scope };
      }
    }
    return { kind: "other", subscriptionId };
  }

  if (at(5, "microsoft.dataprotection")) {
    const last = r[r.length - 2];
    if (method === "GET" && last === "operationstatus" && rest.length >= 2) {
      return { kind: "dp.operationStatus", subscriptionId, operationId: rest[rest.length - 1], action: "Microsoft.DataProtection/backupVaults/operationStatus/read", scope };
    }
    if (method === "GET" && last === "operationresults" && rest.length >= 2) {
      return { kind: "dp.operationResult", subscriptionId, operationId: rest[rest.length - 1], action: "Microsoft.DataProtection/backupVaults/operationResults/read", scope };
    }
    if (r[0] === "backupvaults" && rest[1] !== undefined && rest[3] !== undefined) {
      const vaultName = rest[1];
      if (r[2] === "backupinstances") {
        const itemId = dpItemId({ subscriptionId, resourceGroup, vaultName, name: rest[3] });
        if (r.length === 4 && method === "GET") return { kind: "dp.instance", subscriptionId, itemId, action: "Microsoft.DataProtection/backupVaults/backupInstances/read", scope };
        if (r.length === 5 && r[4] === "backup" && method === "POST") {
          return { kind: "dp.trigger", subscriptionId, itemId, action: "Microsoft.DataProtection/backupVaults/backupInstances/backup/action", scope: itemId };
        }
      }
      if (r.length === 4 && r[2] === "backuppolicies" && method === "GET") {
        return { kind: "dp.policy", subscriptionId, policyId: scope, action: "Microsoft.DataProtection/backupVaults/backupPolicies/read", scope };
      }
    }
  }
  return { kind: "other", subscriptionId };
}
