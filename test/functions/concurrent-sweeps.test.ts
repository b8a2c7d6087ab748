// Two sweeps at once. In one process the lock lets exactly one run, however many requests and timer ticks arrive in the
// same instant. Across processes (two instances, no shared lock) the Backup service refuses a second backup of an item
// while one runs, so each item still gets exactly one backup and the other run reports alreadyInProgress.
import { randomUUID } from "node:crypto";
import { HttpRequest, HttpResponse, InvocationContext, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { httpHandler } from "../../src/functions/http.ts";
import type { FunctionDeps } from "../../src/functions/run.ts";
import { timerHandler } from "../../src/functions/timer.ts";
import type { Report } from "../../src/core/index.ts";
import { FAST_OPERATION, FAST_RETRY, items, failedJob, useHarness, SUBS } from "../support/harness.ts";
import { acceptedTriggers, expectAccounted } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 1, latencyMs: 0 });
});

const deps = (): FunctionDeps => ({
  env: { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, RETRY_SCHEDULE: "0 15 * * * *", LOG_LEVEL: "info" },
  tlsCa: h.emulator.ca,
  retry: FAST_RETRY,
  operation: FAST_OPERATION,
});
const context = (functionName: string) => new InvocationContext({ invocationId: randomUUID(), functionName, logHandler: () => undefined });
const post = () => new HttpRequest({ method: "POST", url: "http://localhost/api/sweep", headers: { "content-type": "application/json" }, body: { string: "{}" } });
const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

async function seed(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? items.vm(SUBS.a, `race-${i}`) : items.dp(SUBS.b, `race-disk-${i}`)));
  await h.failedJobs("race", ids.map((id) => (id.includes("DataProtection") ? failedJob(SUBS.b, id, { ruleName: "BackupHourly", retentionTag: "Default" }) : failedJob(SUBS.a, id))));
  return ids;
}

describe("two sweeps at once in one process", () => {
  it("eight HTTP requests and three timer ticks in the same instant: one sweep runs, the rest are refused, each item triggered once", async () => {
    const ids = await seed(6);
    // The winning sweep lasts hundreds of ms, far longer than any request takes to reach the lock.
    h.emulator.configure({ latencyMs: 100 });
    const requests = Array.from({ length: 8 }, () => httpHandler(post(), context("sweep"), deps()).then((r) => new HttpResponse(r)));
    const ticks = Array.from({ length: 3 }, () => timerHandler(timer, context("retryFailedBackups"), deps()));
    const [responses] = await Promise.all([Promise.all(requests), Promise.all(ticks)]);

    const statuses = responses.map((r) => r.status).sort();
    const ran = responses.filter((r) => r.status === 200);
    // Either one HTTP request won the lock, or a timer tick did and every request was refused.
    expect(ran.length).toBeLessThanOrEqual(1);
    expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
    expect(h.emulator.requests.filter((r) => r.kind === "arg")).toHaveLength(1);
    const accepted = acceptedTriggers(h.emulator);
    expect([...accepted.keys()].sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    if (ran.length === 1) expectAccounted((await ran[0]!.json()) as Report);
  });
});

describe("two sweeps at once in two processes (no shared lock)", () => {
  it("each item gets one backup: what one run triggers, the other reports in progress or postponed", async () => {
    const ids = await seed(8);
    // Backups run for minutes: neither run sees one finish, whichever of them reaches an item second.
    h.emulator.configure({ pollsBeforeDone: 1_000, latencyMs: 10 });
    const [first, second] = await Promise.all([h.run(), h.run()]);

    const accepted = acceptedTriggers(h.emulator);
    expect([...accepted.keys()].sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    for (const id of ids) {
      const outcomes = [first.report, second.report].map((r) => r.actions.find((a) => a.itemId.toLowerCase() === id.toLowerCase())?.outcome).sort();
      // The Backup vault answers a running backup with its concurrency limit: the item waits (postponed).
      expect(outcomes, id).toEqual([id.includes("DataProtection") ? "postponed" : "alreadyInProgress", "triggered"]);
    }
    expect(first.report.totals.failed + second.report.totals.failed).toBe(0);
    expectAccounted(first.report);
    expectAccounted(second.report);
  });
});
