// npm run bench [-- --quick] [-- --latency MS] ...
// Drives the real sweep (the CLI's code path, each run in its own process) against the local ARM
// emulator with ARM-like latency, write throttling and Resource Graph quota, next to the runbook's
// sequential algorithm, and prints one table per estate with the issue's targets. See bench/README.md.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { runBaselineChild, runSweepChild } from "./child.ts";
import { buildEstate, itemsPerSubscription, type Estate, type EstateSpec } from "./estate.ts";
import { estateNotes, estateTable, estateTitle, int, mark, phasesOf, seconds, summaryTable, table, type BaselineRun, type EstateRun, type Limits, type OursRun } from "./figures.ts";
import { buildBundle } from "../scripts/build.ts";
import { loadSettings } from "../src/settings.ts";
import { coldImport, type ColdImport } from "./cold-import.ts";
import { wireStats } from "./requests.ts";
import { servicePaceTable } from "./service-pace.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = path.join(ROOT, "bench", "README.md");
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

const USAGE = `usage: npm run bench -- [--quick] [--estates 100x1,1000x10,...] [--concurrency 8,32] [--sample N] [--no-baseline] [--write-readme]
  --quick          1,000-item estates only (about two minutes)
  --estates LIST   items x subscriptions at ARM pace, instead of the default plan (needs --concurrency)
  --concurrency    RETRY_CONCURRENCY values for --estates, one bundled sweep each
  --sample N       items the runbook baseline triggers before its time is extrapolated (default 50)
  --no-baseline    skip the runbook baseline
  --write-readme   put the results into bench/README.md`;

type Product = "bundle" | "sources";
type Pace = "arm" | "service";

/** One sweep: which build, how many writes in flight, and the time scale k it runs at. */
interface RunSpec {
  product: Product;
  concurrency: number;
  scale: number;
}

interface EstatePlan {
  spec: EstateSpec;
  pace: Pace;
  runs: RunSpec[];
  baseline: boolean;
}

interface Config {
  plans: EstatePlan[];
  sample: number;
  importRuns: number;
  writeReadme: boolean;
  command: string;
}

const WRITE_BUCKET = { burst: 200, refillPerSecond: 10 };
const ARG_QUOTA = { perWindow: 15, windowMs: 5000 };
const RUN_TIMEOUT_MS = 900_000;
/** ARM pace: the old bench's 100 ms per answer, the job named at the second poll, Retry-After 1 s. */
const ARM_PACE = { latencyMs: 100, latencyMaxMs: 0, pollsBeforeDone: 1, pollsBeforeDoneMax: 0, retryAfterSeconds: 1 };
/** Service pace (issue 18): 0.3-1 s per answer, Retry-After 60 s, the job named at the first to third poll. */
const SERVICE_PACE = { latencyMs: 300, latencyMaxMs: 1000, pollsBeforeDone: 0, pollsBeforeDoneMax: 2, retryAfterSeconds: 60 };
const DEFAULTS = loadSettings({});

const runs = (product: Product, pairs: [number, number][]): RunSpec[] => pairs.map(([concurrency, scale]) => ({ product, concurrency, scale }));

/**
 * The default plan. Scales are chosen so the emulator's answer rate stays under what 2 shared cores serve
 * (about 300 items/s): k × concurrency / 100 ms ≤ 320. The default concurrency runs unscaled at ARM pace.
 */
function defaultPlans(quick: boolean): EstatePlan[] {
  const c = DEFAULTS.concurrency;
  if (quick) {
    return [
      { spec: { items: 1000, subscriptions: 10 }, pace: "arm", runs: [...runs("bundle", [[c, 1]]), ...runs("sources", [[c, 1]])], baseline: true },
      { spec: { items: 1000, subscriptions: 1 }, pace: "arm", runs: runs("bundle", [[c, 4]]), baseline: false },
      { spec: { items: 1000, subscriptions: 10 }, pace: "service", runs: runs("bundle", [[c, 10]]), baseline: false },
    ];
  }
  return [
    { spec: { items: 10_000, subscriptions: 100 }, pace: "arm", runs: [...runs("bundle", [[8, 4], [16, 2], [32, 1], [64, 1]]), ...runs("sources", [[c, 1]])], baseline: true },
    { spec: { items: 1000, subscriptions: 1 }, pace: "arm", runs: runs("bundle", [[8, 4], [16, 4], [32, 4], [64, 4]]), baseline: false },
    { spec: { items: 10_000, subscriptions: 100 }, pace: "service", runs: runs("bundle", [[c, 5]]), baseline: false },
  ];
}

