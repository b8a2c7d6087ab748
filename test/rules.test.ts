// The shipped rules' intent, as row fixtures the emulator returns for the real query files: each
// fixture has exactly the columns the rule projects (checked against the Kusto parser's view of
// the file), and the sweep must act on those columns as the rule's comments promise.
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadQueries, type QueryFile } from "../src/queries/load.ts";
import { checkQueries } from "../src/queries/check.ts";
import { prepareQuery } from "../src/queries/prepare.ts";
import { createLogger } from "../src/log.ts";
import { loadSettings } from "../src/settings.ts";
import { sweep } from "../src/sweep.ts";
import { startHarness, items, SUBS, FAST_OPERATION, FAST_RETRY, type Harness } from "./support/harness.ts";

const QUERIES = path.resolve("queries");
let h: Harness;
let shipped: Record<string, QueryFile>;
let columns: Record<string, string[]>;

beforeAll(async () => {
  h = await startHarness();
  const loaded = await loadQueries({ dir: QUERIES });
  expect(loaded.errors).toEqual([]);
  shipped = Object.fromEntries(loaded.queries.map((q) => [q.name, q]));
  columns = Object.fromEntries(checkQueries(loaded.queries).files.map((f) => [f.name, f.columns.map((c) => c.name).sort()]));
}, 60_000);
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.reset();
});

