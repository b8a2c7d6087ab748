// The runbook's way, on the product's own clients: read every failed job with Resource Graph (all
// pages, no cap, for fairness), then one item at a time GET the protected item / backup instance
// and trigger it, without following the operation. Nothing in parallel, nothing deduplicated.
import { performance } from "node:perf_hooks";
import type { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { createDataProtectionClient, createRecoveryServicesClient, createResourceGraphClient, type ArmConnection, type DataProtectionClient } from "../src/azure/index.ts";
import { recoveryServicesRequest } from "../src/backup/index.ts";
import { parseItemId, type Workload } from "../src/core/index.ts";
import { loadQueries, prepareQuery } from "../src/queries/index.ts";

export interface BaselineOptions {
  arm: ArmConnection;
  queriesDir: string;
  /** Items to trigger (evenly spaced over the rows); the caller extrapolates to the rest. */
  sample: number;
}

export interface BaselineResult {
  rows: number;
  processed: number;
  argMs: number;
  itemsMs: number;
  failed: number;
  errors: Record<string, number>;
}

// What the protected item's GET says the workload is (properties.workloadType).
const WORKLOADS: Record<string, Workload> = { vm: "AzureVM", sqldatabase: "SQLDatabase", saphanadatabase: "SAPHanaDatabase", azurefileshare: "AzureFileShare" };

type Row = { itemId?: unknown; expiryDays?: unknown; backupType?: unknown; ruleName?: unknown; retentionTag?: unknown };

export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const argStarted = performance.now();
  const rows = await readAllRows(options);
  const argMs = performance.now() - argStarted;

  const rsClients = new Map<string, RecoveryServicesBackupClient>();
  const dpClients = new Map<string, DataProtectionClient>();
  const errors: Record<string, number> = {};
  let failed = 0;
  // Evenly spaced over the Resource Graph order, so both vault kinds and every workload are in the sample.
  const step = rows.length / Math.min(options.sample, rows.length);
  const sample = Array.from({ length: Math.min(options.sample, rows.length) }, (_, i) => rows[Math.floor(i * step)] as Row);
  const itemsStarted = performance.now();
  for (const row of sample) {
    try {
      await retryOne(row, options.arm, rsClients, dpClients);
    } catch (error) {
      failed += 1;
      const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message.slice(0, 80) : "unknown");
      errors[code] = (errors[code] ?? 0) + 1;
    }
  }
  return { rows: rows.length, processed: sample.length, argMs, itemsMs: performance.now() - itemsStarted, failed, errors };
}

async function readAllRows(options: BaselineOptions): Promise<Row[]> {
  const client = createResourceGraphClient(options.arm);
  const { queries, errors } = await loadQueries({ dir: options.queriesDir });
  if (errors.length > 0) throw new Error(`bench baseline: ${errors.map((e) => `${e.file}: ${e.message}`).join("; ")}`);
  const rows: Row[] = [];
  for (const query of queries) {
    // The runbook's own query had no tunables; ours are written in, as the sweep sends them.
    const prepared = prepareQuery(query.text);
    if (!prepared.ok) throw new Error(`bench baseline: ${query.path} cannot be sent`);
    let skipToken: string | undefined;
    do {
      const page = await client.resources({ query: prepared.query.text, options: { top: 1000, resultFormat: "objectArray", skipToken } });
      rows.push(...(page.data as Row[]));
      skipToken = page.skipToken;
    } while (skipToken !== undefined);
  }
  return rows;
}

async function retryOne(row: Row, arm: ArmConnection, rsClients: Map<string, RecoveryServicesBackupClient>, dpClients: Map<string, DataProtectionClient>): Promise<void> {
  const parsed = parseItemId(String(row.itemId));
  if (!parsed.ok) throw new Error(parsed.reason);
  const ref = parsed.ref;
  if (ref.kind === "recoveryServices") {
    const client = rsClients.get(ref.subscriptionId) ?? createRecoveryServicesClient(arm, ref.subscriptionId);
    rsClients.set(ref.subscriptionId, client);
    const item = await client.protectedItems.get(ref.vaultName, ref.resourceGroup, ref.fabric, ref.container, ref.item);
    const workload = WORKLOADS[String(item.properties?.workloadType ?? "").toLowerCase()] ?? "Other";
    const backupType = typeof row.backupType === "string" ? (row.backupType as Parameters<typeof recoveryServicesRequest>[1]) : undefined;
    const request = recoveryServicesRequest(workload, backupType, typeof row.expiryDays === "number" ? row.expiryDays : 10, new Date());
    if (request === undefined) throw new Error(`no on-demand backup for workload ${workload}`);
    await client.backups.trigger(ref.vaultName, ref.resourceGroup, ref.fabric, ref.container, ref.item, { properties: request.properties });
    return;
  }
  const client = dpClients.get(ref.subscriptionId) ?? createDataProtectionClient(arm, ref.subscriptionId);
  dpClients.set(ref.subscriptionId, client);
  await client.backupInstances.get(ref.resourceGroup, ref.vaultName, ref.backupInstance);
  const poller = client.backupInstances.adhocBackup(ref.resourceGroup, ref.vaultName, ref.backupInstance, {
    backupRuleOptions: { ruleName: String(row.ruleName), triggerOption: typeof row.retentionTag === "string" ? { retentionTagOverride: row.retentionTag } : {} },
  });
  // Only the POST: the runbook does not follow the operation.
  await poller.submitted();
}
