// Query rows that try to point the privileged identity somewhere else. Every one is reported invalid with a reason,
// and the emulator's request log proves none of them reached the wire: the only ARM requests are for the good items.
import { describe, expect, it } from "vitest";
import { items, failedJob, useHarness, SUBS } from "../support/harness.ts";
import { acceptedTriggers, armRequests, expectAccounted, outsideAllowedShapes } from "../support/wire.ts";

const h = useHarness();

const good = items.vm(SUBS.a, "good-vm");
const goodDp = items.dp(SUBS.a, "good-disk-0001");
const KB10 = "x".repeat(10 * 1024);

/** [what it is, the row's itemId, columns to override, what the reason must say]. */
const HOSTILE: [string, string, Record<string, unknown>, RegExp][] = [
  ["another host (absolute URL)", `https://evil.example${good}`, {}, /no scheme or host/],
  ["another host (protocol-relative)", `//evil.example${good}`, {}, /empty or dot segment|shape/],
  ["another ARM host in a sovereign cloud", `https://management.usgovcloudapi.net${good}`, {}, /no scheme or host/],
  ["'..' segments climbing out of the vault", good.replace("/protectedItems/", "/../../../../providers/Microsoft.Authorization/roleAssignments/x/protectedItems/"), {}, /dot segment/],
  ["a trailing '..'", `${good}/..`, {}, /dot segment/],
  ["a '.' segment", good.replace("/backupFabrics/", "/./backupFabrics/"), {}, /dot segment/],
  ["an empty segment", good.replace("/backupFabrics/", "//backupFabrics/"), {}, /empty or dot segment/],
  ["an encoded slash", good.replace(";good-vm/protectedItems", ";good-vm%2F..%2F..%2Fx/protectedItems"), {}, /percent-encoding/],
  ["a lower-case encoded slash", good.replace("/protectedItems/", "%2fprotectedItems%2f"), {}, /percent-encoding/],
  ["a double-encoded slash", good.replace("/protectedItems/", "%252FprotectedItems/"), {}, /percent-encoding/],
  ["encoded dots", good.replace("/protectedItems/", "/%2e%2e/protectedItems/"), {}, /percent-encoding/],
  ["a query string", `${good}?api-version=2016-01-01`, {}, /query string/],
  ["a bare question mark", `${good}?`, {}, /query string/],
  ["a fragment", `${good}#/subscriptions/${SUBS.b}`, {}, /fragment/],
  ["a backslash", good.replace("/protectedItems/", "\\protectedItems\\"), {}, /backslash/],
  ["a Cyrillic o in the provider", good.replace("Microsoft.RecoveryServices", "Microsoft.Rec\u043everyServices"), {}, /non-ASCII/],
  ["a dotless i in the provider", good.replace("Microsoft.", "M\u0131crosoft."), {}, /non-ASCII/],
  ["a fullwidth solidus", good.replace("/protectedItems/", "\uff0fprotectedItems\uff0f"), {}, /non-ASCII/],
  ["a zero-width space", good.replace("protectedItems", "protected\u200bItems"), {}, /non-ASCII/],
  ["a right-to-left override", good.replace("good-vm/protectedItems", "good-vm\u202e/protectedItems"), {}, /non-ASCII/],
  ["a non-breaking space", good.replace("VM;iaasvmcontainerv2", "VM;iaasvmcontainerv2\u00a0"), {}, /non-ASCII/],
  ["a CR/LF header injection", good.replace("/protectedItems/", "/protectedItems/x\r\nHost: evil.example\r\n/"), {}, /control characters/],
  ["a NUL byte", `${good}\u0000`, {}, /control characters/],
  ["a tab", good.replace("rg-backup", "rg-\tbackup"), {}, /control characters/],
  ["an item of another subscription than the row's", items.vm(SUBS.b, "elsewhere"), {}, /does not match the subscription in itemId/],
  ["a subscriptionId column of another subscription", good, { subscriptionId: SUBS.b }, /does not match the subscription in itemId/],
  ["a subscriptionId column with a path", good, { subscriptionId: `../${SUBS.a}` }, /^subscriptionId: /],
  ["a subscriptionId column of 10 KB", good, { subscriptionId: `${SUBS.a}${KB10}` }, /^subscriptionId: /],
  ["an itemId of 10 KB", `${good}${KB10}`, {}, /Too big|at most|characters long/],
  ["an itemId with a 10 KB segment", good.replace("good-vm/protectedItems", `good-vm${KB10}/protectedItems`), {}, /Too big|at most|characters long/],
  ["an id column of 10 KB", good, { id: `/subscriptions/${SUBS.a}/jobs/${KB10}` }, /^id: /],
  ["a role assignment instead of an item", `/subscriptions/${SUBS.a}/resourceGroups/rg-backup/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-000000000000`, {}, /neither a Recovery Services protected item nor a Backup vault/],
  ["a virtual machine instead of an item", `/subscriptions/${SUBS.a}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-1`, {}, /neither/],
  ["an item id with an action appended", `${good}/backup`, {}, /must end in/],
  ["an item id naming an operation", `${good}/operationResults/00000000-0000-4000-8000-000000000000`, {}, /must end in/],
  ["a Backup vault id with an action appended", `${goodDp}/backup`, {}, /must end in/],
  ["a fabric other than Azure", good.replace("/backupFabrics/Azure/", "/backupFabrics/Evil/"), {}, /fabric "Evil" is not supported/],
  ["a subscription that is not a GUID", good.replace(SUBS.a, "not-a-guid"), { subscriptionId: SUBS.a }, /not a GUID|does not match/],
  ["a scheme-only id", "javascript:alert(1)", {}, /no scheme or host/],
  ["an empty itemId", "", {}, /^itemId: /],
];

