// One emulator per test file (MSAL picks the managed-identity source once per process), the real
// ManagedIdentityCredential pointed at it, and a sweep runner that captures every log line. Tests of the
// sweep's mechanics seed failed backup jobs (records as Resource Graph holds them) and a small real rule
// that returns them; the shipped rules' judgement is tested in test/rules/.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions, type JobRecord } from "../../emulator/index.ts";
import { connectArm, createCredential, type ArmConnectionOptions } from "../../src/azure/index.ts";
import type { Report, RunOverrides, Trigger } from "../../src/core/index.ts";
import { createLogger } from "../../src/log.ts";
import { loadSettings } from "../../src/settings.ts";
import { sweep } from "../../src/sweep.ts";

/** A run of the sweep: what a caller narrows, plus the settings and connection a test varies. */
interface RunOptions extends RunOverrides {
  env?: Record<string, string>;
  trigger?: Trigger;
  runId?: string;
  credential?: TokenCredential;
  retry?: ArmConnectionOptions["retry"];
  operation?: ArmConnectionOptions["operation"];
}

export interface Harness {
  emulator: Emulator;
  credential: TokenCredential;
  queriesDir: string;
  /**
   * Adds the failed jobs to the emulator's Resource Graph and writes queries/<name>.kql, a rule returning one row
   * per job of this batch (the batch is told apart by its job ids' first part, which is returned).
   */
  failedJobs(name: string, jobs: FailedJob[]): Promise<string>;
  /** Writes queries/<name>.kql as given: a rule of the test's own. */
  rule(name: string, text: string): Promise<void>;
  run(options?: RunOptions): Promise<{ report: Report; logs: string[] }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const FAST_RETRY = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxWaitMs: 2_000 };
