// ARM writes misbehaving under a whole sweep, for both vault kinds: throttling, long Retry-After, 5xx bursts,
// connections cut mid-answer, operations that cannot be followed, never finish, or fail. Assertions are on the report,
// the exit code and what crossed the wire; in every case each item gets at most one accepted backup.
import { describe, expect, it } from "vitest";
import type { FaultResponse, RequestKind } from "../../emulator/index.ts";
import { type ActionReport } from "../../src/core/index.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { FAST_RETRY, items, failedJob, useHarness, SUBS, type FailedJob } from "../support/harness.ts";
import { acceptedTriggers, expectAccounted, isTrigger, outsideAllowedShapes } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1, latencyMs: 0 });
});

const KINDS = [
  { vault: "Recovery Services", trigger: "rs.trigger", status: "rs.operationStatus", id: (name: string) => items.vm(SUBS.a, name) },
  { vault: "Backup vault", trigger: "dp.trigger", status: "dp.operationStatus", id: (name: string) => items.dp(SUBS.a, `${name}-0000`) },
] as const satisfies readonly { vault: string; trigger: RequestKind; status: RequestKind; id: (name: string) => string }[];

/** A failed job the planner and both vaults accept; Backup-vault jobs name their rule and tag so no policy read is needed. */
function rowFor(itemId: string): FailedJob {
  const sub = /\/subscriptions\/([^/]+)/.exec(itemId)![1]!;
  return itemId.includes("Microsoft.DataProtection") ? failedJob(sub, itemId, { ruleName: "BackupHourly", retentionTag: "Default" }) : failedJob(sub, itemId);
}

const reportOf = (actions: ActionReport[], itemId: string) => actions.find((a) => a.itemId.toLowerCase() === itemId.toLowerCase());
const requestsOf = (kind: RequestKind) => h.emulator.requests.filter((r) => r.kind === kind);

function expectOneBackupEach(itemIds: readonly string[]) {
  const accepted = acceptedTriggers(h.emulator);
  for (const id of itemIds) expect(accepted.get(id.toLowerCase()) ?? 0, id).toBeLessThanOrEqual(1);
  expect(outsideAllowedShapes(h.emulator.requests)).toEqual([]);
}

