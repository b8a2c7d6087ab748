import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PinoPretty } from "pino-pretty";
import type { DestinationStream } from "pino";
import { loadSettings, type Settings } from "./settings.ts";
import { SettingsError, messageOf } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { createCredential } from "./azure/credential.ts";
import { sweep, type SweepOptions } from "./sweep.ts";
import { exitCodeOf, renderReport, type Report } from "./report.ts";
import { loadQueries } from "./queries/load.ts";
import { lineColumn, prepareQuery } from "./queries/prepare.ts";

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

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

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
      case "demo":
        return await demoCommand(rest, io);
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
function cliLogger(settings: Settings, io: CliIo, json: boolean): Logger {
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

function printReport(report: Report, io: CliIo, json: boolean): number {
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
  const maxRetries = positiveInt("max-retries", values["max-retries"]);
  await requireFolder(values["queries-dir"], settings.queriesDir);
  const options: SweepOptions = {
    trigger: "cli",
    settings,
    credential: createCredential({ kind: "default", ...(settings.clientId === undefined ? {} : { clientId: settings.clientId }) }),
    logger: cliLogger(settings, io, json),
    ...(values["dry-run"] === true ? { dryRun: true } : {}),
    ...(values.query === undefined ? {} : { queries: values.query }),
    ...(subscriptions.length === 0 ? {} : { subscriptions }),
    ...(maxRetries === undefined ? {} : { maxRetries }),
    ...(values["queries-dir"] === undefined ? {} : { queriesDir: values["queries-dir"] }),
  };
  return printReport(await sweep(options), io, json);
}

async function checkQueriesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...HELP, "queries-dir": { type: "string" }, query: { type: "string", multiple: true } });
  if (values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  const dir = values["queries-dir"] ?? (io.env.RETRY_QUERIES_DIR?.trim() || "queries");
  const names = values.query;
  const loaded = await loadQueries({ dir, ...(names === undefined ? {} : { names }) });
  for (const error of loaded.errors) io.stderr(`${error.file}: error ${error.code}: ${error.message}\n`);
  const { checkQueries, formatCheckReport } = await import("./queries/check.ts");
  const report = await checkQueries(loaded.queries);
  io.stdout(formatCheckReport(report) + "\n");
  return loaded.errors.length > 0 || report.files.some((f) => !f.ok) ? 1 : 0;
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
  const dir = values["queries-dir"] ?? (io.env.RETRY_QUERIES_DIR?.trim() || "queries");
  const loaded = await loadQueries({ dir, names: [name] });
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

async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...HELP, json: { type: "boolean" }, "queries-dir": { type: "string" } });
  if (values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  const json = values.json === true;
  const { startEmulator } = await import("../emulator/index.ts");
  const { demoEstate, describeHistory, seedEstate } = await import("../emulator/estate.ts");
  const queriesDir = path.resolve(values["queries-dir"] ?? path.join(ROOT, "queries"));
  const emulator = await startEmulator();
  try {
    const now = new Date();
    const estate = demoEstate(now);
    seedEstate(emulator, estate);
    // The managed-identity source is chosen once per process: point it at the emulator before any credential exists.
    Object.assign(process.env, { IDENTITY_ENDPOINT: emulator.identityEndpoint, IDENTITY_HEADER: emulator.identityHeader });
    const settings = loadSettings({ ...io.env, AZURE_RESOURCE_MANAGER_ENDPOINT: emulator.url, RETRY_SUBSCRIPTIONS: "", RETRY_MANAGEMENT_GROUPS: "", RETRY_QUERIES_DIR: queriesDir, AZURE_CLIENT_ID: "" });
    if (!json) {
      io.stdout(
        `Demo: no Azure here, so this sweep runs against the embedded local ARM at ${emulator.url}: three subscriptions of backup\n` +
          `jobs, both vault kinds, every workload, judged by the rules in ${path.relative(process.cwd(), queriesDir) || "."}. Edit a tunable there and run it again.\n` +
          "For a real tenant: az login, then npx retry-failed-backups sweep --dry-run\n\n",
      );
    }
    const report = await sweep({
      trigger: "cli",
      settings,
      credential: createCredential({ kind: "managedIdentity" }),
      logger: cliLogger(settings, io, json),
      tlsCa: emulator.ca,
      retry: { baseDelayMs: 50, maxDelayMs: 200 },
      operation: { maxPollIntervalMs: 200 },
    });
    if (!json) {
      const outcome = (itemId: string) => {
        const action = report.actions.find((a) => a.itemId.toLowerCase() === itemId.toLowerCase());
        if (action === undefined) return "left alone (no rule returned it)";
        const why = action.waitReason ?? action.error?.code ?? (action.outcome === "exhausted" ? `${action.attempts ?? "?"} attempts` : undefined);
        return `${action.outcome}${why === undefined ? "" : ` (${why})`}`;
      };
      const width = Math.max(...estate.cases.map((c) => c.label.length));
      io.stdout(`What the rules decided, item by item (history -> outcome):\n${estate.cases.map((c) => `  ${c.label.padEnd(width)}  ${describeHistory(estate.jobs, c.itemId, now)} -> ${outcome(c.itemId)}`).join("\n")}\n\n`);
    }
    printReport(report, io, json);
    return 0;
  } finally {
    await emulator.close();
  }
}