export const FAST_OPERATION = { maxPolls: 5, maxPollIntervalMs: 10, timeoutMs: 5_000 };

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = await startEmulator(options);
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(emulator.identityEndpoint)) throw new Error("the identity endpoint must be on loopback");
  process.env.IDENTITY_ENDPOINT = emulator.identityEndpoint;
  process.env.IDENTITY_HEADER = emulator.identityHeader;
  const credential = createCredential({ kind: "managedIdentity" });
  const queriesDir = await mkdtemp(path.join(os.tmpdir(), "rfb-queries-"));
  const harness: Harness = {
    emulator,
    credential,
    queriesDir,
    async failedJobs(name, jobs) {
      const batch = randomBytes(4).toString("hex");
      await writeFile(path.join(queriesDir, `${name}.kql`), batchRule(batch));
      emulator.addJobs(jobs.map((job, i) => jobRecord(job, `${batch}-0000-4000-8000-${String(i).padStart(12, "0")}`)));
      return batch;
    },
    async rule(name, text) {
      await writeFile(path.join(queriesDir, `${name}.kql`), text);
    },
    async run(options = {}) {
      const logs: string[] = [];
      const { env, trigger = "cli", runId, credential: own, retry = FAST_RETRY, operation = FAST_OPERATION, ...overrides } = options;
      const settings = loadSettings({ AZURE_RESOURCE_MANAGER_ENDPOINT: emulator.url, RETRY_QUERIES_DIR: queriesDir, LOG_LEVEL: "debug", ...env });
      const logger = createLogger({ level: settings.logLevel, destination: { write: (line: string) => void logs.push(line) } });
      const arm = connectArm({ credential: own ?? credential, endpoint: settings.armEndpoint, tlsCa: emulator.ca, retry, operation });
      const report = await sweep({ trigger, settings, arm, logger, overrides, runId });
      return { report, logs };
    },
    async reset() {
      emulator.reset();
      await rm(queriesDir, { recursive: true, force: true });
      await mkdir(queriesDir, { recursive: true });
    },
    async close() {
      await emulator.close();
      await rm(queriesDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export const SUBS = {
  a: "aaaaaaaa-1111-4111-8111-000000000001",
  b: "bbbbbbbb-2222-4222-8222-000000000002",
  c: "cccccccc-3333-4333-8333-000000000003",
} as const;

const rsVault = (sub: string, vault = "rsv-prod") => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/${vault}`;
const dpVault = (sub: string, vault = "bv-prod") => `/subscriptions/${sub}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/${vault}`;

export const items = {
  vm: (sub: string, name: string) => `${rsVault(sub)}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;${name}/protectedItems/VM;iaasvmcontainerv2;rg-app;${name}`,
  sql: (sub: string, db: string) => `${rsVault(sub)}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-sql;sqlvm-01/protectedItems/SQLDataBase;mssqlserver;${db}`,
  hana: (sub: string, db: string) => `${rsVault(sub)}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-sap;hana-01/protectedItems/SAPHanaDatabase;hxe;${db}`,
  files: (sub: string, share: string) => `${rsVault(sub)}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-files;stfinance/protectedItems/AzureFileShare;${share}`,
  dp: (sub: string, instance: string) => `${dpVault(sub)}/backupInstances/${instance}`,
};

/** A failed backup job of an item: what the test rule turns into a row. */
export interface FailedJob {
  subscriptionId: string;
  itemId: string;
  failedAt: string;
  errorCode?: string;
  errorMessage?: string;
  /** SQL / SAP HANA: the kind of backup that failed ("Backup (Log)"). */
  backupType?: string;
  /** Backup vault: the failed job's policy rule and retention tag. */
  ruleName?: string;
  retentionTag?: string;
  /** The vault whose jobs the record is among; default the item's own. Resource Graph scopes a row by it. */
  jobVault?: string;
  /** The record's whole id, for tests of what a malformed id does; default `{jobVault}/backupJobs/{guid}`. */
  id?: string;
}

let jobCounter = 0;
/** A failed job of the item; its start time differs per job, so the oldest-first order is known. */
export function failedJob(sub: string, itemId: string, extra: Partial<FailedJob> = {}): FailedJob {
  jobCounter += 1;
  return { subscriptionId: sub, itemId, failedAt: new Date(Date.UTC(2026, 10, 21, 0, jobCounter % 60)).toISOString(), errorCode: "BackUpOperationFailedV2", ...extra };
}

const RS_JOBS = "microsoft.recoveryservices/vaults/backupjobs";
const DP_JOBS = "microsoft.dataprotection/backupvaults/backupjobs";
const VAULT = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.(RecoveryServices\/vaults|DataProtection\/backupVaults)\/[^/]+/i;

/**
 * The batch's jobs as rows of the row contract, the way the shipped rules read the same properties. No `order by`:
 * the rows come back in the order the jobs were added, which the tests of invalid rows rely on.
 */
export function batchRule(batch: string): string {
  return `RecoveryServicesResources
| where type in~ ("${RS_JOBS}", "${DP_JOBS}") and name startswith "${batch}-"
| extend dp = type =~ "${DP_JOBS}"
| project
    id,
    subscriptionId,
    itemId = tostring(properties.backupInstanceId),
    failedAt = todatetime(properties.startTime),
    errorCode = iff(dp, tostring(properties.errorDetails[0].code), tostring(properties.errorDetails[0].errorTitle)),
    errorMessage = iff(dp, tostring(properties.errorDetails[0].message), tostring(properties.errorDetails[0].errorString)),
    backupType = extract(@"\\((\\w+)\\)", 1, tostring(properties.operation)),
    ruleName = tostring(properties.extendedInfo.additionalDetails.PolicyRuleName),
    retentionTag = tostring(properties.extendedInfo.additionalDetails.RetentionTag)
`;
}

/**
 * The job as Resource Graph holds it. Built by hand rather than with rsJob / dpJob: tests also need records whose
 * backupInstanceId is hostile or names another subscription, which the builders rightly refuse.
 */
function jobRecord(job: FailedJob, name: string): JobRecord {
  const dp = /Microsoft\.DataProtection/i.test(job.itemId);
  const vault = job.jobVault ?? VAULT.exec(job.itemId)?.[0] ?? (dp ? dpVault(job.subscriptionId) : rsVault(job.subscriptionId));
  const common = { backupInstanceId: job.itemId, status: "Failed", startTime: job.failedAt, endTime: job.failedAt, isUserTriggered: "false" };
  const properties = dp
    ? {
        ...common,
        operationCategory: "Backup",
        operation: "Backup",
        dataSourceType: "Microsoft.Compute/disks",
        errorDetails: [{ code: job.errorCode ?? "", message: job.errorMessage ?? "", isRetryable: true, isUserError: false }],
        extendedInfo: { additionalDetails: { PolicyRuleName: job.ruleName, RetentionTag: job.retentionTag } },
      }
    : {
        ...common,
        jobType: "AzureIaaSVMJob",
        backupManagementType: "AzureIaasVM",
        operation: job.backupType === undefined ? "Backup" : `Backup (${job.backupType})`,
        errorDetails: [{ errorCode: 100_000, errorTitle: job.errorCode ?? "", errorString: job.errorMessage ?? "" }],
      };
  return {
    id: job.id ?? `${vault}/backupJobs/${name}`,
    name,
    type: dp ? DP_JOBS : RS_JOBS,
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    kind: "",
    location: "westeurope",
    resourceGroup: "rg-backup",
    subscriptionId: job.subscriptionId,
    managedBy: "",
    sku: null,
    plan: null,
    properties,
    tags: null,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

/**
 * The usual lifecycle of a test file: one harness started before its tests (MSAL keeps the first
 * identity endpoint for the process), reset before each test, closed after all. `eachTest` runs after
 * every reset, e.g. to put emulator options back.
 */
export function useHarness(options: EmulatorOptions = {}, eachTest?: (h: Harness) => void | Promise<void>): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await startHarness(options);
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(async () => {
    await current?.reset();
    if (current !== undefined) await eachTest?.(current);
  });
  return new Proxy({} as Harness, {
    get(_, key) {
      if (current === undefined) throw new Error("the harness is used before beforeAll started it");
      return current[key as keyof Harness];
    },
  });
}
