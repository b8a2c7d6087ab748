// Random estates through the command line (in this process, against the local ARM): random items over three
// subscriptions and both vault kinds, duplicate rows, invalid and hostile rows, one or two query files, random caps,
// busy items, a read-only subscription, and random faults on random requests. After every run:
//   - the accounting rule holds, and each successful query's rows are all accounted for;
//   - no item got two accepted backups;
//   - no request left the allowed id shapes, and only generated valid items were ever named on the wire;
//   - the exit code matches the report.
// Faults are the kinds the command line meets without long production back-offs (those have their own tests).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { FaultResponse, FaultRule, RequestKind } from "../../emulator/index.ts";
import type { Report } from "../../src/core/index.ts";
import { items, failedJob, SUBS, useHarness, type FailedJob } from "../support/harness.ts";
import { runCli, trustEmulator } from "../support/cli-in-process.ts";
import { acceptedTriggers, expectAccounted, expectedExitCode, outsideAllowedShapes } from "../support/wire.ts";

const h = useHarness();
beforeAll(() => trustEmulator(h.emulator));

const SUB_LIST = [SUBS.a, SUBS.b, SUBS.c] as const;
const ITEM_KINDS = ["vm", "sql", "hana", "files", "dp"] as const;

const itemArb = fc.record({ kind: fc.constantFrom(...ITEM_KINDS), sub: fc.nat({ max: 2 }), name: fc.nat({ max: 4 }) }).map(({ kind, sub, name }) => {
  const subscription = SUB_LIST[sub]!;
  const id = kind === "dp" ? items.dp(subscription, `disk-${name}-0000`) : items[kind](subscription, `${kind}-${name}`);
  return { id, sub: subscription, dp: kind === "dp" };
});

/** Rows that must end up invalid, never on the wire. */
const invalidRowArb = fc.constantFrom<(sub: string) => FailedJob>(
  (sub) => failedJob(sub, `https://evil.example${items.vm(sub, "evil")}`),
  (sub) => failedJob(sub, items.vm(sub, "dots").replace("/protectedItems/", "/../protectedItems/")),
  (sub) => failedJob(sub, `${items.vm(sub, "query")}?x=1`),
  (sub) => failedJob(sub, items.vm(sub, "enc").replace("/protectedItems/", "%2FprotectedItems/")),
  (sub) => failedJob(sub, items.vm(sub, "cyr").replace("Microsoft", "Micr\u043esoft")),
  (sub) => failedJob(sub, items.vm(sub === SUBS.a ? SUBS.b : SUBS.a, "mismatch")),
  (sub) => failedJob(sub, "42"),
  (sub) => ({ ...failedJob(sub, items.vm(sub, "nosub")), subscriptionId: "" }),
  (sub) => failedJob(sub, `${items.vm(sub, "long")}${"x".repeat(4096)}`),
);

const responses: FaultResponse[] = [
  { status: 429, headers: { "retry-after": "0" } },
  { status: 503, headers: { "retry-after": "0" } },
  { status: 403 },
  { status: 404 },
  { status: 400, body: { error: { code: "BMSUserErrorInvalidInput", message: "invalid input" } } },
  { status: 409, body: { error: { code: "UserErrorBackupOperationInProgress", message: "Unable to initiate backup as another backup operation is currently in progress" } } },
  { noAsyncHeaders: true },
];
const statusFailures: FaultResponse[] = [
  { status: 200, body: { status: "Failed", error: { code: "UserErrorBackupOperationInProgress", message: "another backup operation is in progress" } } },
  { status: 200, body: { status: "Failed", error: { code: "UserErrorGuestAgentStatusUnavailable", message: "VM agent unable to communicate" } } },
  { status: 429, headers: { "retry-after": "0" } },
];
const argResponses: FaultResponse[] = [
  { status: 429, headers: { "x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:00" } },
  { status: 503, headers: { "retry-after": "0" } },
  { status: 400 },
  { status: 403 },
];

const faultArb: fc.Arbitrary<FaultRule> = fc.oneof(
  fc.record({ kind: fc.constantFrom<RequestKind>("rs.trigger", "dp.trigger", "dp.instance", "dp.policy"), respond: fc.constantFrom(...responses) }),
  fc.record({ kind: fc.constantFrom<RequestKind>("rs.operationStatus", "dp.operationStatus"), respond: fc.constantFrom(...statusFailures) }),
  fc.record({ kind: fc.constant<RequestKind>("arg"), respond: fc.constantFrom(...argResponses) }),
).chain((rule) => fc.record({ times: fc.integer({ min: 1, max: 3 }), skip: fc.nat({ max: 3 }) }).map((n) => ({ ...rule, ...n })));

