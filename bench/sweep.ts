// npm run bench [-- --quick] [-- --latency MS] ...
// Drives the real sweep (the CLI's code path, each run in its own process) against the local ARM
// emulator with ARM-like latency, write throttling and Resource Graph quota, next to the runbook's
// sequential algorithm, and prints one table per estate with the targets. See bench/README.md.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { runBaselineChild, runSweepChild } from "./child.ts";
import { buildEstate, itemsPerSubscription, type Estate, type EstateSpec } from "./estate.ts";
import { estateNotes, estateTable, estateTitle, phasesOf, summaryTable, type BaselineRun, type EstateRun, type Limits, type OursRun } from "./figures.ts";
import { wireStats } from "./requests.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = path.join(ROOT, "bench", "README.md");
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

const USAGE = `usage: npm run bench -- [--quick] [--latency MS] [--estates 100x1,1000x10,...] [--concurrency 8,32]
                      [--sample N] [--polls N] [--retry-after S] [--no-baseline] [--write-readme]
  --quick          100x1 and 1000x10 only (about a minute)
  --latency MS     added to every ARM answer (default 100)
  --estates LIST   items x subscriptions (default 100x1,1000x10,10000x100,1000x1)
  --concurrency    RETRY_CONCURRENCY values, one sweep each (default 8,32)
  --sample N       items the runbook baseline triggers before its time is extrapolated (default 50)
  --polls N        operation status answers InProgress N times before naming the job (default 1)
  --retry-after S  Retry-After on the 202s and the operation results (default 1)
  --no-baseline    skip the runbook baseline
  --write-readme   put the results into bench/README.md`;

interface Config {
  estates: EstateSpec[];
  concurrency: number[];
  sample: number;
  baseline: boolean;
  latencyMs: number;
  pollsBeforeDone: number;
  retryAfterSeconds: number;
  writeReadme: boolean;
  command: string;
}

const WRITE_BUCKET = { burst: 200, refillPerSecond: 10 };
const ARG_QUOTA = { perWindow: 15, windowMs: 5000 };
const RUN_TIMEOUT_MS = 900_000;

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
      latency: { type: "string" },
      estates: { type: "string" },
      concurrency: { type: "string" },
      sample: { type: "string" },
      polls: { type: "string" },
      "retry-after": { type: "string" },
      "no-baseline": { type: "boolean" },
      "write-readme": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return undefined;
  const quick = values.quick === true;
  const estates = (values.estates ?? (quick ? "100x1,1000x10" : "100x1,1000x10,10000x100,1000x1")).split(",").map((e) => {
    const match = /^(\d+)x(\d+)$/.exec(e.trim());
    if (match === null) throw new Error(`--estates takes ITEMSxSUBSCRIPTIONS entries such as 1000x10, got "${e}"`);
    const spec = { items: Number(match[1]), subscriptions: Number(match[2]) };
    if (spec.items < 1 || spec.subscriptions < 1 || spec.subscriptions > spec.items) throw new Error(`--estates: "${e}" needs 1 ≤ subscriptions ≤ items`);
    return spec;
  });
  const concurrency = (values.concurrency ?? "8,32").split(",").map((c) => wholeNumber("concurrency", c.trim(), 1));
  if (concurrency.some((c) => c > 64)) throw new Error("--concurrency values must be at most 64 (RETRY_CONCURRENCY's limit)");
  return {
    estates,
    concurrency,
    sample: wholeNumber("sample", values.sample ?? "50", 1),
    baseline: values["no-baseline"] !== true,
    latencyMs: wholeNumber("latency", values.latency ?? "100", 0),
    pollsBeforeDone: wholeNumber("polls", values.polls ?? "1", 0),
    retryAfterSeconds: wholeNumber("retry-after", values["retry-after"] ?? "1", 0),
    writeReadme: values["write-readme"] === true,
    command: ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
  };
}

function seed(emulator: Emulator, estate: Estate): void {
  emulator.reset();
  emulator.addJobs(estate.jobs);
}

interface Shared {
  emulator: Emulator;
  caFile: string;
  queriesDir: string;
}

