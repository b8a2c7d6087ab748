// One emulator per test file (MSAL picks the managed-identity source once per process), the real
// ManagedIdentityCredential pointed at it, and a sweep runner that captures every log line.
import { mkdir, mkdtemp, writeFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index.ts";
import { createCredential } from "../../src/azure/credential.ts";
import { createLogger } from "../../src/log.ts";
import { loadSettings } from "../../src/settings.ts";
import { sweep, type SweepOptions } from "../../src/sweep.ts";
import type { Report } from "../../src/report.ts";

export interface Harness {
  emulator: Emulator;
  credential: TokenCredential;
  queriesDir: string;
  /** Writes queries/<name>.kql holding a marker the emulator matches, and seeds its rows. */
  query(name: string, rows: Record<string, unknown>[]): Promise<string>;
  run(options?: Partial<SweepOptions> & { env?: Record<string, string> }): Promise<{ report: Report; logs: string[] }>;
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
    async query(name, rows) {
      const marker = `// test-query:${name}:${Math.random().toString(36).slice(2)}`;
      // Inside the query, not above it: the comments above a query describe the file and are not sent.
      await writeFile(path.join(queriesDir, `${name}.kql`), `RecoveryServicesResources\n${marker}\n| project id, subscriptionId, itemId = tostring(properties.backupInstanceId)\n`);
      emulator.seedQuery(marker, rows);
      return marker;
    },
    async run(overrides = {}) {
      const logs: string[] = [];
      const { env, ...rest } = overrides;
      const settings = loadSettings({ AZURE_RESOURCE_MANAGER_ENDPOINT: emulator.url, RETRY_QUERIES_DIR: queriesDir, LOG_LEVEL: "debug", ...env });
      const logger = createLogger({ level: settings.logLevel, destination: { write: (line: string) => void logs.push(line) } });
      const report = await sweep({ trigger: "cli", settings, credential, logger, tlsCa: emulator.ca, retry: FAST_RETRY, operation: FAST_OPERATION, ...rest });
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

let jobCounter = 0;
/** A row of the row contract, as the shipped queries project it. */
export function row(sub: string, itemId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  jobCounter += 1;
  const vault = itemId.includes("Microsoft.DataProtection") ? dpVault(sub) : rsVault(sub);
  return {
    id: `${vault}/backupJobs/${String(jobCounter).padStart(8, "0")}-0000-4000-8000-000000000000`,
    subscriptionId: sub,
    itemId,
    failedAt: new Date(Date.UTC(2026, 10, 21, 0, jobCounter % 60)).toISOString(),
    errorCode: "BackUpOperationFailedV2",
    ...extra,
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
