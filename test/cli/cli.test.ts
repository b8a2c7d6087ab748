// The command line as a user runs it: the real bin in a child process, DefaultAzureCredential
// reaching the emulator's managed-identity endpoint, the emulator's CA trusted the way a user would.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareQuery } from "../../src/queries/index.ts";
import { ReportSchema } from "../../src/core/index.ts";
import { items, failedJob, SUBS, useHarness } from "../support/harness.ts";
import { caFile, runCli } from "../support/child.ts";

const h = useHarness();
let env: Record<string, string>;
beforeAll(() => {
  env = { ...h.emulator.env(), NODE_EXTRA_CA_CERTS: caFile(h.emulator.ca), RETRY_QUERIES_DIR: h.queriesDir };
});

describe("retry-failed-backups sweep", () => {
  it("--json prints the report and nothing else on stdout, logs on stderr, exit 0", async () => {
    await h.failedJobs("cli", [failedJob(SUBS.a, items.vm(SUBS.a, "cli-1")), failedJob(SUBS.a, items.dp(SUBS.a, "disk-cli-2"), { ruleName: "BackupHourly", retentionTag: "Default" })]);
    const result = await runCli(["sweep", "--json"], env);
    expect(result.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(result.stdout));
    expect(report).toMatchObject({ trigger: "cli", dryRun: false, totals: { rows: 2, triggered: 2 } });
    expect(result.stderr).toContain('"event":"sweep.completed"');
    expect(h.emulator.requests.filter((r) => r.kind === "msi")).toHaveLength(1);
  });

  it("--dry-run --rule --subscription --max-retries narrow the run and write nothing", async () => {
    await h.failedJobs("first", [failedJob(SUBS.a, items.vm(SUBS.a, "n1")), failedJob(SUBS.b, items.vm(SUBS.b, "n2")), failedJob(SUBS.b, items.vm(SUBS.b, "n3"))]);
    await h.failedJobs("second", [failedJob(SUBS.b, items.vm(SUBS.b, "n4"))]);
    const result = await runCli(["sweep", "--json", "--dry-run", "--rule", "first", "--subscription", SUBS.b, "--max-retries", "1"], env);
    expect(result.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(result.stdout));
    expect(report.queries.map((q) => q.name)).toEqual(["first"]);
    expect(report.totals).toMatchObject({ dryRun: 1, deferred: 1 });
    expect(h.emulator.requests.filter((r) => r.kind === "arg").map((r) => (r.body as { subscriptions: string[] }).subscriptions)).toEqual([[SUBS.b]]);
    expect(h.emulator.requests.filter((r) => r.method === "POST" && r.kind !== "arg")).toHaveLength(0);
  });

  it("prints a readable summary without --json, and exits 1 when an action failed", async () => {
    h.emulator.denySubscription(SUBS.c);
    await h.failedJobs("human", [failedJob(SUBS.a, items.vm(SUBS.a, "h1")), failedJob(SUBS.c, items.vm(SUBS.c, "h2"))]);
    const result = await runCli(["sweep"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Subscriptions\n\s+subscription\s+triggered/);
    expect(result.stdout).toContain("AuthorizationFailed");
    expect(result.stdout).toMatch(/Total: 2 row\(s\) -> 2 item\(s\): 1 triggered/);
  });

  it.each([
    [["sweep"], { RETRY_CONCURRENCY: "lots" }, /RETRY_CONCURRENCY="lots" must be a whole number from 1 to 64/],
    [["sweep"], { AZURE_RESOURCE_MANAGER_ENDPOINT: "http://127.0.0.1:1" }, /AZURE_RESOURCE_MANAGER_ENDPOINT.*https:\/\//],
    [["sweep", "--max-retries", "0"], {}, /--max-retries must be a whole number/],
    [["sweep", "--subscription", "prod"], {}, /--subscription must be a subscription id/],
    [["sweep", "--bogus"], {}, /unknown option --bogus/],
    [["frobnicate"], {}, /unknown command "frobnicate"/],
    [[], {}, /no command given/],
  ])("exits 2 with a message for %j %j", async (args, extra, message) => {
    const result = await runCli(args, { ...env, ...extra });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(h.emulator.requests).toHaveLength(0);
  });
});

describe("retry-failed-backups check-queries", () => {
  it("passes the shipped rules and fails a broken file with file:line:column", async () => {
    const ok = await runCli(["check-queries", "--queries-dir", "queries"], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/2 ok, 0 with errors/);
    const dir = await mkdtemp(path.join(os.tmpdir(), "rfb-broken-"));
    await writeFile(path.join(dir, "broken.kql"), "RecoveryServicesResources\n| where type =~ 'x'\n| project id, subscriptionId\n");
    const bad = await runCli(["check-queries", "--queries-dir", dir], {});
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/broken\.kql:\d+:\d+: error ContractMissingColumn/);
  });
});

describe("retry-failed-backups show-query", () => {
  it("prints exactly the text the sweep sends, with no let, and refuses an unknown or unsendable rule", async () => {
    const shown = await runCli(["show-query", "recovery-services", "--queries-dir", "queries"], {});
    expect(shown.code).toBe(0);
    const prepared = prepareQuery(await readFile(path.join("queries", "recovery-services.kql"), "utf8"));
    expect(prepared.ok).toBe(true);
    if (prepared.ok) expect(shown.stdout).toBe(`${prepared.query.text}\n`);
    expect(shown.stdout.startsWith("RecoveryServicesResources\n")).toBe(true);
    expect(shown.stdout).not.toMatch(/^let /m);

    const unknown = await runCli(["show-query", "recovery-servics", "--queries-dir", "queries"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean "recovery-services"?');

    const dir = await mkdtemp(path.join(os.tmpdir(), "rfb-show-"));
    await writeFile(path.join(dir, "tabular.kql"), "let jobs = RecoveryServicesResources | where type =~ 'x';\njobs | project id, subscriptionId, itemId = id\n");
    const bad = await runCli(["show-query", "tabular", "--queries-dir", dir], {});
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/tabular\.kql:1:12: error TunableNotLiteral: `let jobs` is a tabular expression/);
  });
});

describe("retry-failed-backups demo", () => {
  it("sweeps the embedded emulator with the sample estate and exits 0", async () => {
    const result = await runCli(["demo", "--json"], {});
    expect(result.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(result.stdout));
    expect(new Set(report.actions.map((a) => a.subscriptionId)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(report.actions.map((a) => a.workload))).toEqual(new Set(["AzureVM", "SQLDatabase", "SAPHanaDatabase", "AzureFileShare", "AzureDisk", "PostgreSQL", "AzureBlob"]));
    expect(report.totals).toMatchObject({ alreadyInProgress: 1, exhausted: 1, postponed: 2 });
    expect(report.totals.failed).toBeGreaterThan(0);
    // vm-web-01's jobs come in two spellings of its id: the rule reads one item, and one backup is sent.
    expect(report.actions.filter((a) => a.itemId.toLowerCase().includes("vm-web-01"))).toMatchObject([{ outcome: "triggered" }]);
  });

  it("shows each item's history and outcome, and follows an edited tunable", async () => {
    const shipped = await runCli(["demo"], {});
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toMatch(/VM vm-legacy-07 +scheduled backup failed \(UserErrorVmProvisioningStateFailed\) 20h ago; 3 on-demand backups failed \(UserErrorVmProvisioningStateFailed\) 15h-5h ago -> exhausted \(3 attempts\)/);
    expect(shipped.stdout).toMatch(/VM vm-app-03 +scheduled backup failed \(BackUpOperationFailedV2\) 8h ago; scheduled backup succeeded 2h ago -> left alone/);

    const dir = await mkdtemp(path.join(os.tmpdir(), "rfb-demo-"));
    for (const name of ["recovery-services", "backup-vault"]) {
      const text = await readFile(path.join("queries", `${name}.kql`), "utf8");
      await writeFile(path.join(dir, `${name}.kql`), text.replace(/^let attemptBudget = 3;/m, "let attemptBudget = 5;"));
    }
    const edited = await runCli(["demo", "--queries-dir", dir], {});
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/VM vm-legacy-07 +.* -> triggered/);
  });
});
