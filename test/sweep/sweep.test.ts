// The sweep end to end: query files -> Resource Graph -> plan -> on-demand backups -> report,
// through the real SDK clients and the real managed-identity flow against the local ARM.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Report } from "../../src/core/index.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { batchRule, useHarness, items, failedJob, SUBS } from "../support/harness.ts";
import { expectAccounted, expectNoSecrets } from "../support/wire.ts";

const h = useHarness();

const writes = () => h.emulator.requests.filter((r) => r.method === "POST" && r.kind !== "arg");
const byOutcome = (report: Report) => Object.fromEntries(report.actions.map((a) => [a.itemId.split("/").pop(), a.outcome]));

describe("Resource Graph", () => {
  it("reads every page of a 2,600-row result through skipToken and accounts for each row", async () => {
    const rows = Array.from({ length: 2600 }, (_, i) => failedJob([SUBS.a, SUBS.b, SUBS.c][i % 3]!, items.vm([SUBS.a, SUBS.b, SUBS.c][i % 3]!, `vm-${i}`)));
    await h.failedJobs("big", rows);
    const { report } = await h.run({ dryRun: true, maxBackups: 100_000, env: { RETRY_MAX_PER_SUBSCRIPTION: "100000" } });
    const arg = h.emulator.requests.filter((r) => r.kind === "arg");
    expect(arg).toHaveLength(3);
    expect(arg.map((r) => (r.body as { options?: { $skipToken?: string } }).options?.$skipToken === undefined)).toEqual([true, false, false]);
    expect(arg.every((r) => (r.body as { options: { $top: number } }).options.$top === 1000)).toBe(true);
    expect(report.queries).toEqual([{ name: "big", rows: 2600, pages: 3 }]);
    expect(report.totals).toMatchObject({ rows: 2600, actions: 2600, dryRun: 2600, invalid: 0 });
    expect(writes()).toHaveLength(0);
    expectAccounted(report);
  });

  it("sends an explicit subscription list in batches of at most 300", async () => {
    const subscriptions = Array.from({ length: 650 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    await h.failedJobs("scoped", []);
    await h.run({ env: { RETRY_SUBSCRIPTIONS: subscriptions.join(",") } });
    const batches = h.emulator.requests.filter((r) => r.kind === "arg").map((r) => (r.body as { subscriptions: string[] }).subscriptions.length);
    expect(batches).toEqual([300, 300, 50]);
  });

  it("treats a truncated result without a skipToken as an error on that query, and the other query still acts", async () => {
    const truncatedMarker = await h.failedJobs("truncated", [failedJob(SUBS.a, items.vm(SUBS.a, "t1"))]);
    await h.failedJobs("fine", [failedJob(SUBS.a, items.vm(SUBS.a, "f1"))]);
    // Queries run in name order: "fine" first, then "truncated".
    h.emulator.fault({ kind: "arg", respond: { argTruncated: true }, skip: 1, times: 1 });
    const { report } = await h.run();
    const truncated = report.queries.find((q) => q.name === "truncated");
    expect(truncated?.error?.code).toBe("ResultTruncated");
    expect(truncated?.rows).toBe(0);
    expect(report.queries.find((q) => q.name === "fine")).toMatchObject({ rows: 1 });
    expect(report.totals.triggered).toBe(1);
    expect(exitCodeOf(report)).toBe(1);
    expect(h.emulator.requests.filter((r) => r.kind === "arg").map((r) => (r.body as { query: string }).query)[1]).toContain(truncatedMarker);
    expectAccounted(report);
  });

  it("shows Resource Graph's refusal of an operator it does not run on that query, and runs the others", async () => {
    await h.rule("renames", "RecoveryServicesResources\n| project-rename jobId = id\n| project id = jobId, subscriptionId, itemId = tostring(properties.backupInstanceId)\n");
    await h.failedJobs("good", [failedJob(SUBS.b, items.vm(SUBS.b, "g2"))]);
    const { report } = await h.run();
    const refused = report.queries.find((q) => q.name === "renames");
    expect(refused?.error).toMatchObject({ code: "BadRequest", status: 400 });
    expect(refused?.error?.message).toMatch(/InvalidQuery: .*project-rename/);
    expect(report.totals.triggered).toBe(1);
  });

  it("surfaces ARG's own message for a bad query by name and runs the others", async () => {
    await h.rule("bad-kql", "RecoveryServicesResources\n| where (type =~ 'x'\n| project id, subscriptionId, itemId = id\n");
    await h.failedJobs("good", [failedJob(SUBS.b, items.vm(SUBS.b, "g1"))]);
    const { report, logs } = await h.run();
    const failed = report.queries.find((q) => q.name === "bad-kql");
    expect(failed?.error?.status).toBe(400);
    expect(failed?.error?.message).toMatch(/Query is invalid|ParserFailure/);
    expect(report.totals.triggered).toBe(1);
    expect(logs.some((l) => l.includes('"event":"query.failed"') && l.includes("bad-kql"))).toBe(true);
  });
});

describe("rules as sent", () => {
  it("writes the tunables in and sends no let; a rule that cannot be sent is reported at its line and never sent", async () => {
    await writeFile(
      path.join(h.queriesDir, "tuned.kql"),
      '// a rule with tunables\nlet budget = 2;   // attempts\nlet kinds = dynamic(["AzureVM"]);\nRecoveryServicesResources\n| where tostring(properties.kind) in~ (kinds) or budget > 1\n| project id, subscriptionId, itemId = tostring(properties.backupInstanceId)\n',
    );
    await writeFile(path.join(h.queriesDir, "tabular.kql"), "let jobs = RecoveryServicesResources;\njobs | project id, subscriptionId, itemId = id\n");
    const { report } = await h.run();
    const sent = h.emulator.requests.filter((r) => r.kind === "arg").map((r) => (r.body as { query: string }).query);
    expect(sent).toEqual(['RecoveryServicesResources\n| where tostring(properties.kind) in~ ("AzureVM") or 2 > 1\n| project id, subscriptionId, itemId = tostring(properties.backupInstanceId)']);
    const tabular = report.queries.find((q) => q.name === "tabular");
    expect(tabular?.error?.code).toBe("TunableNotLiteral");
    expect(tabular?.error?.message).toMatch(/tabular\.kql:1:12: `let jobs` is a reference to `RecoveryServicesResources`, not a literal tunable/);
    expect(report.queries.find((q) => q.name === "tuned")).toEqual({ name: "tuned", rows: 0, pages: 1 });
    expect(exitCodeOf(report)).toBe(1);
  });
});

describe("plan and execute", () => {
  it("merges duplicate rows of one item (ids in any case) into one backup", async () => {
    const id = items.vm(SUBS.a, "vm-dup");
    await h.failedJobs("dups", [failedJob(SUBS.a, id), failedJob(SUBS.a, id.toLowerCase()), failedJob(SUBS.a, id.replace("rsv-prod", "RSV-PROD"))]);
    const { report } = await h.run();
    expect(writes()).toHaveLength(1);
    expect(report.actions).toHaveLength(1);
    expect(report.actions[0]?.sourceRows).toHaveLength(3);
    expect(report.actions[0]?.outcome).toBe("triggered");
    expect(report.actions[0]?.jobId).toMatch(/\w/);
    expectAccounted(report);
  });

  it("sends each workload its own URL, api-version and body, with the expiry minimums", async () => {
    const batch = await h.failedJobs("every-workload", [
      failedJob(SUBS.a, items.vm(SUBS.a, "vm-web-01")),
      failedJob(SUBS.a, items.sql(SUBS.a, "sales")),
      failedJob(SUBS.a, items.sql(SUBS.a, "orders"), { backupType: "Log" }),
      failedJob(SUBS.a, items.hana(SUBS.a, "hxe")),
      failedJob(SUBS.a, items.files(SUBS.a, "finance")),
      failedJob(SUBS.a, items.dp(SUBS.a, "disk-data-01-0f1e2d3c"), { ruleName: "BackupHourly", retentionTag: "Default" }),
    ]);
    // The rule gives the file share its own expiry, as recovery-services.kql's expiryDaysByWorkload does.
    await h.rule("every-workload", `${batchRule(batch)}| extend expiryDays = iff(itemId contains "AzureFileShare;", 30, int(null))\n`);
    const before = Date.now();
    const { report } = await h.run({ env: { RETRY_EXPIRY_DAYS: "10" } });
    expect(report.totals.triggered).toBe(6);
    const posts = writes();
    const bodyOf = (fragment: string) => posts.find((p) => decodeURIComponent(p.path).includes(fragment));
    const days = (iso: unknown) => (Date.parse(String(iso)) - before) / 86_400_000;

    const vm = bodyOf("VM;iaasvmcontainerv2;rg-app;vm-web-01");
    expect(vm?.path).toContain("/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01/protectedItems/VM%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01/backup");
    expect(vm?.query["api-version"]).toBe("2023-06-01");
    expect((vm?.body as { properties: { objectType: string } }).properties.objectType).toBe("IaasVMBackupRequest");
    expect(days((vm?.body as { properties: { recoveryPointExpiryTimeInUTC: string } }).properties.recoveryPointExpiryTimeInUTC)).toBeCloseTo(10, 0);

    const sql = (bodyOf("SQLDataBase;mssqlserver;sales")?.body as { properties: Record<string, unknown> }).properties;
    expect(sql).toMatchObject({ objectType: "AzureWorkloadBackupRequest", backupType: "Full" });
    expect(days(sql.recoveryPointExpiryTimeInUTC)).toBeGreaterThanOrEqual(45 - 0.01);

    const log = (bodyOf("SQLDataBase;mssqlserver;orders")?.body as { properties: Record<string, unknown> }).properties;
    expect(log).toMatchObject({ objectType: "AzureWorkloadBackupRequest", backupType: "Log" });

    const hana = (bodyOf("SAPHanaDatabase;hxe;hxe")?.body as { properties: Record<string, unknown> }).properties;
    expect(hana).toMatchObject({ objectType: "AzureWorkloadBackupRequest", backupType: "Full" });
    expect(days(hana.recoveryPointExpiryTimeInUTC)).toBeGreaterThanOrEqual(45 - 0.01);

    const files = (bodyOf("AzureFileShare;finance")?.body as { properties: Record<string, unknown> }).properties;
    expect(files.objectType).toBe("AzureFileShareBackupRequest");
    expect(days(files.recoveryPointExpiryTimeInUTC)).toBeCloseTo(30, 0);

    const dp = bodyOf("backupInstances/disk-data-01-0f1e2d3c/backup");
    expect(dp?.body).toEqual({ backupRuleOptions: { ruleName: "BackupHourly", triggerOption: { retentionTagOverride: "Default" } } });
    expect(report.actions.find((a) => a.vaultKind === "dataProtection")).toMatchObject({ outcome: "triggered", ruleName: "BackupHourly", retentionTag: "Default" });
    for (const action of report.actions) expect(action.jobId).toMatch(/\w/);
  });

  it("takes a Backup vault's rule and tag from its policy when the row has none, one policy read for several instances", async () => {
    await h.failedJobs("dp", [failedJob(SUBS.b, items.dp(SUBS.b, "pg-01-aaaa")), failedJob(SUBS.b, items.dp(SUBS.b, "pg-02-bbbb"))]);
    const { report } = await h.run();
    expect(report.totals.triggered).toBe(2);
    expect(h.emulator.requests.filter((r) => r.kind === "dp.policy")).toHaveLength(1);
    expect(h.emulator.requests.filter((r) => r.kind === "dp.instance")).toHaveLength(2);
    for (const post of writes()) expect((post.body as { backupRuleOptions: { ruleName: string } }).backupRuleOptions.ruleName).toMatch(/\w/);
  });

  it("sends zero writes in a dry run and still reports what it would do", async () => {
    await h.failedJobs("dry", [failedJob(SUBS.a, items.vm(SUBS.a, "d1")), failedJob(SUBS.a, items.sql(SUBS.a, "d2"))]);
    const { report } = await h.run({ dryRun: true });
    expect(writes()).toHaveLength(0);
    expect(report.dryRun).toBe(true);
    expect(report.totals.dryRun).toBe(2);
    expect(report.actions.find((a) => a.workload === "SQLDatabase")).toMatchObject({ backupType: "Full", expiresAt: expect.any(String) });
  });

  it("defers over the caps, oldest failures first", async () => {
    const at = (h: number) => new Date(Date.UTC(2026, 10, 21, h)).toISOString();
    await h.failedJobs("caps", [
      failedJob(SUBS.a, items.vm(SUBS.a, "newest"), { failedAt: at(9) }),
      failedJob(SUBS.a, items.vm(SUBS.a, "oldest"), { failedAt: at(1) }),
      failedJob(SUBS.a, items.vm(SUBS.a, "middle"), { failedAt: at(5) }),
    ]);
    const { report } = await h.run({ maxBackups: 2 });
    expect(byOutcome(report)).toEqual({ "VM;iaasvmcontainerv2;rg-app;oldest": "triggered", "VM;iaasvmcontainerv2;rg-app;middle": "triggered", "VM;iaasvmcontainerv2;rg-app;newest": "deferred" });
    expect(writes()).toHaveLength(2);
    expectAccounted(report);
  });

  it("keeps going in other subscriptions when one answers 403", async () => {
    h.emulator.denySubscription(SUBS.b);
    await h.failedJobs("mixed", [failedJob(SUBS.a, items.vm(SUBS.a, "ok-1")), failedJob(SUBS.b, items.vm(SUBS.b, "denied-1")), failedJob(SUBS.c, items.dp(SUBS.c, "disk-ok-2"), { ruleName: "BackupHourly", retentionTag: "Default" })]);
    const { report } = await h.run();
    const denied = report.actions.find((a) => a.subscriptionId === SUBS.b);
    expect(denied?.outcome).toBe("failed");
    expect(denied?.error).toMatchObject({ code: "AuthorizationFailed", status: 403 });
    expect(denied?.error?.message).toMatch(/does not have authorization to perform action/);
    expect(report.totals.triggered).toBe(2);
    expect(report.subscriptions.find((s) => s.subscriptionId === SUBS.b)).toMatchObject({ failed: 1, triggered: 0 });
    expect(exitCodeOf(report)).toBe(1);
  });

  it.each([
    ["429 with Retry-After", { status: 429, headers: { "retry-after": "0" } }],
    ["429 without Retry-After", { status: 429 }],
    ["500", { status: 500 }],
    ["503", { status: 503, headers: { "retry-after": "0" } }],
    ["a connection reset", { reset: true as const }],
  ])("retries a trigger answered by %s and then succeeds", async (_name, respond) => {
    await h.failedJobs("flaky", [failedJob(SUBS.a, items.vm(SUBS.a, "flaky-1"))]);
    h.emulator.fault({ kind: "rs.trigger", times: 2, respond });
    const { report } = await h.run();
    expect(report.actions[0]).toMatchObject({ outcome: "triggered", jobId: expect.any(String) });
    expect(h.emulator.requests.filter((r) => r.kind === "rs.trigger")).toHaveLength(3);
  });

  it("fails the action with ARM's code once retries are spent", async () => {
    await h.failedJobs("down", [failedJob(SUBS.a, items.vm(SUBS.a, "down-1")), failedJob(SUBS.a, items.vm(SUBS.a, "up-1"))]);
    h.emulator.fault({ kind: "rs.trigger", pathIncludes: "down-1", respond: { status: 500, body: { error: { code: "InternalServerError", message: "Something went wrong" } } } });
    const { report } = await h.run();
    expect(report.actions.find((a) => a.itemId.endsWith("down-1"))).toMatchObject({ outcome: "failed", error: { code: "InternalServerError", status: 500 } });
    expect(report.actions.find((a) => a.itemId.endsWith("up-1"))?.outcome).toBe("triggered");
  });

  it("reports a backup that is already running as not failed, in both of the service's forms", async () => {
    const conflict = items.vm(SUBS.a, "busy-409");
    const failedOp = items.dp(SUBS.a, "busy-op-1111");
    await h.failedJobs("busy", [failedJob(SUBS.a, conflict), failedJob(SUBS.a, failedOp, { ruleName: "BackupHourly", retentionTag: "Default" })]);
    h.emulator.setConflict(conflict, { on: "trigger" });
    h.emulator.setConflict(failedOp, { on: "operation" });
    const { report } = await h.run();
    // A Backup vault says its concurrency limit is reached: the item waits for the running backup.
    expect(report.actions.map((a) => a.outcome)).toEqual(["alreadyInProgress", "postponed"]);
    expect(report.totals.failed).toBe(0);
    expect(exitCodeOf(report)).toBe(0);
  });

  it("never sends a hostile item id to the wire, and reports each as invalid", async () => {
    const good = items.vm(SUBS.a, "good-1");
    const hostile = [
      `https://evil.example${good}`,
      good.replace("/protectedItems/", "/../../../../providers/Microsoft.Authorization/roleAssignments/x/protectedItems/"),
      good.replace("good-1/protectedItems", "good-1%2F..%2F..%2Fx/protectedItems"),
      `${good}?api-version=2016-01-01`,
      `${good}#frag`,
      good.replace("Microsoft.RecoveryServices", "Microsoft.Rec\u043everyServices"),
      `${good}${"x".repeat(10_000)}`,
      items.vm(SUBS.b, "other-sub"),
    ];
    await h.failedJobs("hostile", [failedJob(SUBS.a, good), ...hostile.map((itemId) => failedJob(SUBS.a, itemId))]);
    const { report } = await h.run();
    expect(report.totals).toMatchObject({ rows: 9, triggered: 1, invalid: 8 });
    const armPaths = h.emulator.requests.filter((r) => r.kind !== "msi" && r.kind !== "arg").map((r) => decodeURIComponent(r.path));
    expect(armPaths.every((p) => p.includes("good-1"))).toBe(true);
    expect(h.emulator.requests.some((r) => r.kind === "other")).toBe(false);
    expectAccounted(report);
  });
});

describe("secrets", () => {
  it("never writes a token, an Authorization header or the IDENTITY_HEADER value to a log line or the report", async () => {
    await h.failedJobs("secrets", [failedJob(SUBS.a, items.vm(SUBS.a, "s1")), failedJob(SUBS.b, items.vm(SUBS.b, "s2"))]);
    h.emulator.denySubscription(SUBS.b);
    const { report, logs } = await h.run();
    expectNoSecrets(h.emulator, [...logs, JSON.stringify(report)]);
    expect(logs.filter((l) => /"event":"retry\.(triggered|failed)"/.test(l))).toHaveLength(2);
  });
});

describe("what the service says to a trigger, on the POST or in the operation it started", () => {
  const sqlItem = items.sql(SUBS.a, "conflicted");
  const vmItem = items.vm(SUBS.a, "conflicted");
  const diskItem = items.dp(SUBS.a, "disk-conflicted-0001");
  const cases: [string, string, string, string | undefined][] = [
    ["BMSUserErrorConflictingProtectionOperation", vmItem, "postponed", "protectionOperation"],
    ["BMSUserErrorObjectLocked", vmItem, "postponed", "protectionOperation"],
    ["UserErrorBackupFailedAsRemedialBackupInProgress", sqlItem, "alreadyInProgress", undefined],
    ["UserErrorMaxConcurrentOperationLimitReached", diskItem, "postponed", "concurrencyLimit"],
    ["CloudDosAbsoluteLimitReached", sqlItem, "postponed", "serviceQuota"],
    ["CloudDosTimeboudLimitReached", diskItem, "postponed", "serviceQuota"],
  ];
  const forms = ["trigger", "operation"] as const;
  it.each(cases.flatMap(([code, itemId, outcome, waitReason]) => forms.map((on) => [code, on, itemId, outcome, waitReason] as const)))(
    "%s as the %s's answer: %s",
    async (code, on, itemId, outcome, waitReason) => {
      const dp = itemId.includes("DataProtection");
      await h.failedJobs("conflicts", [failedJob(SUBS.a, itemId, dp ? { ruleName: "BackupHourly", retentionTag: "Default" } : {})]);
      h.emulator.setConflict(itemId, { code, message: `the service says ${code}`, on });
      const before = Date.now();
      const { report } = await h.run();
      const [action] = report.actions;
      expect(action).toMatchObject({ outcome, error: { code } });
      expect(action?.waitReason).toBe(waitReason);
      if (waitReason === "serviceQuota") expect(Date.parse(action?.retryAfter ?? "") - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1000);
      // Accepted, then failed: the trigger was sent once and its operation followed; refused: sent once, nothing to follow.
      const kinds = h.emulator.requests.filter((r) => r.kind !== "arg" && r.kind !== "msi" && !r.kind.endsWith("instance") && !r.kind.endsWith("policy")).map((r) => [r.kind, r.status]);
      expect(kinds[0]).toEqual([dp ? "dp.trigger" : "rs.trigger", on === "trigger" ? 409 : 202]);
      if (on === "trigger") expect(kinds).toHaveLength(1);
      expect(report.totals.failed).toBe(0);
      expect(exitCodeOf(report)).toBe(0);
    },
  );
});

describe("the Backup vault's job id", () => {
  it.each(["location", "status", "both"] as const)("is read when the %s names it", async (where) => {
    h.emulator.configure({ dpJobIdIn: where });
    const disk = items.dp(SUBS.a, "disk-jobid-0001");
    await h.failedJobs("dp-job", [failedJob(SUBS.a, disk, { ruleName: "BackupHourly", retentionTag: "Default" })]);
    const { report } = await h.run();
    h.emulator.configure({ dpJobIdIn: "location" });
    expect(report.actions[0]).toMatchObject({ outcome: "triggered", jobId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const statuses = h.emulator.requests.filter((r) => r.kind === "dp.operationResult").map((r) => r.status);
    if (where === "status") expect(statuses.at(-1)).toBe(404);
    else expect(statuses.at(-1)).toBe(200);
  });
});

describe("the expiry of an Azure Files recovery point", () => {
  it("is shortened to 10 years, with the reason, when a rule asks for more; the service accepts it", async () => {
    const share = items.files(SUBS.a, "archive");
    const batch = await h.failedJobs("files-long", [failedJob(SUBS.a, share)]);
    await h.rule("files-long", `${batchRule(batch)}| extend expiryDays = 5000\n`);
    const before = Date.now();
    const { report } = await h.run();
    const [action] = report.actions;
    expect(action).toMatchObject({ outcome: "triggered", reason: expect.stringMatching(/expiry of 5000 days shortened to 3650: Azure Files keeps on-demand recovery points at most 10 years/) });
    expect((Date.parse(action?.expiresAt ?? "") - before) / 86_400_000).toBeCloseTo(3650, 0);
    expect(h.emulator.requests.find((r) => r.kind === "rs.trigger")?.status).toBe(202);
  });
});
