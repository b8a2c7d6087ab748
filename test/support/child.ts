// Runs the real CLI in a child process, with the loopback-only guard loaded into it and a clean
// environment: no Azure variable of the machine leaks in, and no socket leaves loopback.
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const GUARD = path.join(ROOT, "test", "setup", "loopback-only.ts");

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** PEM written to a temp file, for NODE_EXTRA_CA_CERTS. */
export function caFile(pem: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "rfb-ca-")), "ca.pem");
  writeFileSync(file, pem);
  return file;
}

/** `interruptOn`: Ctrl-C (SIGINT) the first time stderr contains it. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000, interruptOn?: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "retry-failed-backups.js"), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), NODE_OPTIONS: `--import=${GUARD}`, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    let interrupted = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (interruptOn !== undefined && !interrupted && stderr.includes(interruptOn)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
