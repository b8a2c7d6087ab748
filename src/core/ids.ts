import { z } from "zod";

export const VaultKindSchema = z.enum(["recoveryServices", "dataProtection"]);
export type VaultKind = z.infer<typeof VaultKindSchema>;

interface CommonRef {
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  /** Canonical vault id (ARM casing of the keywords, names as given). */
  vaultId: string;
  /** Canonical item id; its lower-case form is the dedupe key. */
  itemId: string;
}
export interface RecoveryServicesItemRef extends CommonRef {
  kind: "recoveryServices";
  fabric: string;
  container: string;
  item: string;
}
export interface DataProtectionInstanceRef extends CommonRef {
  kind: "dataProtection";
  backupInstance: string;
}
export type ItemRef = RecoveryServicesItemRef | DataProtectionInstanceRef;

const MAX_ID_LENGTH = 1024;
/** A subscription, client or run id. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[A-Za-z0-9_().-]{1,90}$/;
const VAULT = /^[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]$/;
// Container and item names hold `;`-separated parts (VM and database names, instance, share); spaces occur in SQL names.
const BACKUP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9;._()$@ -]{0,254}[A-Za-z0-9_)])?$/;
const INSTANCE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$/;

export type ParseResult = { ok: true; ref: ItemRef } | { ok: false; reason: string };

/**
 * Accepts exactly the two item id shapes of DESIGN.md and nothing else: no host, no query string,
 * no fragment, no percent-encoding, no dot segments, ASCII only. Keywords compare case-insensitively.
 */
export function parseItemId(raw: string): ParseResult {
  if (raw.length > MAX_ID_LENGTH) return fail(`itemId is ${raw.length} characters long; ARM ids are at most ${MAX_ID_LENGTH}`);
  if (!/^[\x20-\x7e]*$/.test(raw)) return fail("itemId holds non-ASCII or control characters");
  if (/[?#%\\]/.test(raw)) return fail("itemId holds a query string, fragment, percent-encoding or backslash; only a plain ARM path is accepted");
  if (!raw.startsWith("/")) return fail("itemId must be an ARM resource id starting with /subscriptions/ (no scheme or host)");
  const parts = raw.split("/").slice(1);
  if (parts.some((p) => p === "" || p === "." || p === "..")) return fail("itemId has an empty or dot segment");
  const [subKw, sub, rgKw, rg, provKw, provider, vaultType, vault, ...rest] = parts;
  if (!eq(subKw, "subscriptions") || !eq(rgKw, "resourceGroups") || !eq(provKw, "providers")) {
    return fail("itemId must have the shape /subscriptions/{id}/resourceGroups/{rg}/providers/...");
  }
  if (sub === undefined || !GUID.test(sub)) return fail("itemId's subscription is not a GUID");
  if (rg === undefined || !RESOURCE_GROUP.test(rg) || rg.endsWith(".")) return fail(`itemId's resource group "${rg ?? ""}" is not a valid resource group name`);
  if (vault === undefined || !VAULT.test(vault)) return fail(`itemId's vault name "${vault ?? ""}" is not a valid vault name`);
  const base = `/subscriptions/${sub}/resourceGroups/${rg}/providers`;
  if (eq(provider, "Microsoft.RecoveryServices") && eq(vaultType, "vaults")) {
    const [fabKw, fabric, contKw, container, itemKw, item, ...extra] = rest;
    if (!eq(fabKw, "backupFabrics") || !eq(contKw, "protectionContainers") || !eq(itemKw, "protectedItems") || extra.length > 0) {
      return fail("a Recovery Services itemId must end in /backupFabrics/Azure/protectionContainers/{container}/protectedItems/{item}");
    }
    if (!eq(fabric, "Azure")) return fail(`backup fabric "${fabric ?? ""}" is not supported; on-demand backup of Azure workloads uses the fabric "Azure"`);
    if (container === undefined || !BACKUP_NAME.test(container)) return fail(`protection container name "${container ?? ""}" has characters ARM does not use`);
    if (item === undefined || !BACKUP_NAME.test(item)) return fail(`protected item name "${item ?? ""}" has characters ARM does not use`);
    const vaultId = `${base}/Microsoft.RecoveryServices/vaults/${vault}`;
    return {
      ok: true,
      ref: {
        kind: "recoveryServices", subscriptionId: sub.toLowerCase(), resourceGroup: rg, vaultName: vault, vaultId,
        itemId: `${vaultId}/backupFabrics/Azure/protectionContainers/${container}/protectedItems/${item}`,
        fabric: "Azure", container, item,
      },
    };
  }
  if (eq(provider, "Microsoft.DataProtection") && eq(vaultType, "backupVaults")) {
    const [biKw, instance, ...extra] = rest;
    if (!eq(biKw, "backupInstances") || instance === undefined || extra.length > 0) {
      return fail("a Backup vault itemId must end in /backupVaults/{vault}/backupInstances/{instance}");
    }
    if (!INSTANCE.test(instance)) return fail(`backup instance name "${instance}" has characters ARM does not use`);
    const vaultId = `${base}/Microsoft.DataProtection/backupVaults/${vault}`;
    return {
      ok: true,
      ref: { kind: "dataProtection", subscriptionId: sub.toLowerCase(), resourceGroup: rg, vaultName: vault, vaultId, itemId: `${vaultId}/backupInstances/${instance}`, backupInstance: instance },
    };
  }
  return fail("itemId is neither a Recovery Services protected item nor a Backup vault backup instance");
}

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}
