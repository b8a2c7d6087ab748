// The process under load: the command line, in a child process of its own, sweeps 50,000 rows (50 pages, 50
// subscriptions, both vault kinds) as a dry run. It finishes, accounts for every failedJob, and its peak resident memory
// grows at most linearly with the rows, within a fixed budget per row. Memory is the bound here, never time.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { items, failedJob, startHarness, type Harness } from "../support/harness.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHILD = path.join(ROOT, "test", "support", "load-child.ts");
const GUARD = path.join(ROOT, "test", "setup", "loopback-only.ts");
/** Peak RSS may grow by this much per row over a 1,000-row run (measured: about 6 KB, most of it the JSON report). */
const BYTES_PER_ROW = 10 * 1024;
const MAX_RSS_BYTES = 1024 * 1024 * 1024;

interface ChildResult {
  code: number;
  maxRssKb: number;
  totals: Record<string, number>;
  queries: { name: string; rows: number; pages: number; error?: unknown }[];
  accounted: number;
  logLines: number;
}

let h: Harness;
let tmp: string;
beforeAll(async () => {
  h = await startHarness();
  // 50 pages in one run: the per-principal quota would only add waiting to this test.
  h.emulator.configure({ argQuota: false });
  tmp = await mkdtemp(path.join(os.tmpdir(), "rfb-load-"));
  await writeFile(path.join(tmp, "ca.pem"), h.emulator.ca);
});
afterAll(async () => {
  await h.close();
  await rm(tmp, { recursive: true, force: true });
});

const SUBSCRIPTIONS = Array.from({ length: 50 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);

async function sweepRows(count: number): Promise<ChildResult> {
  await h.reset();
  const rows = Array.from({ length: count }, (_, i) => {
    const sub = SUBSCRIPTIONS[i % SUBSCRIPTIONS.length]!;
    return i % 10 === 0 ? failedJob(sub, items.dp(sub, `disk-${i}`), { ruleName: "BackupHourly", retentionTag: "Default" }) : failedJob(sub, items.vm(sub, `vm-${i}`));
  });
  await h.failedJobs("load", rows);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: tmp,
    NODE_OPTIONS: `--import=${GUARD}`,
    NODE_EXTRA_CA_CERTS: path.join(tmp, "ca.pem"),
    ...h.emulator.env(),
    RETRY_QUERIES_DIR: h.queriesDir,
    RETRY_MAX_PER_RUN: "100000",
    RETRY_MAX_PER_SUBSCRIPTION: "100000",
  };
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [CHILD, "sweep", "--dry-run", "--json"], { cwd: ROOT, env, maxBuffer: 1024 * 1024 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
  });
  return JSON.parse(stdout) as ChildResult;
}

describe("50,000 rows in one run", () => {
  it("finishes, accounts for every failedJob, and stays within the memory budget per row", async () => {
    const small = await sweepRows(1_000);
    const big = await sweepRows(50_000);

    expect(big.code).toBe(0);
    expect(big.queries).toEqual([{ name: "load", rows: 50_000, pages: 50 }]);
    expect(big.totals).toMatchObject({ rows: 50_000, actions: 50_000, dryRun: 50_000, invalid: 0, failed: 0 });
    expect(big.accounted).toBe(50_000);
    // One event per action, plus the run's own few.
    expect(big.logLines).toBeGreaterThanOrEqual(50_000);
    expect(h.emulator.requests.filter((r) => r.kind.endsWith("trigger"))).toEqual([]);

    const growth = (big.maxRssKb - small.maxRssKb) * 1024;
    expect(growth / 49_000, `peak RSS ${Math.round(big.maxRssKb / 1024)} MB vs ${Math.round(small.maxRssKb / 1024)} MB for 1,000 rows`).toBeLessThan(BYTES_PER_ROW);
    expect(big.maxRssKb * 1024).toBeLessThan(MAX_RSS_BYTES);
  }, 120_000);
});