function wholeNumber(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return Number(value);
}

function parseConfig(argv: string[]): Config | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: "boolean" },
      estates: { type: "string" },
      concurrency: { type: "string" },
      sample: { type: "string" },
      "no-baseline": { type: "boolean" },
      "write-readme": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return undefined;
  const baseline = values["no-baseline"] !== true;
  let plans = defaultPlans(values.quick === true);
  if (values.estates !== undefined) {
    const concurrency = (values.concurrency ?? String(DEFAULTS.concurrency)).split(",").map((c) => wholeNumber("concurrency", c.trim(), 1));
    if (concurrency.some((c) => c > 64)) throw new Error("--concurrency values must be at most 64 (RETRY_CONCURRENCY's limit)");
    plans = values.estates.split(",").map((e) => {
      const match = /^(\d+)x(\d+)$/.exec(e.trim());
      if (match === null) throw new Error(`--estates takes ITEMSxSUBSCRIPTIONS entries such as 1000x10, got "${e}"`);
      const spec = { items: Number(match[1]), subscriptions: Number(match[2]) };
      if (spec.items < 1 || spec.subscriptions < 1 || spec.subscriptions > spec.items) throw new Error(`--estates: "${e}" needs 1 ≤ subscriptions ≤ items`);
      return { spec, pace: "arm" as const, runs: runs("bundle", concurrency.map((c) => [c, 1])), baseline };
    });
  }
  if (!baseline) plans = plans.map((p) => ({ ...p, baseline: false }));
  return {
    plans,
    sample: wholeNumber("sample", values.sample ?? "50", 1),
    importRuns: 7,
    writeReadme: values["write-readme"] === true,
    command: ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
  };
}

function seed(emulator: Emulator, estate: Estate, pace: Pace, scale: number): void {
  emulator.reset();
  const p = pace === "arm" ? ARM_PACE : SERVICE_PACE;
  emulator.configure({
    latencyMs: Math.round(p.latencyMs / scale),
    latencyMaxMs: Math.round(p.latencyMaxMs / scale),
    pollsBeforeDone: p.pollsBeforeDone,
    pollsBeforeDoneMax: p.pollsBeforeDoneMax,
    retryAfterSeconds: p.retryAfterSeconds / scale,
    writeBucket: { burst: WRITE_BUCKET.burst, refillPerSecond: WRITE_BUCKET.refillPerSecond * scale },
    argQuota: { perWindow: ARG_QUOTA.perWindow, windowMs: ARG_QUOTA.windowMs / scale },
  });
  emulator.addJobs(estate.jobs);
}

interface Shared {
  emulator: Emulator;
  caFile: string;
  queriesDir: string;
  bundle: string;
}

function childEnv(shared: Shared, concurrency: number): Record<string, string> {
  return {
    AZURE_RESOURCE_MANAGER_ENDPOINT: shared.emulator.url,
    IDENTITY_ENDPOINT: shared.emulator.identityEndpoint,
    IDENTITY_HEADER: shared.emulator.identityHeader,
    RETRY_QUERIES_DIR: shared.queriesDir,
    // Caps high enough that nothing is deferred: the bench measures the whole wave (the ticks the default caps need are computed).
    RETRY_MAX_PER_RUN: "100000",
    RETRY_MAX_PER_SUBSCRIPTION: "100000",
    RETRY_CONCURRENCY: String(concurrency),
    // The CLI's own level in text mode: per-action events (info) are not written.
    LOG_LEVEL: "warn",
  };
}

const labelOf = (r: RunSpec) => `${r.product}, concurrency ${r.concurrency}${r.scale === 1 ? "" : `, k = ${r.scale}`}`;

