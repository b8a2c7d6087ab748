import { describe, expect, it } from "vitest";
import { parseItemId, workloadOf } from "../../src/core/index.ts";

const SUB = "11111111-2222-3333-4444-555555555555";
const RS = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-web-01`;
const DP = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-prod/backupInstances/diskrg-disk-data-01-0f1e2d3c`;

describe("parseItemId accepts exactly the two ARM item shapes", () => {
  it("parses a Recovery Services protected item", () => {
    const parsed = parseItemId(RS);
    expect(parsed).toMatchObject({ ok: true, ref: { kind: "recoveryServices", subscriptionId: SUB, resourceGroup: "rg-backup", vaultName: "rsv-prod", container: "IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01", item: "VM;iaasvmcontainerv2;rg-app;vm-web-01" } });
  });

  it("parses a Backup vault instance, whatever the keyword casing", () => {
    const parsed = parseItemId(DP.replace("/subscriptions/", "/Subscriptions/").replace("backupVaults", "Backupvaults"));
    expect(parsed).toMatchObject({ ok: true, ref: { kind: "dataProtection", backupInstance: "diskrg-disk-data-01-0f1e2d3c", vaultId: `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-prod` } });
  });

  it.each([
    ["another host", `https://evil.example${RS}`],
    ["a scheme-relative host", `//evil.example${RS}`],
    ["dot segments", RS.replace("/protectedItems/", "/../../protectedItems/")],
    ["a single dot segment", RS.replace("/backupFabrics/", "/./backupFabrics/")],
    ["an encoded slash", RS.replace("vm-web-01/protectedItems", "vm-web-01%2F..%2Fx/protectedItems")],
    ["a query string", `${DP}?api-version=2020-01-01`],
    ["a fragment", `${DP}#x`],
    ["a backslash", DP.replace("backupInstances/", "backupInstances\\")],
    ["a unicode look-alike", DP.replace("Microsoft.DataProtection", "Microsoft.DataPr\u043etection")],
    ["a 10 KB string", `${DP}${"a".repeat(10_000)}`],
    ["a trailing segment", `${DP}/backup`],
    ["a non-Azure fabric", RS.replace("backupFabrics/Azure", "backupFabrics/Hyper-V")],
    ["another provider", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`],
    ["a non-GUID subscription", DP.replace(SUB, "not-a-guid")],
    ["an empty segment", DP.replace("/resourceGroups/", "//resourceGroups/")],
    ["control characters", `${DP}\n`],
  ])("rejects %s", (_name, id) => {
    const parsed = parseItemId(id);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/\w/);
  });
});

describe("workloadOf", () => {
  const rs = (container: string, item: string) => {
    const parsed = parseItemId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1/backupFabrics/Azure/protectionContainers/${container}/protectedItems/${item}`);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.ref;
  };
  it.each([
    ["IaasVMContainer;iaasvmcontainerv2;rg;vm", "VM;iaasvmcontainerv2;rg;vm", "AzureVM"],
    ["iaasvmcontainer;iaasvmcontainerv2;rg;vm", "vm;iaasvmcontainerv2;rg;vm", "AzureVM"],
    ["VMAppContainer;Compute;rg;sqlvm", "SQLDataBase;mssqlserver;sales", "SQLDatabase"],
    ["VMAppContainer;Compute;rg;hana", "saphanadatabase;hxe;hxe", "SAPHanaDatabase"],
    ["StorageContainer;Storage;rg;account", "AzureFileShare;finance", "AzureFileShare"],
  ])("%s / %s is %s", (container, item, workload) => {
    expect(workloadOf(rs(container, item))).toBe(workload);
  });
  it("lets the row say what an unrecognised item is", () => {
    expect(workloadOf(rs("VMAppContainer;Compute;rg;vm", "custom;item"))).toBeUndefined();
    expect(workloadOf(rs("VMAppContainer;Compute;rg;vm", "custom;item"), "SQLDataBase")).toBe("SQLDatabase");
  });
});