const estateArb = fc.record({
  items: fc.uniqueArray(itemArb, { minLength: 1, maxLength: 10, selector: (i) => i.id.toLowerCase() }),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 10, maxLength: 10 }),
  ruleInRow: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
  invalid: fc.array(fc.tuple(invalidRowArb, fc.nat({ max: 2 })), { maxLength: 4 }),
  split: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  faults: fc.array(faultArb, { maxLength: 4 }),
  busy: fc.array(fc.nat({ max: 3 }).map((n) => n === 0), { minLength: 10, maxLength: 10 }),
  readOnlyC: fc.boolean(),
  maxPerRun: fc.integer({ min: 1, max: 20 }),
  concurrency: fc.integer({ min: 1, max: 4 }),
});
type Estate = typeof estateArb extends fc.Arbitrary<infer T> ? T : never;

async function seed(estate: Estate): Promise<{ rowsPerQuery: Map<string, number>; valid: Set<string> }> {
  await h.reset();
  h.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 0, argQuota: { perWindow: 15, windowMs: 5_000 } });
  const rows: FailedJob[] = [];
  estate.items.forEach((item, i) => {
    for (let copy = 0; copy < (estate.copies[i] ?? 1); copy += 1) {
      // Duplicates come in any case: ids compare case-insensitively.
      const itemId = copy === 1 ? item.id.toLowerCase() : copy === 2 ? item.id.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/") : item.id;
      rows.push(item.dp && estate.ruleInRow[i] ? failedJob(item.sub, itemId, { ruleName: "BackupHourly", retentionTag: "Default" }) : failedJob(item.sub, itemId));
    }
  });
  for (const [make, sub] of estate.invalid) rows.push(make(SUB_LIST[sub]!));
  const queries: Record<string, FailedJob[]> = { "rule-a": [], "rule-b": [] };
  rows.forEach((r, i) => queries[estate.split[i % estate.split.length] ? "rule-b" : "rule-a"]!.push(r));
  const rowsPerQuery = new Map<string, number>();
  for (const [name, list] of Object.entries(queries)) {
    if (list.length === 0) continue;
    await h.failedJobs(name, list);
    rowsPerQuery.set(name, list.length);
  }
  h.emulator.addItems(estate.items.map((i) => ({ itemId: i.id })));
  estate.items.forEach((item, i) => {
    if (estate.busy[i]) h.emulator.setConflict(item.id, { on: i % 2 === 0 ? "trigger" : "operation" });
  });
  if (estate.readOnlyC) h.emulator.denySubscription(SUBS.c, "write");
  for (const fault of estate.faults) h.emulator.fault(fault);
  return { rowsPerQuery, valid: new Set(estate.items.map((i) => i.id.toLowerCase())) };
}

describe("random estates with random faults", () => {
  it("keep the accounting rule, never trigger an item twice, stay inside the allowed id shapes, and exit as the report says", async () => {
    await fc.assert(
      fc.asyncProperty(estateArb, async (estate) => {
        const { rowsPerQuery, valid } = await seed(estate);
        const env = {
          AZURE_RESOURCE_MANAGER_ENDPOINT: h.emulator.url,
          RETRY_QUERIES_DIR: h.queriesDir,
          RETRY_MAX_PER_RUN: String(estate.maxPerRun),
          RETRY_CONCURRENCY: String(estate.concurrency),
          LOG_LEVEL: "warn",
        };
        const { code, stdout } = await runCli(["sweep", "--json"], env);
        const report = JSON.parse(stdout) as Report;

        expectAccounted(report);
        for (const query of report.queries) {
          if (query.error === undefined) expect(query.rows, query.name).toBe(rowsPerQuery.get(query.name));
        }
        for (const [itemId, count] of acceptedTriggers(h.emulator)) expect(count, itemId).toBe(1);
        expect(outsideAllowedShapes(h.emulator.requests)).toEqual([]);
        for (const request of h.emulator.requests) {
          if (request.itemId !== undefined) expect(valid.has(request.itemId.toLowerCase()), request.itemId).toBe(true);
        }
        expect(report.actions.every((a) => valid.has(a.itemId.toLowerCase()))).toBe(true);
        expect(report.totals.triggered + report.totals.alreadyInProgress + report.totals.postponed + report.totals.failed + report.totals.deferred + report.totals.exhausted).toBe(report.actions.length);
        expect(code).toBe(expectedExitCode(report));
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 60_000);
});