async function runEstate(plan: EstatePlan, config: Config, shared: Shared): Promise<EstateRun> {
  const { spec } = plan;
  const estate = buildEstate(spec);
  const run: EstateRun = { spec, items: estate.counts, itemsPerSubscription: itemsPerSubscription(estate), ours: [] };
  for (const r of plan.runs) {
    seed(shared.emulator, estate, plan.pace, r.scale);
    process.stderr.write(`bench: ${estateTitle(spec)} at ${plan.pace} pace, ${labelOf(r)}…\n`);
    const product = r.product === "bundle" ? ["--product", shared.bundle] : [];
    const out = await runSweepChild({ root: ROOT, args: ["--mode", "sweep", "--ca-file", shared.caFile, "--scale", String(r.scale), ...product], env: childEnv(shared, r.concurrency), timeoutMs: RUN_TIMEOUT_MS });
    const requests = shared.emulator.requests;
    const evaluationMs = requests.reduce((sum, q) => sum + (q.evaluationMs ?? 0), 0);
    const result = { ...out.result, wallMs: out.result.wallMs * r.scale };
    const ours: OursRun = { label: labelOf(r), scale: r.scale, concurrency: r.concurrency, result, wire: wireStats(requests, estate), phases: phasesOf(requests, r.scale), evaluationMs, logLines: out.logLines, firstLogLines: out.firstLogLines };
    run.ours.push(ours);
    process.stderr.write(`bench:   ${(result.wallMs / 1000).toFixed(1)} s (× ${r.scale}), ${result.totals.triggered ?? 0} triggered, ${ours.wire.writes429} 429s, ${Math.round(result.maxRssMb)} MB\n`);
  }
  if (plan.baseline) {
    seed(shared.emulator, estate, plan.pace, 1);
    const sample = Math.min(config.sample, spec.items);
    process.stderr.write(`bench: ${estateTitle(spec)}, runbook baseline on ${sample} items…\n`);
    const out = await runBaselineChild({
      root: ROOT,
      args: ["--mode", "baseline", "--ca-file", shared.caFile, "--sample", String(sample)],
      env: childEnv(shared, 1),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const { result } = out;
    const extrapolated = result.processed < result.rows;
    const estimatedMs = result.argMs + (result.processed === 0 ? 0 : (result.itemsMs * result.rows) / result.processed);
    const baseline: BaselineRun = { result, wire: wireStats(shared.emulator.requests, estate), estimatedMs, extrapolated };
    run.baseline = baseline;
    process.stderr.write(`bench:   ${(estimatedMs / 1000).toFixed(1)} s${extrapolated ? " (extrapolated)" : ""}\n`);
  }
  return run;
}

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- machine: ${os.availableParallelism()} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `- node ${process.version}; date ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  ];
}

function settingsLines(config: Config): string[] {
  return [
    `- command: \`${config.command}\``,
    `- ARM pace: ${ARM_PACE.latencyMs} ms per answer, operation status InProgress ${ARM_PACE.pollsBeforeDone}× before naming the job, Retry-After ${ARM_PACE.retryAfterSeconds} s; service pace: ${SERVICE_PACE.latencyMs}-${SERVICE_PACE.latencyMaxMs} ms per answer (uniform), the job named at poll 1 to ${SERVICE_PACE.pollsBeforeDoneMax + 1}, Retry-After ${SERVICE_PACE.retryAfterSeconds} s; both: write token bucket ${WRITE_BUCKET.burst} burst, ${WRITE_BUCKET.refillPerSecond}/s refill per subscription (429 + Retry-After); ARG quota ${ARG_QUOTA.perWindow} queries per ${ARG_QUOTA.windowMs / 1000} s`,
    "- time scale k (columns marked k = …): latency, Retry-After and the ARG window / k, the bucket refill × k, the product's retry waits and operation bounds / k (its write pacer's refill × k); times shown × k",
    `- our sweep: shipped queries, RETRY_MAX_PER_RUN / RETRY_MAX_PER_SUBSCRIPTION 100000, LOG_LEVEL warn, product defaults otherwise (RETRY_CONCURRENCY default ${DEFAULTS.concurrency}); bundle: bench/entry.ts built with the function app's esbuild options; runbook sample ${config.sample} items`,
  ];
}

