import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { stat } from "node:fs/promises";
import path from "node:path";
import { PinoPretty } from "pino-pretty";
import type { DestinationStream } from "pino";
import { connectArm, createCredential } from "./azure/index.ts";
import { messageOf, SettingsError, type Report } from "./core/index.ts";
import { createLogger, type Logger } from "./log.ts";
import { lineColumn, loadQueries, prepareQuery } from "./queries/index.ts";
import { exitCodeOf, renderReport } from "./report/index.ts";
import { loadSettings, queriesDirOf, type Settings } from "./settings.ts";
import { sweep } from "./sweep.ts";

const USAGE = `Usage:
  retry-failed-backups sweep [--dry-run] [--query NAME]... [--subscription ID]... [--max-retries N] [--queries-dir DIR] [--json]
  retry-failed-backups check-queries [--queries-dir DIR] [--query NAME]...
  retry-failed-backups show-query NAME [--queries-dir DIR]
  retry-failed-backups demo [--json] [--queries-dir DIR]

Settings come from the environment (see README "Settings"). Exit codes: 0 ok, 1 some action or query failed, 2 bad usage or settings.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

class UsageError extends Error {}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "sweep":
        return await sweepCommand(rest, io);
      case "check-queries":
        return await checkQueriesCommand(rest, io);
      case "show-query":
        return await showQueryCommand(rest, io);
      case "help":
      case "--help":
      case "-h":
        io.stdout(USAGE + "\n");
        return 0;
      default:
        throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`retry-failed-backups: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof SettingsError) {
      io.stderr(`retry-failed-backups: invalid settings:\n${error.problems.map((p) => `  - ${p}`).join("\n")}\n`);
      return 2;
    }
    io.stderr(`retry-failed-backups: ${messageOf(error)}\n`);
    return 1;
  }
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

function parseWithPositionals<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
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

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100_000) throw new UsageError(`--${name} must be a whole number from 1 to 100000, got "${value}"`);
  return Number(value);
}

/** A queries folder that is not there is a bad setting (exit 2), not a failed run. */
async function requireFolder(flag: string | undefined, setting: string): Promise<void> {
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

async function sweepCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...HELP,
    "dry-run": { type: "boolean" },
    query: { type: "string", multiple: true },
    subscription: { type: "string", multiple: true },
    "max-retries": { type: "string" },
    "queries-dir": { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  const settings = loadSettings(io.env);
  const json = values.json === true;
  const subscriptions = values.subscription ?? [];
  const bad = subscriptions.filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
  if (bad.length > 0) throw new UsageError(`--subscription must be a subscription id (GUID), got ${bad.map((b) => `"${b}"`).join(", ")}`);
  const maxBackups = positiveInt("max-retries", values["max-retries"]);
  await requireFolder(values["queries-dir"], settings.queriesDir);
  const arm = connectArm({ credential: createCredential({ kind: "default", clientId: settings.clientId }), endpoint: settings.armEndpoint });
  const report = await sweep({
    trigger: "cli",
    settings: { ...settings, queriesDir: values["queries-dir"] ?? settings.queriesDir },
    arm,
    logger: cliLogger(settings, io, json),
    overrides: { dryRun: values["dry-run"] === true ? true : undefined, rules: values.query, subscriptions: subscriptions.length === 0 ? undefined : subscriptions, maxBackups },
  });
  return printReport(report, io, json);
}

async function checkQueriesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...HELP, "queries-dir": { type: "string" }, query: { type: "string", multiple: true } });
  if (values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  const { runCheckQueriesCommand } = await import("./queries/check.ts");
  return runCheckQueriesCommand({ dir: values["queries-dir"] ?? queriesDirOf(io.env), names: values.query, write: io.stdout });
}

/** `show-query NAME`: exactly the text the sweep sends for that rule, to paste into Resource Graph Explorer. */
async function showQueryCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseWithPositionals(args, { ...HELP, "queries-dir": { type: "string" } });
  if (values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new UsageError("show-query takes one rule name, e.g. show-query recovery-services");
  const loaded = await loadQueries({ dir: values["queries-dir"] ?? queriesDirOf(io.env), names: [name] });
  const unknown = loaded.errors.find((e) => e.code === "UnknownQuery" || e.code === "QueriesDirUnreadable");
  if (unknown !== undefined) throw new UsageError(unknown.message);
  for (const error of loaded.errors) io.stderr(`${error.file}: error ${error.code}: ${error.message}\n`);
  const [query] = loaded.queries;
  if (query === undefined) return 1;
  const prepared = prepareQuery(query.text);
  if (!prepared.ok) {
    for (const p of prepared.problems) {
      const { line, column } = lineColumn(query.text, p.at);
      io.stderr(`${path.relative(process.cwd(), query.path)}:${line}:${column}: error ${p.code}: ${p.message}\n`);
    }
    return 1;
  }
  io.stdout(`${prepared.query.text}\n`);
  return 0;
}
