// One measured run in its own process, so peak RSS is the sweep's own and MSAL picks the
// managed-identity source (the emulator) afresh. Settings come from the environment, as for the CLI.
// Prints one JSON line on stdout.
//   node bench/run-one.ts --mode sweep --ca-file FILE [--product FILE]
// --product: the module that exports the product (bench/entry.ts, or its esbuild bundle); the sources by default.
//   node bench/run-one.ts --mode baseline --ca-file FILE --sample N
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { pathToFileURL } from "node:url";
import { runBaseline } from "./baseline.ts";
import type * as ProductModule from "./entry.ts";
import type { BaselineRunResult, SweepResult } from "./result.ts";

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;
type Product = typeof ProductModule;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mode: { type: "string" }, "ca-file": { type: "string" }, sample: { type: "string" }, product: { type: "string" }, scale: { type: "string" } }, strict: true });
  if (values["ca-file"] === undefined) throw new Error("--ca-file is required");
  if (!process.env.IDENTITY_ENDPOINT?.startsWith("http://127.0.0.1:")) throw new Error("IDENTITY_ENDPOINT must point at the emulator on loopback");
  const tlsCa = await readFile(values["ca-file"], "utf8");
  const product = (await import(pathToFileURL(values.product ?? new URL("./entry.ts", import.meta.url).pathname).href)) as Product;
  const { connectArm, createCredential, createLogger, loadSettings, sweep } = product;
  const settings = loadSettings(process.env);
  // Time scale k (bench/README.md "Time scale"): the emulator answers k times faster, so the product's own
  // waits and bounds shrink by k too; the parent multiplies the times by k.
  const k = Number(values.scale ?? "1");
  const scaled = (ms: number) => Math.round(ms / k);
  const arm = connectArm({
    credential: createCredential({ kind: "managedIdentity" }),
    endpoint: settings.armEndpoint,
    tlsCa,
    retry: { baseDelayMs: scaled(1_000), maxDelayMs: scaled(30_000), maxWaitMs: scaled(60_000), writeRefillPerSecond: 10 * k },
    operation: { maxPollIntervalMs: scaled(10_000), timeoutMs: scaled(600_000) },
  });

  if (values.mode === "baseline") {
    const result = await runBaseline({ arm, queriesDir: settings.queriesDir, sample: Number(values.sample ?? "100") });
    console.log(JSON.stringify({ mode: "baseline", ...result, maxRssMb: maxRssMb() } satisfies BaselineRunResult));
    return;
  }
  if (values.mode !== "sweep") throw new Error(`--mode must be sweep or baseline, got ${values.mode}`);
  const logger = createLogger({ level: settings.logLevel });
  const { rss: startRss, heapUsed: startHeap } = process.memoryUsage();
  const started = performance.now();
  const report = await sweep({ trigger: "cli", settings, arm, logger });
  const wallMs = performance.now() - started;
  const peakRssMb = maxRssMb();
  // A full GC shows the heap the report and caches really hold. gc is exposed only now: started
  // with --expose-gc, the same sweep peaks about 100 MB higher.
  v8.setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const retainedHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const problems: Record<string, number> = {};
  for (const action of report.actions) {
    if (action.outcome === "triggered" && action.jobId !== undefined) continue;
    const key = `${action.outcome}: ${action.error?.code ?? action.reason?.slice(0, 100) ?? "no job id"}`;
    problems[key] = (problems[key] ?? 0) + 1;
  }
  for (const query of report.queries) {
    if (query.error !== undefined) problems[`query ${query.name}: ${query.error.code}`] = 1;
  }
  const result: SweepResult = {
    mode: "sweep",
    wallMs,
    maxRssMb: peakRssMb,
    startRssMb: startRss / 2 ** 20,
    startHeapMb: startHeap / 2 ** 20,
    retainedHeapMb,
    totals: report.totals,
    withJobId: report.actions.filter((a) => a.jobId !== undefined).length,
    unaccountedRows: report.totals.rows - report.actions.reduce((sum, a) => sum + a.sourceRows.length, 0) - report.invalid.length,
    problems,
  };
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
