import { describe, expect, it } from "vitest";
import { planActions, type PlannedAction } from "../../src/plan/index.ts";

const SUB_A = "aaaaaaaa-0000-0000-0000-000000000001";
const SUB_B = "bbbbbbbb-0000-0000-0000-000000000002";
const vm = (sub: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;${name}/protectedItems/VM;iaasvmcontainerv2;rg;${name}`;
const job = (sub: string, n: number) => `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv/backupJobs/job-${n}`;
const itemName = (a: PlannedAction): string | undefined => (a.ref.kind === "recoveryServices" ? a.ref.item.split(";").pop() : a.ref.backupInstance);
const row = (sub: string, name: string, n: number, failedAt: string, extra: Record<string, unknown> = {}) => ({ id: job(sub, n), subscriptionId: sub, itemId: vm(sub, name), failedAt, ...extra });

describe("planActions", () => {
  it("merges duplicate rows of one item case-insensitively and keeps every source row", () => {
    const plan = planActions(
      [
        { rule: "q1", data: [row(SUB_A, "vm1", 1, "2026-11-20T01:00:00Z", { errorCode: "Old" }), { ...row(SUB_A, "vm1", 2, "2026-11-21T01:00:00Z", { errorCode: "New" }), itemId: vm(SUB_A, "vm1").toUpperCase().replace("SUBSCRIPTIONS", "subscriptions").replace(SUB_A.toUpperCase(), SUB_A) }] },
        { rule: "q2", data: [row(SUB_A, "VM1", 3, "2026-11-19T01:00:00Z")] },
      ],
      { maxPerRun: 10, maxPerSubscription: 10 },
    );
    expect(plan.invalid).toEqual([]);
    expect(plan.actions).toHaveLength(1);
    const [action] = plan.actions;
    expect(action?.sourceRows.map((s) => `${s.query}:${s.id.split("/").pop()}`)).toEqual(["q1:job-1", "q1:job-2", "q2:job-3"]);
    expect(action?.failedAt).toBe("2026-11-19T01:00:00.000Z");
    expect(action?.lastError?.code).toBe("New");
  });

  it("defers oldest-last over the per-run and per-subscription caps", () => {
    const rows = [
      row(SUB_A, "a1", 1, "2026-11-20T03:00:00Z"),
      row(SUB_A, "a2", 2, "2026-11-20T01:00:00Z"),
      row(SUB_A, "a3", 3, "2026-11-20T02:00:00Z"),
      row(SUB_B, "b1", 4, "2026-11-20T00:30:00Z"),
      row(SUB_B, "b2", 5, "2026-11-20T04:00:00Z"),
    ];
    const plan = planActions([{ rule: "q", data: rows }], { maxPerRun: 3, maxPerSubscription: 2 });
    const disposition = Object.fromEntries(plan.actions.map((a) => [itemName(a), a.disposition]));
    expect(disposition).toEqual({ a1: "deferred", a2: "trigger", a3: "trigger", b1: "trigger", b2: "deferred" });
    expect(plan.actions.find((a) => itemName(a) === "a1")?.reason).toMatch(/RETRY_MAX_PER_SUBSCRIPTION/);
    expect(plan.actions.find((a) => itemName(a) === "b2")?.reason).toMatch(/RETRY_MAX_PER_RUN/);
    expect(plan.actions.map((a) => a.ref.subscriptionId)).toEqual([SUB_A, SUB_A, SUB_A, SUB_B, SUB_B]);
  });

  it("reports every malformed row as invalid with a reason and keeps the others", () => {
    const rows = [
      row(SUB_A, "ok", 1, "2026-11-20T01:00:00Z"),
      { id: job(SUB_A, 2), subscriptionId: SUB_A },
      { id: job(SUB_A, 3), subscriptionId: SUB_B, itemId: vm(SUB_A, "x") },
      { id: job(SUB_A, 4), subscriptionId: SUB_A, itemId: `https://evil.example${vm(SUB_A, "x")}` },
      { id: job(SUB_A, 5), subscriptionId: SUB_A, itemId: vm(SUB_A, "y"), failedAt: "yesterday" },
      null,
      "a string",
      { subscriptionId: SUB_A, itemId: vm(SUB_A, "z") },
    ];
    const plan = planActions([{ rule: "q", data: rows }], { maxPerRun: 10, maxPerSubscription: 10 });
    expect(plan.actions).toHaveLength(1);
    expect(plan.invalid).toHaveLength(7);
    expect(plan.invalid.map((i) => i.reason)).toEqual([
      expect.stringMatching(/itemId/),
      expect.stringMatching(/does not match the subscription in itemId/),
      expect.stringMatching(/no scheme or host/),
      expect.stringMatching(/failedAt/),
      expect.stringMatching(/not an object/),
      expect.stringMatching(/not an object/),
      expect.stringMatching(/^id: /),
    ]);
  });

  it("marks an item exhausted when any of its rows says so (the safer verdict wins), and never defers it", () => {
    const plan = planActions(
      [{ rule: "q", data: [row(SUB_A, "tired", 1, "2026-11-20T01:00:00Z", { exhausted: "true", attempts: 3, errorCode: "UserErrorGuestAgentStatusUnavailable" }), row(SUB_A, "mixed", 2, "2026-11-20T01:00:00Z", { exhausted: true }), row(SUB_A, "mixed", 3, "2026-11-20T02:00:00Z", { exhausted: false })] }],
      { maxPerRun: 1, maxPerSubscription: 1 },
    );
    const byName = Object.fromEntries(plan.actions.map((a) => [itemName(a), a]));
    expect(byName.tired?.disposition).toBe("exhausted");
    expect(byName.tired?.attempts).toBe(3);
    expect(byName.mixed?.disposition).toBe("exhausted");
  });

  it("rejects rows outside the subscriptions a run asked for", () => {
    const plan = planActions([{ rule: "q", data: [row(SUB_A, "a", 1, "2026-11-20T01:00:00Z"), row(SUB_B, "b", 2, "2026-11-20T01:00:00Z")] }], { maxPerRun: 10, maxPerSubscription: 10, subscriptions: [SUB_B.toUpperCase()] });
    expect(plan.actions.map((a) => a.ref.subscriptionId)).toEqual([SUB_B]);
    expect(plan.invalid[0]?.reason).toMatch(/outside the subscriptions asked for/);
  });

  it("carries extra columns into the source row", () => {
    const plan = planActions([{ rule: "q", data: [row(SUB_A, "a", 1, "2026-11-20T01:00:00Z", { vaultName: "rsv", errorCode: 320001 })] }], { maxPerRun: 10, maxPerSubscription: 10 });
    expect(plan.actions[0]?.sourceRows[0]?.columns).toEqual({ vaultName: "rsv" });
    expect(plan.actions[0]?.lastError?.code).toBe("320001");
  });
});
