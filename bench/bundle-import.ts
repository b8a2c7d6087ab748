// Cold import of the Functions entry: the esbuild bundle (dist/index.js, built fresh here) against the unbundled
// sources (src/functions/index.ts with node_modules, types stripped by Node), each in a new Node process, in turns.
// Run: node bench/bundle-import.ts [runs]. Prints a table; asserts nothing.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildBundle } from "../scripts/build.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Math.max(3, Math.min(100, Number(process.argv[2] ?? "10") || 10));

// Times only the import inside the child; "process" adds Node's own start-up and exit.
const CHILD = `const { performance } = await import("node:perf_hooks");
const started = performance.now();
await import(process.env.BENCH_TARGET);
process.stdout.write(JSON.stringify({ importMs: performance.now() - started }));`;

interface Sample {
  importMs: number;
  processMs: number;
}

function once(target: string): Promise<Sample> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", BENCH_TARGET: pathToFileURL(target).href };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // stderr carries @azure/functions' "test mode" warnings (no worker here); only stdout is read.
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { cwd: ROOT, env, stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`importing ${target} exited with ${code}`));
      resolve({ importMs: (JSON.parse(stdout) as { importMs: number }).importMs, processMs: performance.now() - started });
    });
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

function stats(values: number[]): { min: number; median: number; p90: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? NaN, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

const { outfile, bytes, metafile } = await buildBundle();
const variants = [
  { name: "bundle (dist/index.js)", target: outfile, detail: `${(bytes / 1024).toFixed(0)} KB, 1 file (${Object.keys(metafile.inputs).length} inputs)` },
  { name: "unbundled (src/functions/index.ts)", target: path.join(ROOT, "src", "functions", "index.ts"), detail: "sources + node_modules" },
];

// One warm-up each so both read from the page cache, then alternate so drift hits both alike.
for (const v of variants) await once(v.target);
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
for (let i = 0; i < RUNS; i += 1) {
  for (const v of variants) samples.get(v.name)?.push(await once(v.target));
}

const fmt = (ms: number) => ms.toFixed(1).padStart(8);
console.log(`Cold import of the Functions entry, ${RUNS} fresh processes each, Node ${process.version} (${process.platform}-${process.arch})`);
console.log("");
console.log(`${"variant".padEnd(36)} ${"import ms: min".padStart(14)} ${"median".padStart(8)} ${"p90".padStart(8)}   ${"process ms: median".padStart(18)}   size`);
const medians: number[] = [];
for (const v of variants) {
  const list = samples.get(v.name) ?? [];
  const imp = stats(list.map((s) => s.importMs));
  const proc = stats(list.map((s) => s.processMs));
  medians.push(imp.median);
  console.log(`${v.name.padEnd(36)} ${fmt(imp.min).padStart(14)} ${fmt(imp.median)} ${fmt(imp.p90)}   ${fmt(proc.median).padStart(18)}   ${v.detail}`);
}
const [bundled, unbundled] = medians;
if (bundled !== undefined && unbundled !== undefined) console.log(`\nunbundled / bundle (median import): ${(unbundled / bundled).toFixed(2)}x`);