describe("hostile item and subscription ids", () => {
  it(`reports all ${HOSTILE.length} invalid with a reason, and only the good items reach the wire`, async () => {
    const rows = [failedJob(SUBS.a, good), failedJob(SUBS.a, goodDp, { ruleName: "BackupHourly", retentionTag: "Default" }), ...HOSTILE.map(([, itemId, extra]) => failedJob(SUBS.a, itemId, extra))];
    await h.failedJobs("hostile", rows);
    const { report } = await h.run();

    expect(report.totals).toMatchObject({ rows: HOSTILE.length + 2, invalid: HOSTILE.length, triggered: 2, failed: 0 });
    HOSTILE.forEach(([what, , , reason], i) => {
      expect(report.invalid[i]?.reason, what).toMatch(reason);
      expect(report.invalid[i]?.query).toBe("hostile");
    });
    // The wire: only the two good items, in the allowed shapes, nowhere else.
    expect(outsideAllowedShapes(h.emulator.requests)).toEqual([]);
    const touched = new Set(armRequests(h.emulator).filter((r) => r.itemId !== undefined).map((r) => r.itemId!.toLowerCase()));
    expect([...touched].sort()).toEqual([good, goodDp].map((id) => id.toLowerCase()).sort());
    expect(h.emulator.requests.some((r) => r.kind === "other")).toBe(false);
    expect(h.emulator.requests.every((r) => r.subscriptionId === undefined || r.subscriptionId.toLowerCase() === SUBS.a)).toBe(true);
    expect([...acceptedTriggers(h.emulator).values()]).toEqual([1, 1]);
    expectAccounted(report);
  });

  it("keeps each invalid row's reason bounded, and the report carries no 10 KB string back out", async () => {
    await h.failedJobs("hostile", HOSTILE.map(([, itemId, extra]) => failedJob(SUBS.a, itemId, extra)));
    const { report } = await h.run();
    for (const invalid of report.invalid) expect(invalid.reason.length, invalid.reason.slice(0, 80)).toBeLessThan(1_200);
    expect(armRequests(h.emulator).filter((r) => r.kind !== "arg")).toEqual([]);
  });
});

describe("rows that leave the configured subscriptions", () => {
  it("a row whose job is in RETRY_SUBSCRIPTIONS but whose item is in another subscription is invalid, and nothing is sent there", async () => {
    // ARG scopes the underlying resource (the job), not the projected columns: a query can name any subscription.
    const elsewhere = items.vm(SUBS.b, "outside-scope");
    const inside = items.vm(SUBS.a, "inside-scope");
    const vaultInA = `/subscriptions/${SUBS.a}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;
    const batch = await h.failedJobs("projected", [failedJob(SUBS.a, inside), failedJob(SUBS.b, elsewhere, { jobVault: vaultInA })]);
    const jobInA = `${vaultInA}/backupJobs/${batch}-0000-4000-8000-000000000001`;
    const { report } = await h.run({ env: { RETRY_SUBSCRIPTIONS: SUBS.a } });

    expect(report.queries[0]).toEqual({ name: "projected", rows: 2, pages: 1 });
    expect(report.invalid).toEqual([{ query: "projected", id: jobInA, reason: expect.stringMatching(new RegExp(`${SUBS.b} is outside`)) }]);
    expect(h.emulator.requests.some((r) => r.subscriptionId?.toLowerCase() === SUBS.b)).toBe(false);
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([inside.toLowerCase()]);
    expectAccounted(report);
  });
});