function childEnv(shared: Shared, concurrency: number): Record<string, string> {
  return {
    AZURE_RESOURCE_MANAGER_ENDPOINT: shared.emulator.url,
    IDENTITY_ENDPOINT: shared.emulator.identityEndpoint,
    IDENTITY_HEADER: shared.emulator.identityHeader,
    RETRY_QUERIES_DIR: shared.queriesDir,
    // Caps high enough that nothing is deferred: the bench measures the whole wave.
    RETRY_MAX_PER_RUN: "100000",
    RETRY_MAX_PER_SUBSCRIPTION: "100000",
    RETRY_CONCURRENCY: String(concurrency),
    // The CLI's own level in text mode: per-action events (info) are not written.
    LOG_LEVEL: "warn",
  };
}

async function runEstate(spec: EstateSpec, config: Config, shared: Shared): Promise<EstateRun> {
  const estate = buildEstate(spec);
  const run: EstateRun = { spec, items: estate.counts, itemsPerSubscription: itemsPerSubscription(estate), ours: [] };
  for (const concurrency of config.concurrency) {
    seed(shared.emulator, estate);
    process.stderr.write(`bench: ${estateTitle(spec)}, our sweep at concurrency ${concurrency}…\n`);
    const out = await runSweepChild({ root: ROOT, args: ["--mode", "sweep", "--ca-file", shared.caFile], env: childEnv(shared, concurrency), timeoutMs: RUN_TIMEOUT_MS });
    const requests = shared.emulator.requests;
    const evaluationMs = requests.reduce((sum, r) => sum + (r.evaluationMs ?? 0), 0);
    const ours: OursRun = { concurrency, result: out.result, wire: wireStats(requests, estate), phases: phasesOf(requests), evaluationMs, logLines: out.logLines, firstLogLines: out.firstLogLines };
    run.ours.push(ours);
    process.stderr.write(`bench:   ${(out.result.wallMs / 1000).toFixed(1)} s, ${out.result.totals.triggered ?? 0} triggered, ${ours.wire.writes429} 429s, ${Math.round(out.result.maxRssMb)} MB\n`);
  }
  if (config.baseline) {
    seed(shared.emulator, estate);
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
    `- emulator: ${config.latencyMs} ms per ARM answer; write token bucket ${WRITE_BUCKET.burst} burst, ${WRITE_BUCKET.refillPerSecond}/s refill per subscription (429 + Retry-After); ARG quota ${ARG_QUOTA.perWindow} queries per ${ARG_QUOTA.windowMs / 1000} s; operation status InProgress ${config.pollsBeforeDone}× before naming the job; Retry-After ${config.retryAfterSeconds} s on 202s`,
    `- our sweep: shipped queries, RETRY_MAX_PER_RUN / RETRY_MAX_PER_SUBSCRIPTION 100000, LOG_LEVEL warn, product defaults for retries and operation polling; runbook sample ${config.sample} items`,
  ];
}

function render(runs: EstateRun[], config: Config, limits: Limits): string[] {
  const out = ["### Summary", "", ...summaryTable(runs, limits), ""];
  for (const run of runs) {
    const busiest = Math.max(...run.itemsPerSubscription);
    const throttled = busiest > limits.burst ? `; ${busiest.toLocaleString("en-US")} items in one subscription, over the write bucket's burst of ${limits.burst}` : "";
    out.push(`### ${estateTitle(run.spec)} (${run.items.recoveryServices.toLocaleString("en-US")} RS + ${run.items.dataProtection.toLocaleString("en-US")} DP${throttled})`, "", ...estateTable(run, limits), "");
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
  const limits: Limits = { latencyMs: config.latencyMs, ...WRITE_BUCKET };
  const emulator = await startEmulator({
    latencyMs: config.latencyMs,
    pollsBeforeDone: config.pollsBeforeDone,
    retryAfterSeconds: config.retryAfterSeconds,
    argQuota: ARG_QUOTA,
    writeBucket: WRITE_BUCKET,
  });
  const work = await mkdtemp(path.join(os.tmpdir(), "rfb-bench-"));
  const queriesDir = path.join(ROOT, "queries");
  try {
    const caFile = path.join(work, "ca.pem");
    await writeFile(caFile, emulator.ca);
    const started = Date.now();
    const runs: EstateRun[] = [];
    for (const spec of config.estates) {
      const run = await runEstate(spec, config, { emulator, caFile, queriesDir });
      runs.push(run);
    }
    const lines = render(runs, config, limits);
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