describe.each(KINDS)("$vault trigger", ({ trigger, status, id }) => {
  it.each<[string, FaultResponse]>([
    ["429 with Retry-After", { status: 429, headers: { "retry-after": "0" } }],
    ["429 without Retry-After", { status: 429 }],
    ["429 with retry-after-ms", { status: 429, headers: { "retry-after-ms": "5" } }],
    ["500", { status: 500 }],
    ["503", { status: 503 }],
    ["a connection reset", { reset: true }],
  ])("answered %s twice: retried, triggered once with a job id", async (_name, respond) => {
    const item = id("flaky");
    await h.failedJobs("writes", [rowFor(item), rowFor(id("steady"))]);
    h.emulator.fault({ kind: trigger, itemId: item, times: 2, respond });
    const { report } = await h.run();

    expect(requestsOf(trigger).filter((r) => r.itemId?.toLowerCase() === item.toLowerCase())).toHaveLength(3);
    expect(reportOf(report.actions, item)).toMatchObject({ outcome: "triggered", jobId: expect.any(String) });
    expect(report.totals).toMatchObject({ triggered: 2, failed: 0 });
    expect(exitCodeOf(report)).toBe(0);
    expectOneBackupEach([item, id("steady")]);
  });

  it("accepted, then the connection is cut halfway through the answer: the retry meets the running backup, not failed, one backup", async () => {
    const item = id("cut");
    await h.failedJobs("writes", [rowFor(item)]);
    h.emulator.fault({ kind: trigger, times: 1, respond: { resetMidBody: true } });
    const { report } = await h.run();

    const sent = requestsOf(trigger);
    expect(sent.map((r) => [r.status, r.cut === true])).toEqual([[202, true], [409, false]]);
    // A Backup vault answers its running backup with its concurrency limit: the item waits (postponed).
    expect(report.actions[0]).toMatchObject({ outcome: trigger === "rs.trigger" ? "alreadyInProgress" : "postponed", error: { status: 409 } });
    expect(exitCodeOf(report)).toBe(0);
    expectOneBackupEach([item]);
  });

  it.each<[string, Record<string, string>]>([
    ["an hour in seconds", { "retry-after": "3600" }],
    ["an hour as an HTTP date", { "retry-after": new Date(Date.now() + 3_600_000).toUTCString() }],
    ["an hour in retry-after-ms", { "retry-after-ms": "3600000" }],
  ])("429 asking to wait %s: not waited; failed with a reason that says so; the others trigger", async (_name, headers) => {
    const item = id("hour");
    await h.failedJobs("writes", [rowFor(item), rowFor(id("fine"))]);
    h.emulator.fault({ kind: trigger, itemId: item, respond: { status: 429, headers } });
    const { report } = await h.run();

    expect(requestsOf(trigger).filter((r) => r.itemId?.toLowerCase() === item.toLowerCase())).toHaveLength(1);
    const action = reportOf(report.actions, item);
    expect(action).toMatchObject({ outcome: "failed", error: { status: 429 } });
    expect(action?.error?.message).toMatch(/asked to wait 3[56]\d\d s, over the 2 s cap on a single wait; not waited, the next run will retry it/);
    expect(reportOf(report.actions, id("fine"))?.outcome).toBe("triggered");
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });

  it("a 500/503 burst over 20 items: each item ends triggered once, or failed after its whole retry budget; none twice", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => id(`burst-${i}`));
    await h.failedJobs("writes", ids.map(rowFor));
    h.emulator.fault({ kind: trigger, times: 8, respond: { status: 503 } });
    h.emulator.fault({ kind: trigger, times: 8, respond: { status: 500 } });
    const { report } = await h.run({ env: { RETRY_CONCURRENCY: "4" } });

    expect(requestsOf(trigger).filter((r) => r.status >= 500)).toHaveLength(16);
    const accepted = acceptedTriggers(h.emulator);
    for (const itemId of ids) {
      const attempts = requestsOf(trigger).filter((r) => r.itemId?.toLowerCase() === itemId.toLowerCase());
      const action = reportOf(report.actions, itemId);
      if (action?.outcome === "triggered") {
        expect(accepted.get(itemId.toLowerCase())).toBe(1);
      } else {
        expect(action).toMatchObject({ outcome: "failed", error: { status: attempts.at(-1)!.status } });
        expect(attempts.map((r) => r.status >= 500)).toEqual(Array(FAST_RETRY.maxRetries + 1).fill(true));
        expect(accepted.has(itemId.toLowerCase())).toBe(false);
      }
    }
    expect(report.totals.triggered).toBeGreaterThanOrEqual(20 - Math.floor(16 / (FAST_RETRY.maxRetries + 1)));
    expect(report.totals.triggered + report.totals.failed).toBe(20);
    expectAccounted(report);
  });

  it("a 202 with Retry-After of an hour on every answer: waits as asked up to the operation timeout, then reports the backup triggered without a job id", async () => {
    // ARM asks clients to follow Retry-After; polling sooner would only spend reads. The timeout bounds the wait.
    h.emulator.configure({ retryAfterSeconds: 3600, pollsBeforeDone: 2 });
    await h.failedJobs("writes", [rowFor(id("patient"))]);
    const { report } = await h.run({ operation: { maxPolls: 5, maxPollIntervalMs: 10, timeoutMs: 300 } });
    expect(report.actions[0]).toMatchObject({ outcome: "triggered", reason: expect.stringMatching(/still running/) });
    expect(report.actions[0]?.jobId).toBeUndefined();
    expect(requestsOf(status).length).toBe(1);
  });

  it("an operation that never finishes is given up at the time bound: triggered, no job id, the reason says where to look", async () => {
    await h.failedJobs("writes", [rowFor(id("forever"))]);
    h.emulator.fault({ kind: trigger, respond: { neverFinishes: true } });
    const { report } = await h.run({ operation: { maxPolls: 1_000, maxPollIntervalMs: 20, timeoutMs: 300 } });

    expect(requestsOf(status).length).toBeLessThan(1_000);
    expect(report.actions[0]).toMatchObject({ outcome: "triggered" });
    expect(report.actions[0]?.jobId).toBeUndefined();
    expect(report.actions[0]?.reason).toMatch(/still running after \d+ polls \(\d+ s\); find the job in the vault's backup jobs/);
    expect(exitCodeOf(report)).toBe(0);
  });

  it.each([
    ["a conflict code", "UserErrorBackupOperationInProgress", "Another backup operation is currently in progress", "alreadyInProgress"],
    ["a permanent code", "UserErrorGuestAgentStatusUnavailable", "VM agent unable to communicate with Azure Backup", "failed"],
  ] as const)("an operation that ends Failed with %s (%s: %s) is reported %s", async (_name, code, message, outcome) => {
    await h.failedJobs("writes", [rowFor(id("ends-failed"))]);
    h.emulator.fault({ kind: status, respond: { status: 200, body: { id: "op", name: "op", status: "Failed", error: { code, message } } } });
    const { report } = await h.run();

    expect(report.actions[0]).toMatchObject({ outcome, error: { code, message } });
    expect(exitCodeOf(report)).toBe(outcome === "failed" ? 1 : 0);
    expectOneBackupEach([id("ends-failed")]);
  });

  it("operation polls answered 500 and reset are retried and still reach the job id", async () => {
    h.emulator.configure({ pollsBeforeDone: 2 });
    await h.failedJobs("writes", [rowFor(id("bumpy"))]);
    h.emulator.fault({ kind: status, times: 1, respond: { status: 500 } });
    h.emulator.fault({ kind: status, times: 1, respond: { reset: true } });
    const { report } = await h.run();
    expect(report.actions[0]).toMatchObject({ outcome: "triggered", jobId: expect.any(String) });
    expect(requestsOf(status).map((r) => r.status).slice(0, 2)).toEqual([500, 0]);
  });

  it("operation polls that keep failing: the backup stays triggered (it was accepted) with the reason, and nothing is sent twice", async () => {
    await h.failedJobs("writes", [rowFor(id("unreadable"))]);
    h.emulator.fault({ kind: status, respond: { status: 500 } });
    const { report } = await h.run();
    expect(report.actions[0]).toMatchObject({ outcome: "triggered" });
    expect(report.actions[0]?.reason).toMatch(/the backup was accepted, but following its operation failed: InternalServerError/);
    expect(requestsOf(status)).toHaveLength(FAST_RETRY.maxRetries + 1);
    expectOneBackupEach([id("unreadable")]);
    expect(requestsOf(trigger)).toHaveLength(1);
  });
});

describe("accepted but not followable", () => {
  it("a 202 without async-operation headers, on both kinds: triggered with a reason, nothing polled, exit 0", async () => {
    const ids = KINDS.map((k) => k.id("bare"));
    await h.failedJobs("writes", ids.map(rowFor));
    h.emulator.fault({ kind: "rs.trigger", respond: { noAsyncHeaders: true } });
    h.emulator.fault({ kind: "dp.trigger", respond: { noAsyncHeaders: true } });
    const { report } = await h.run();

    expect(h.emulator.requests.filter((r) => /operation(Status|Result)/.test(r.kind))).toEqual([]);
    for (const action of report.actions) {
      expect(action).toMatchObject({ outcome: "triggered" });
      expect(action.reason).toMatch(/neither Azure-AsyncOperation nor Location/);
    }
    expect(exitCodeOf(report)).toBe(0);
    expect(h.emulator.requests.filter(isTrigger)).toHaveLength(2);
  });
});
