// A failure wave in one subscription meets ARM's per-subscription write bucket: the sweep paces its
// writes to the bucket instead of answering each 429 on its own (which becomes a 429 storm).
import { describe, expect, it } from "vitest";
import { items, failedJob, SUBS, useHarness } from "../support/harness.ts";

const h = useHarness({ writeBucket: { burst: 10, refillPerSecond: 10 } });

describe("write pacing", () => {
  it("triggers 40 items of one subscription through a 10-token bucket with almost no 429", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? failedJob(SUBS.a, items.dp(SUBS.a, `disk-${i}-0f1e`), { ruleName: "BackupHourly", retentionTag: "Default" }) : failedJob(SUBS.a, items.vm(SUBS.a, `vm-${i}`))));
    await h.failedJobs("wave", rows);
    const { report } = await h.run({ env: { RETRY_CONCURRENCY: "8" } });
    expect(report.totals).toMatchObject({ rows: 40, triggered: 40, failed: 0 });
    const writes = h.emulator.requests.filter((r) => r.kind === "rs.trigger" || r.kind === "dp.trigger");
    const throttled = writes.filter((r) => r.status === 429);
    expect(throttled.length).toBeLessThanOrEqual(Math.ceil(writes.length * 0.05));
    expect(writes.filter((r) => r.status === 202)).toHaveLength(40);
  });

  it("holds every write of a subscription for a 429's Retry-After, and other subscriptions go on", async () => {
    h.emulator.reset();
    h.emulator.configure({ writeBucket: false });
    await h.failedJobs("held", [...Array.from({ length: 6 }, (_, i) => failedJob(SUBS.a, items.vm(SUBS.a, `held-${i}`))), failedJob(SUBS.b, items.vm(SUBS.b, "free-1"))]);
    h.emulator.fault({ kind: "rs.trigger", subscriptionId: SUBS.a, times: 1, respond: { status: 429, headers: { "retry-after": "1" } } });
    const { report } = await h.run({ env: { RETRY_CONCURRENCY: "8" } });
    expect(report.totals.triggered).toBe(7);
    const writes = h.emulator.requests.filter((r) => r.kind === "rs.trigger");
    const first429 = writes.find((r) => r.status === 429)!;
    const laterA = writes.filter((r) => r.subscriptionId === SUBS.a && r.at > first429.at);
    // Writes already in flight when the 429 came may land inside the window; none is sent into it afterwards.
    expect(laterA.filter((r) => r.at < first429.at + 900).length).toBeLessThanOrEqual(8);
    expect(writes.filter((r) => r.status === 429)).toHaveLength(1);
  });
});
