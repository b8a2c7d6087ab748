// Resource Graph misbehaving under a whole sweep: bad queries, partial 403s, throttling, 5xx mid-paging, looping
// skip tokens, 16 MB pages, and rows that break the contract. Nothing read from a query that failed is acted on.
import { describe, expect, it } from "vitest";
import type { FaultResponse } from "../../emulator/index.ts";
import { connectArm, createResourceGraphClient } from "../../src/azure/index.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { FAST_RETRY, items, failedJob, useHarness, SUBS } from "../support/harness.ts";
import { acceptedTriggers, expectAccounted, isTrigger, outsideAllowedShapes } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ argQuota: { perWindow: 15, windowMs: 5_000 }, latencyMs: 0, argPageSize: 1000 });
});

const argRequests = () => h.emulator.requests.filter((r) => r.kind === "arg");
const skipTokenOf = (body: unknown) => (body as { options?: { $skipToken?: string } }).options?.$skipToken;
const vms = (prefix: string, count: number, sub: string = SUBS.a) => Array.from({ length: count }, (_, i) => items.vm(sub, `${prefix}-${i}`));

describe("a bad query (400)", () => {
  it("fails that query under its own name with ARG's code, line and position; the others act", async () => {
    await h.failedJobs("broken-rule", [failedJob(SUBS.a, items.vm(SUBS.a, "never"))]);
    // Kusto that does not parse: Resource Graph refuses it with its own code, line and position.
    await h.rule("broken-rule", "RecoveryServicesResources | where (type =~ 'x' | project id, subscriptionId, itemId = id");
    await h.failedJobs("good-rule", [failedJob(SUBS.a, items.vm(SUBS.a, "arg-good"))]);
    const { report, logs } = await h.run();

    const failed = report.queries.find((q) => q.name === "broken-rule");
    expect(failed).toMatchObject({ rows: 0, pages: 0, error: { code: "BadRequest", status: 400 } });
    expect(failed?.error?.message).toMatch(/InvalidQuery: Query is invalid: .* at line 1, position \d+/);
    const event = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === "query.failed");
    expect(event).toMatchObject({ query: "broken-rule", error: { code: "BadRequest" } });
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([items.vm(SUBS.a, "arg-good").toLowerCase()]);
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });
});

