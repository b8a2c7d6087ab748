// Runs bench/run-one.ts in a child process and parses the JSON line it prints.
import { spawn } from "node:child_process";
import path from "node:path";
import { RunResultSchema, type BaselineRunResult, type SweepResult } from "./result.ts";

export interface ChildOptions {
  root: string;
  args: string[];
  /** Settings and the emulator's identity endpoint, on top of a cleaned environment. */
  env: Record<string, string>;
  timeoutMs: number;
}

export interface ChildOutput<T> {
  result: T;
  /** Log lines the run wrote at the configured level (warn and up): count and the first few. */
  logLines: number;
  firstLogLines: string[];
}

// Settings the bench sets itself; anything the caller's shell has for them must not leak in.
const CLEARED = ["RETRY_SUBSCRIPTIONS", "RETRY_MANAGEMENT_GROUPS", "AZURE_CLIENT_ID", "RETRY_DRY_RUN", "RETRY_EXPIRY_DAYS", "NODE_OPTIONS"];

function run(options: ChildOptions): Promise<ChildOutput<unknown>> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !CLEARED.includes(key)) env[key] = value;
  env.PATH = `${path.join(options.root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [path.join(options.root, "bench", "run-one.ts"), ...options.args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderrTail = "";
  let logLines = 0;
  const firstLogLines: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split("\n")) {
      if (line.trim() === "") continue;
      logLines += 1;
      if (firstLogLines.length < 3) firstLogLines.push(line.slice(0, 400));
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bench: run ${options.args.join(" ")} did not finish in ${options.timeoutMs / 1000} s; killed`));
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || line === "") {
        reject(new Error(`bench: run ${options.args.join(" ")} exited ${code}: ${stderrTail.trim()}`));
        return;
      }
      resolve({ result: JSON.parse(line) as unknown, logLines, firstLogLines });
    });
  });
}

export async function runSweepChild(options: ChildOptions): Promise<ChildOutput<SweepResult>> {
  const out = await run(options);
  const result = RunResultSchema.parse(out.result);
  if (result.mode !== "sweep") throw new Error("bench: expected a sweep result");
  return { ...out, result };
}

export async function runBaselineChild(options: ChildOptions): Promise<ChildOutput<BaselineRunResult>> {
  const out = await run(options);
  const result = RunResultSchema.parse(out.result);
  if (result.mode !== "baseline") throw new Error("bench: expected a baseline result");
  return { ...out, result };
}
