// Cold import of the function app's bundle against a bare Node start, whole process each (start-up, import, exit),
// in turns so drift hits both alike, after one warm-up each so both read from the page cache.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

export interface ColdImport {
  runs: number;
  bareMs: number;
  bundleMs: number;
  bundleBytes: number;
}

function once(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // stderr carries @azure/functions' "test mode" warnings (no worker here).
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? "" }, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(" ")} exited ${code}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function coldImport(bundle: string, bundleBytes: number, runs: number): Promise<ColdImport> {
  const bare = ["-e", ""];
  const imported = ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(bundle).href)});`];
  await once(bare);
  await once(imported);
  const bareMs: number[] = [];
  const bundleMs: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    bareMs.push(await once(bare));
    bundleMs.push(await once(imported));
  }
  return { runs, bareMs: median(bareMs), bundleMs: median(bundleMs), bundleBytes };
}