function importLines(cold: ColdImport): string[] {
  const over = cold.bundleMs - cold.bareMs;
  return table(
    ["figure", "target", "bare node", "node + import of dist/index.js", "over bare"],
    [[`cold start, whole process, median of ${cold.runs}`, "≤ 100 ms over bare", seconds(cold.bareMs, 3), `${seconds(cold.bundleMs, 3)} (${int(cold.bundleBytes / 1024)} KB bundle)`, `${Math.round(over)} ms ${mark(over <= 100)}`]],
  );
}

function render(runs: { plan: EstatePlan; run: EstateRun }[], cold: ColdImport, config: Config, limits: Limits): string[] {
  const arm = runs.filter((r) => r.plan.pace === "arm").map((r) => r.run);
  const out = ["### Cold import of the bundle", "", ...importLines(cold), "", "### Summary (ARM pace, 100 ms)", "", ...summaryTable(arm, limits), ""];
  for (const { plan, run } of runs) {
    const busiest = Math.max(...run.itemsPerSubscription);
    const throttled = busiest > limits.burst ? `; ${busiest.toLocaleString("en-US")} items in one subscription, over the write bucket's burst of ${limits.burst}` : "";
    const title = `### ${estateTitle(run.spec)} at ${plan.pace === "arm" ? "ARM pace" : "service pace"} (${run.items.recoveryServices.toLocaleString("en-US")} RS + ${run.items.dataProtection.toLocaleString("en-US")} DP${throttled})`;
    const body =
      plan.pace === "arm"
        ? estateTable(run, limits)
        : servicePaceTable(run, { meanLatencyMs: (SERVICE_PACE.latencyMs + SERVICE_PACE.latencyMaxMs) / 2, retryAfterSeconds: SERVICE_PACE.retryAfterSeconds, ...WRITE_BUCKET }, DEFAULTS);
    out.push(title, "", ...body, "");
    const notes = estateNotes(run);
    if (notes.length > 0) out.push(...notes, "");
  }
  out.push("### Run", "", ...machine(), ...settingsLines(config));
  return out;
}

async function writeReadme(lines: string[]): Promise<void> {
  const text = await readFile(README, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`bench: ${README} lacks the ${START} … ${END} markers`);
  await writeFile(README, `${text.slice(0, start + START.length)}\n${lines.join("\n")}\n${text.slice(end)}`);
}

async function main(): Promise<number> {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if ((major ?? 0) < 22 || (major === 22 && (minor ?? 0) < 18)) {
    console.error(`bench: needs Node 22.18 or newer (this is ${process.version}); run it with npm run bench`);
    return 2;
  }
  let config: Config | undefined;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (config === undefined) {
    console.log(USAGE);
    return 0;
  }
  const limits: Limits = { latencyMs: ARM_PACE.latencyMs, ...WRITE_BUCKET };
  const emulator = await startEmulator({ argQuota: ARG_QUOTA, writeBucket: WRITE_BUCKET });
  const work = await mkdtemp(path.join(os.tmpdir(), "rfb-bench-"));
  const queriesDir = path.join(ROOT, "queries");
  try {
    const caFile = path.join(work, "ca.pem");
    await writeFile(caFile, emulator.ca);
    const started = Date.now();
    // What ships: the function app's bundle for the cold import, and the bench entry bundled with the same options.
    const app = await buildBundle({ outfile: path.join(work, "app", "index.js") });
    const bundle = (await buildBundle({ entryPoint: "bench/entry.ts", outfile: path.join(work, "bench", "entry.js") })).outfile;
    process.stderr.write(`bench: cold import, ${config.importRuns} runs each…\n`);
    const cold = await coldImport(app.outfile, app.bytes, config.importRuns);
    const runs: { plan: EstatePlan; run: EstateRun }[] = [];
    for (const plan of config.plans) runs.push({ plan, run: await runEstate(plan, config, { emulator, caFile, queriesDir, bundle }) });
    const lines = render(runs, cold, config, limits);
    lines.push(`- whole bench: ${((Date.now() - started) / 1000).toFixed(0)} s (budget: 600 s on a 2-core machine)`);
    console.log(lines.join("\n"));
    if (config.writeReadme) {
      await writeReadme(lines);
      console.error(`bench: results written to ${path.relative(process.cwd(), README)}`);
    }
    return 0;
  } finally {
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
