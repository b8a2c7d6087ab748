import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { stat } from "node:fs/promises";
import { PinoPretty } from "pino-pretty";
import type { DestinationStream } from "pino";
import { messageOf, SettingsError, type Report } from "../core/index.ts";
import { createLogger, type Logger } from "../log.ts";
import { exitCodeOf, renderReport } from "../report/index.ts";
import type { Settings } from "../settings.ts";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

/** Bad usage: printed with the usage, exit 2. */
export class UsageError extends Error {}

/** One command: its usage line and what it does with the rest of the arguments. */
export interface Command {
  usage: string;
  /** `usage` is the whole tool's usage, printed for --help. */
  run: (args: string[], io: CliIo, usage: string) => Promise<number>;
}

export const HELP = { help: { type: "boolean", short: "h" } } as const;

export function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

export function parseWithPositionals<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

function logDestination(io: CliIo, pretty: boolean): DestinationStream {
  if (pretty) return PinoPretty({ destination: 2, colorize: true, sync: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" });
  return { write: (line: string) => io.stderr(line) };
}

/** LOG_LEVEL wins; otherwise the table already lists every action, so text mode logs warnings only. */
export function cliLogger(settings: Settings, io: CliIo, json: boolean): Logger {
  const explicit = io.env.LOG_LEVEL !== undefined && io.env.LOG_LEVEL.trim() !== "";
  return createLogger({ level: explicit ? settings.logLevel : json ? "info" : "warn", destination: logDestination(io, io.isTTY) });
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

export function printReport(report: Report, io: CliIo, json: boolean): number {
  io.stdout(json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report) + "\n");
  return exitCodeOf(report);
}
