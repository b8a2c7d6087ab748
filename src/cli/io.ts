import { stat } from "node:fs/promises";
import { SettingsError, type Report } from "../core/index.ts";
import { createLogger, type Logger } from "../log.ts";
import { exitCodeOf, renderReport } from "../report/index.ts";
import type { Settings } from "../settings.ts";
import { logDestination, statusLine, type StatusLine } from "./terminal.ts";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** stderr is a terminal: progress, one-line logs, colours. */
  isTTY: boolean;
  /** stdin is a terminal: a sweep asks before it writes. */
  stdinTTY?: boolean;
  /** Asks on stderr and reads one line of stdin. */
  ask?: (question: string) => Promise<string>;
  /** The first Ctrl-C. */
  signal?: AbortSignal;
}

/** Bad usage: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

/** A problem found before any write (no credential, an unreachable endpoint, an unknown rule): one line, exit 2. */
export class CliStop extends Error {}

/** One command: its usage line and what it does with the rest of the arguments. */
export interface Command {
  usage: string;
  /** What it does, for `help COMMAND`. */
  summary?: string;
  /** Command lines shown by `COMMAND --help`. */
  examples?: string[];
  /** `usage` is the whole tool's usage, printed for --help. */
  run: (args: string[], io: CliIo, usage: string) => Promise<number>;
}

/** LOG_LEVEL wins; otherwise the table already lists every action, so text mode logs warnings only. */
export function cliLogger(settings: Settings, io: CliIo, json: boolean, status: StatusLine = statusLine(io, false), color = false): Logger {
  const explicit = io.env.LOG_LEVEL !== undefined && io.env.LOG_LEVEL.trim() !== "";
  return createLogger({ level: explicit ? settings.logLevel : json ? "info" : "warn", destination: logDestination(io, status, color) });
}

export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100_000) throw new UsageError(`--${name} must be a whole number from 1 to 100000, got "${value}"`);
  return Number(value);
}

/** A queries folder that is not there is a bad setting (exit 2), not a failed run. */
export async function requireFolder(flag: string | undefined, setting: string): Promise<void> {
  const dir = flag ?? setting;
  const isFolder = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (isFolder) return;
  if (flag !== undefined) throw new UsageError(`--queries-dir "${flag}" is not a folder; give the folder holding your .kql files`);
  throw new SettingsError([`RETRY_QUERIES_DIR=${JSON.stringify(setting)} is not a folder; set it to the folder holding your .kql files.`]);
}

export function printReport(report: Report, io: CliIo, json: boolean, color = false): number {
  io.stdout(json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report, { color }) + "\n");
  return exitCodeOf(report);
}