const job = (vault: string, n: number) => `${vault}/backupJobs/${String(n).padStart(8, "0")}-aaaa-4bbb-8ccc-dddddddddddd`;
const rsVault = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;
const dpVault = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-prod`;

/** A row exactly as recovery-services.kql projects it. */
function rsRow(n: number, itemId: string, over: Partial<Record<string, unknown>> = {}) {
  return { id: job(rsVault(SUBS.a), n), subscriptionId: SUBS.a, itemId, failedAt: "2026-11-21T02:00:00Z", errorCode: "BackUpOperationFailedV2", errorMessage: "Backup failed with an internal error.", expiryDays: 10, backupType: "", dataSourceType: "AzureIaasVM", verdict: "retry", retryAfter: null, onDemandLast24h: 0, dailyAllowance: 9, attempts: 0, ...over };
}
/** A row exactly as backup-vault.kql projects it. */
function dpRow(n: number, itemId: string, over: Partial<Record<string, unknown>> = {}) {
  return { id: job(dpVault(SUBS.a), n), subscriptionId: SUBS.a, itemId, failedAt: "2026-11-21T02:00:00Z", errorCode: "UserErrorMaxConcurrentOperationLimitReached", errorMessage: "Operation limit reached.", ruleName: "BackupHourly", retentionTag: "Default", dataSourceType: "Microsoft.Compute/disks", verdict: "retry", retryAfter: null, onDemandLast24h: 0, dailyAllowance: null, attempts: 0, ...over };
}

function sent(file: QueryFile): string {
  const prepared = prepareQuery(file.text);
  if (!prepared.ok) throw new Error(`${file.name} cannot be sent: ${JSON.stringify(prepared.problems)}`);
  return prepared.query.text;
}

async function run(rows: Record<string, Record<string, unknown>[] | undefined>) {
  for (const [name, list] of Object.entries(rows)) if (list !== undefined) h.emulator.seedQuery(sent(shipped[name]!), list);
  const settings = loadSettings({ AZURE_RESOURCE_MANAGER_ENDPOINT: h.emulator.url, RETRY_QUERIES_DIR: QUERIES });
  const logs: string[] = [];
  const report = await sweep({ trigger: "cli", settings, credential: h.credential, logger: createLogger({ level: "info", destination: { write: (l: string) => void logs.push(l) } }), tlsCa: h.emulator.ca, retry: FAST_RETRY, operation: FAST_OPERATION });
  const posts = h.emulator.requests.filter((r) => r.method === "POST" && r.kind !== "arg");
  return { report, logs, posts };
}

describe("row fixtures match the shipped rules' result columns", () => {
  it("recovery-services.kql and backup-vault.kql project exactly the fixture columns", () => {
    expect(Object.keys(rsRow(0, "x")).sort()).toEqual(columns["recovery-services"]);
    expect(Object.keys(dpRow(0, "x")).sort()).toEqual(columns["backup-vault"]);
  });
});

describe("the worker acts on the rules' columns", () => {
  const vm = items.vm(SUBS.a, "vm-web-01");
  const sql = items.sql(SUBS.a, "sales");
  const hana = items.hana(SUBS.a, "hxe");
  const files = items.files(SUBS.a, "finance");
  const disk = items.dp(SUBS.a, "disk-data-01-0f1e2d3c");

  it.each([
    {
      intent: "a VM whose latest backup failed is retried with the rule's expiry",
      rows: { "recovery-services": [rsRow(1, vm, { expiryDays: 10 })] },
      outcome: "triggered",
      body: { properties: { objectType: "IaasVMBackupRequest" } },
      expiryDays: 10,
    },
    {
      intent: "a failed SQL log backup is retried as a log backup, not a full one",
      rows: { "recovery-services": [rsRow(2, sql, { backupType: "Log", dataSourceType: "AzureWorkload", expiryDays: 45 })] },
      outcome: "triggered",
      body: { properties: { objectType: "AzureWorkloadBackupRequest", backupType: "Log" } },
    },
    {
      intent: "a failed SAP HANA full backup is retried as a full backup kept at least 45 days",
      rows: { "recovery-services": [rsRow(3, hana, { backupType: "Full", dataSourceType: "AzureWorkload", expiryDays: 45 })] },
      outcome: "triggered",
      body: { properties: { objectType: "AzureWorkloadBackupRequest", backupType: "Full" } },
      expiryDays: 45,
    },
    {
      intent: "an Azure Files share is retried with the file share request",
      rows: { "recovery-services": [rsRow(4, files, { dataSourceType: "AzureStorage", expiryDays: 10 })] },
      outcome: "triggered",
      body: { properties: { objectType: "AzureFileShareBackupRequest" } },
      expiryDays: 10,
    },
    {
      intent: "a Backup vault instance is retried with the failed job's rule and retention tag",
      rows: { "backup-vault": [dpRow(5, disk, { ruleName: "BackupHourly", retentionTag: "Default" })] },
      outcome: "triggered",
      body: { backupRuleOptions: { ruleName: "BackupHourly", triggerOption: { retentionTagOverride: "Default" } } },
    },
    {
      intent: "an item whose attempt budget is spent is reported exhausted with its last error, never triggered",
      rows: { "recovery-services": [rsRow(6, vm, { verdict: "exhausted", attempts: 3, errorCode: "UserErrorGuestAgentStatusUnavailable" })] },
      outcome: "exhausted",
    },
    {
      intent: "a Backup vault instance out of budget is reported exhausted, never triggered",
      rows: { "backup-vault": [dpRow(7, disk, { verdict: "exhausted", attempts: 4 })] },
      outcome: "exhausted",
    },
  ])("$intent", async ({ rows, outcome, body, expiryDays }) => {
    const { report, posts, logs } = await run(rows);
    expect(report.queries.every((q) => q.error === undefined)).toBe(true);
    expect(report.actions).toHaveLength(1);
    const [action] = report.actions;
    expect(action?.outcome).toBe(outcome);
    if (outcome === "exhausted") {
      expect(posts).toHaveLength(0);
      expect(action?.lastError?.code).toBeDefined();
      expect(action?.attempts).toBeGreaterThan(0);
      expect(logs.some((l) => l.includes('"event":"retry.exhausted"'))).toBe(true);
      return;
    }
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject(body ?? {});
    if (expiryDays !== undefined) {
      const expiry = (posts[0]?.body as { properties: { recoveryPointExpiryTimeInUTC: string } }).properties.recoveryPointExpiryTimeInUTC;
      expect((Date.parse(expiry) - Date.now()) / 86_400_000).toBeCloseTo(expiryDays, 0);
    }
  });
});