describe("403 on part of the scope", () => {
  it("a second batch of 300 subscriptions answering 403 fails the whole query: the first batch's rows are not acted on", async () => {
    const subscriptions = Array.from({ length: 301 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const first = subscriptions[0]!;
    await h.failedJobs("scoped", [failedJob(first, items.vm(first, "batch-1-item"))]);
    h.emulator.fault({
      kind: "arg",
      skip: 1,
      respond: { status: 403, body: { error: { code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '/subscriptions/00000000-0000-4000-8000-000000000300'." } } },
    });
    const { report } = await h.run({ env: { RETRY_SUBSCRIPTIONS: subscriptions.join(",") } });

    expect(argRequests().map((r) => (r.body as { subscriptions: string[] }).subscriptions.length)).toEqual([300, 1]);
    expect(report.queries[0]).toMatchObject({ name: "scoped", rows: 0, pages: 1, error: { code: "AuthorizationFailed", status: 403 } });
    expect(report.queries[0]?.error?.message).toMatch(/after 1 page\(s\) and 1 row\(s\) were read; none of this query's rows were acted on/);
    expect(h.emulator.requests.filter(isTrigger)).toEqual([]);
    expect(report.actions).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });

  it("a subscription the identity cannot read at all is trimmed by ARG; the readable ones act", async () => {
    h.emulator.denySubscription(SUBS.b, "all");
    await h.failedJobs("mixed", [failedJob(SUBS.a, items.vm(SUBS.a, "readable")), failedJob(SUBS.b, items.vm(SUBS.b, "hidden"))]);
    const { report } = await h.run();
    expect(report.queries[0]).toEqual({ name: "mixed", rows: 1, pages: 1 });
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([items.vm(SUBS.a, "readable").toLowerCase()]);
    expect(h.emulator.requests.some((r) => r.subscriptionId === SUBS.b)).toBe(false);
  });
});

describe("429 with quota headers", () => {
  it("waits for the quota window to reset instead of spending its retries inside it", async () => {
    h.emulator.configure({ argQuota: { perWindow: 1, windowMs: 1_500 } });
    await h.failedJobs("throttled", [failedJob(SUBS.a, items.vm(SUBS.a, "after-quota"))]);
    // Someone else with the same identity spends the window's one query first.
    const other = createResourceGraphClient(connectArm({ credential: h.credential, endpoint: h.emulator.url, tlsCa: h.emulator.ca, retry: { maxRetries: 0 } }));
    await other.resources({ query: "Resources | project id" });
    const { report } = await h.run();

    const ours = argRequests().slice(1);
    expect(ours.map((r) => r.status)).toEqual([429, 200]);
    expect(report.queries[0]).toEqual({ name: "throttled", rows: 1, pages: 1 });
    expect(report.totals.triggered).toBe(1);
  });

  it("a 429 that keeps coming is the query's error, with ARG's code, after the retry budget", async () => {
    h.emulator.fault({ kind: "arg", respond: { status: 429, headers: { "x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:00" } } });
    await h.failedJobs("always-throttled", [failedJob(SUBS.a, items.vm(SUBS.a, "never-read"))]);
    const { report } = await h.run();
    expect(argRequests()).toHaveLength(FAST_RETRY.maxRetries + 1);
    expect(report.queries[0]?.error).toMatchObject({ code: "TooManyRequests", status: 429 });
    expect(h.emulator.requests.filter(isTrigger)).toEqual([]);
  });
});

describe("5xx on page 3 of 5", () => {
  it.each<[string, FaultResponse]>([
    ["500", { status: 500 }],
    ["503 with Retry-After", { status: 503, headers: { "retry-after": "0" } }],
    ["a connection reset", { reset: true }],
    ["a reset halfway through the page's body", { resetMidBody: true }],
  ])("%s twice is retried: every row read once, every item acted on once", async (_name, respond) => {
    const ids = vms("paged", 50);
    await h.failedJobs("paged", ids.map((id) => failedJob(SUBS.a, id)));
    h.emulator.fault({ kind: "arg", skip: 2, times: 2, respond });
    h.emulator.configure({ argPageSize: 10 });
    const { report } = await h.run({ dryRun: true });

    const tokens = argRequests().map((r) => skipTokenOf(r.body) ?? "first");
    expect(argRequests()).toHaveLength(7);
    expect(tokens[2]).toBe(tokens[3]);
    expect(tokens[3]).toBe(tokens[4]);
    expect(report.queries[0]).toEqual({ name: "paged", rows: 50, pages: 5 });
    expect(report.totals).toMatchObject({ rows: 50, actions: 50, dryRun: 50, invalid: 0 });
    expectAccounted(report);
  });

  it("a 500 that never clears makes the query an error; its first two pages are not acted on, the other query is", async () => {
    await h.failedJobs("a-paged", vms("half-read", 50).map((id) => failedJob(SUBS.a, id)));
    await h.failedJobs("b-fine", [failedJob(SUBS.b, items.vm(SUBS.b, "fine"))]);
    h.emulator.fault({ kind: "arg", skip: 2, times: FAST_RETRY.maxRetries + 1, respond: { status: 500 } });
    h.emulator.configure({ argPageSize: 10 });
    const { report, logs } = await h.run();

    const paged = report.queries.find((q) => q.name === "a-paged");
    expect(paged).toMatchObject({ rows: 0, pages: 2, error: { code: "InternalServerError", status: 500 } });
    expect(paged?.error?.message).toMatch(/after 2 page\(s\) and 20 row\(s\) were read; none of this query's rows were acted on/);
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([items.vm(SUBS.b, "fine").toLowerCase()]);
    expect(logs.some((l) => l.includes('"event":"query.failed"') && l.includes('"pages":2'))).toBe(true);
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });
});

describe("a page that repeats its skipToken", () => {
  it("stops paging at the repeat (no endless loop), fails the query and acts on none of its rows", async () => {
    await h.failedJobs("looping", vms("loop", 30).map((id) => failedJob(SUBS.a, id)));
    h.emulator.fault({ kind: "arg", skip: 1, respond: { argRepeatToken: true } });
    h.emulator.configure({ argPageSize: 10 });
    const { report } = await h.run();

    // Page 1 names token T; page 2 (asked with T) names T again: two requests, then the query stops.
    expect(argRequests()).toHaveLength(2);
    expect(skipTokenOf(argRequests()[1]!.body)).toBeDefined();
    expect(report.queries[0]).toMatchObject({ rows: 0, pages: 2, error: { code: "RepeatedSkipToken" } });
    expect(report.queries[0]?.error?.message).toMatch(/after 2 page\(s\) and 20 row\(s\) were read/);
    expect(h.emulator.requests.filter(isTrigger)).toEqual([]);
    expectAccounted(report);
  });
});

describe("16 MB pages", () => {
  it("reads a page of 1,000 rows of 16 KB each and accounts for every row", async () => {
    const blob = "x".repeat(16 * 1024);
    const batch = await h.failedJobs("huge-page", vms("huge", 1000).map((id) => failedJob(SUBS.a, id, { errorMessage: blob })));
    await h.rule("huge-page", `RecoveryServicesResources | where name startswith "${batch}-" | project id, subscriptionId, itemId = tostring(properties.backupInstanceId), details = tostring(properties.errorDetails[0].errorString)`);
    const { report } = await h.run({ dryRun: true, maxBackups: 100_000, env: { RETRY_MAX_PER_SUBSCRIPTION: "100000", LOG_LEVEL: "info" } });

    expect(argRequests()).toHaveLength(1);
    expect(report.queries[0]).toEqual({ name: "huge-page", rows: 1000, pages: 1 });
    expect(report.totals).toMatchObject({ rows: 1000, dryRun: 1000, invalid: 0 });
    expect(report.actions[0]?.sourceRows[0]?.columns).toEqual({ details: blob });
    expectAccounted(report);
  });
});

/** A row of the row contract for the item, as a page of Resource Graph's would carry it. */
let contractRows = 0;
function contractRow(itemId: string): Record<string, unknown> {
  contractRows += 1;
  return { id: `${itemId.split("/").slice(0, 9).join("/")}/backupJobs/00000000-0000-4000-8000-${String(contractRows).padStart(12, "0")}`, subscriptionId: SUBS.a, itemId, failedAt: "2026-11-21T00:00:00Z", errorCode: "BackUpOperationFailedV2" };
}

describe("rows with nulls and wrong types", () => {
  it("reports each broken row invalid with the column at fault, accepts nulls in optional columns, and acts on the rest", async () => {
    const good = items.vm(SUBS.a, "typed-ok");
    const nullsOk = items.dp(SUBS.a, "typed-nulls-ok");
    const broken: [unknown, RegExp][] = [
      [null, /^row is not an object with columns$/],
      [42, /^row is not an object with columns$/],
      ["a string row", /^row is not an object with columns$/],
      [[SUBS.a, good], /^row is not an object with columns$/],
      [{ ...contractRow(good), itemId: null }, /^itemId: /],
      [{ ...contractRow(good), itemId: 12345 }, /^itemId: /],
      [{ ...contractRow(good), itemId: { id: good } }, /^itemId: /],
      [{ ...contractRow(good), subscriptionId: null }, /^subscriptionId: /],
      [{ ...contractRow(good), subscriptionId: 7 }, /^subscriptionId: /],
      [{ ...contractRow(good), id: undefined }, /^id: /],
      [{ ...contractRow(good), id: "" }, /^id: /],
      [{ ...contractRow(good), failedAt: "yesterday" }, /^failedAt: /],
      [{ ...contractRow(good), failedAt: 1_700_000_000 }, /^failedAt: /],
      [{ ...contractRow(good), expiryDays: "ten" }, /^expiryDays: /],
      [{ ...contractRow(good), expiryDays: -1 }, /^expiryDays: /],
      [{ ...contractRow(good), expiryDays: 1e9 }, /^expiryDays: /],
      [{ ...contractRow(good), backupType: "Everything" }, /^backupType: /],
      [{ ...contractRow(good), exhausted: "maybe" }, /^exhausted: /],
      [{ ...contractRow(good), attempts: -3 }, /^attempts: /],
      [{ ...contractRow(good), ruleName: ["BackupHourly"] }, /^ruleName: /],
    ];
    const nullable = { ...contractRow(nullsOk), failedAt: null, errorCode: null, expiryDays: null, backupType: null, ruleName: null, retentionTag: null, exhausted: null, attempts: null, dataSourceType: null };
    // No rule can return these from Resource Graph: a misbehaving service (or proxy) answers the page instead.
    await h.failedJobs("typed", [failedJob(SUBS.a, good), failedJob(SUBS.a, nullsOk)]);
    const data = [contractRow(good), nullable, ...broken.map(([r]) => r)];
    h.emulator.fault({ kind: "arg", times: 1, respond: { status: 200, body: { totalRecords: data.length, count: data.length, resultTruncated: "false", facets: [], data } } });
    const { report } = await h.run();

    expect(report.totals).toMatchObject({ rows: broken.length + 2, invalid: broken.length, triggered: 2 });
    broken.forEach(([, reason], i) => expect(report.invalid[i]?.reason, `row ${i}`).toMatch(reason));
    expect(report.invalid.every((r) => r.query === "typed" && r.reason.length > 0)).toBe(true);
    expect([...acceptedTriggers(h.emulator).keys()].sort()).toEqual([good, nullsOk].map((id) => id.toLowerCase()).sort());
    expect(outsideAllowedShapes(h.emulator.requests)).toEqual([]);
    expectAccounted(report);
  });

  it("turns a table-format page into rows, nulls and all, and fails a page whose data is neither", async () => {
    const id = items.vm(SUBS.a, "from-table");
    const table = {
      totalRecords: 2, count: 2, resultTruncated: "false", facets: [],
      data: {
        columns: [{ name: "id", type: "string" }, { name: "subscriptionId", type: "string" }, { name: "itemId", type: "string" }, { name: "failedAt", type: "datetime" }],
        rows: [[`/subscriptions/${SUBS.a}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/table-1`, SUBS.a, id, null], [null, null, null, null]],
      },
    };
    await h.failedJobs("a-table", [failedJob(SUBS.a, id)]);
    await h.failedJobs("b-nonsense", [failedJob(SUBS.a, items.vm(SUBS.a, "never-read"))]);
    h.emulator.addItems([{ itemId: id }]);
    h.emulator.fault({ kind: "arg", times: 1, respond: { status: 200, body: table } });
    h.emulator.fault({ kind: "arg", times: 1, respond: { status: 200, body: { totalRecords: 1, count: 1, resultTruncated: "false", data: "rows" } } });
    const { report } = await h.run();

    expect(report.queries.find((q) => q.name === "a-table")).toEqual({ name: "a-table", rows: 2, pages: 1 });
    expect(report.queries.find((q) => q.name === "b-nonsense")?.error).toMatchObject({ code: "UnexpectedResponse" });
    expect(report.totals).toMatchObject({ rows: 2, invalid: 1, triggered: 1 });
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([id.toLowerCase()]);
    expectAccounted(report);
  });
});
