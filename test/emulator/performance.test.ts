// A smoke test at the benchmark's scale: 30,000 job records through the shipped rule's logic and through a query with
// three joins, paged over the wire. It checks the answers and prints the evaluation time; it asserts no time
// (performance is measured by the benchmark, never by a timed test).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { describe, expect, it } from "vitest";
import { rsJob } from "../../emulator/index.ts";
import type { JobRecord, RsJobSpec } from "../../emulator/index.ts";
import { items, SUBS, useHarness } from "../support/harness.ts";
import { prepareQuery } from "../../src/queries/index.ts";

const h = useHarness({}, (harness) => harness.emulator.configure({ argQuota: false }));
const ITEMS = 7_500;
const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const at = (hoursAgo: number) => new Date(hour - hoursAgo * 3_600_000);

/**
 * Four jobs per item, 30,000 in all. A third of the items failed after a success (one row each), a third spent the
 * attempt budget (one exhausted row each), a third have a backup running (no row).
 */
function estate(): JobRecord[] {
  const jobs: JobRecord[] = [];
  for (let i = 0; i < ITEMS; i += 1) {
    const itemId = items.vm([SUBS.a, SUBS.b, SUBS.c][i % 3]!, `vm-${String(i).padStart(5, "0")}`);
    const job = (hoursAgo: number, over: Partial<RsJobSpec> = {}) => rsJob({ itemId, startTime: at(hoursAgo), ...over });
    if (i % 3 === 0) jobs.push(job(20, { status: "Completed" }), job(10, { status: "Completed" }), job(8, { status: "Completed" }), job(3));
    else if (i % 3 === 1) jobs.push(job(9), job(7, { userTriggered: true }), job(5, { userTriggered: true }), job(3, { userTriggered: true }));
    else jobs.push(job(15, { status: "Completed" }), job(12, { status: "Completed" }), job(9), job(1, { status: "InProgress", userTriggered: true }));
  }
  return jobs;
}

async function readAll(query: string): Promise<{ rows: Record<string, unknown>[]; ms: number; evaluationMs: number }> {
  const client = new ResourceGraphClient(h.credential, { endpoint: h.emulator.url, credentials: { scopes: [`${h.emulator.url}/.default`] }, tlsOptions: { ca: h.emulator.ca } });
  const before = h.emulator.requests.length;
  const started = performance.now();
  const rows: Record<string, unknown>[] = [];
  let skipToken: string | undefined;
  do {
    const page = await client.resources({ query, options: { top: 1000, skipToken } });
    rows.push(...(page.data as Record<string, unknown>[]));
    skipToken = page.skipToken;
  } while (skipToken !== undefined);
  const evaluationMs = h.emulator.requests.slice(before).reduce((sum, r) => sum + (r.evaluationMs ?? 0), 0);
  return { rows, ms: performance.now() - started, evaluationMs };
}

describe("30,000 job records", () => {
  it("the shipped recovery-services rule and a three-join query answer correctly", async () => {
    h.emulator.addJobs(estate());
    const prepared = prepareQuery(await readFile(path.resolve("queries/recovery-services.kql"), "utf8"));
    if (!prepared.ok) throw new Error("the shipped rule cannot be sent");
    const rule = prepared.query.text;
    const judged = await readAll(rule);
    expect(judged.rows).toHaveLength((ITEMS / 3) * 2);
    expect(judged.rows.filter((r) => r.verdict === "exhausted" && r.attempts === 3)).toHaveLength(ITEMS / 3);
    expect(new Set(judged.rows.map((r) => r.itemId)).size).toBe(judged.rows.length);

    const threeJoins = `RecoveryServicesResources
| where type =~ "microsoft.recoveryservices/vaults/backupjobs"
| extend itemKey = tolower(tostring(properties.backupInstanceId)), startedAt = todatetime(properties.startTime), status = tostring(properties.status)
| join kind=leftouter (RecoveryServicesResources | where tostring(properties.status) == "Completed" | summarize lastSuccessAt = max(todatetime(properties.startTime)) by itemKey = tolower(tostring(properties.backupInstanceId))) on itemKey
| join kind=leftouter (RecoveryServicesResources | summarize running = countif(tostring(properties.status) == "InProgress") by itemKey = tolower(tostring(properties.backupInstanceId))) on itemKey
| join kind=inner (RecoveryServicesResources | summarize jobs = count() by itemKey = tolower(tostring(properties.backupInstanceId))) on itemKey
| where status == "Failed" and (isnull(lastSuccessAt) or startedAt > lastSuccessAt) and running == 0
| summarize arg_max(startedAt, *), failures = count() by itemKey
| project id, itemKey, failures, jobs
| order by id asc`;
    const joined = await readAll(threeJoins);
    expect(joined.rows).toHaveLength((ITEMS / 3) * 2);
    expect(joined.rows.every((r) => r.jobs === 4)).toBe(true);
    expect(joined.rows.filter((r) => r.failures === 4)).toHaveLength(ITEMS / 3);

    process.stdout.write(
      `\n  30,000 job records: recovery-services rule ${judged.evaluationMs.toFixed(0)} ms evaluating (${judged.ms.toFixed(0)} ms for ${judged.rows.length} rows over the wire); three joins ${joined.evaluationMs.toFixed(0)} ms evaluating (${joined.ms.toFixed(0)} ms over the wire)\n`,
    );
  });
});
