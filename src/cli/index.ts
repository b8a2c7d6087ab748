import { readFileSync } from "node:fs";
import { closest, messageOf, SettingsError } from "../core/index.ts";
import { checkQueriesCommand } from "./check-queries.ts";
import { doctorCommand } from "./doctor.ts";
import { CliStop, UsageError, type CliIo, type Command } from "./io.ts";
import { runsCommand } from "./runs.ts";
import { showQueryCommand } from "./show-query.ts";
import { sweepCommand } from "./sweep.ts";

export { cliLogger, printReport, type CliIo } from "./io.ts";
export { processIo } from "./terminal.ts";

/** Every command, by name: adding one is a file in this folder and a line here. */
const COMMANDS: Record<string, Command> = {
  sweep: sweepCommand,
  "check-queries": checkQueriesCommand,
  "show-query": showQueryCommand,
  doctor: doctorCommand,
  runs: runsCommand,
};

const DEMO = "retry-failed-backups demo [--json] [--queries-dir DIR]";

const USAGE = `Usage:
${[...Object.values(COMMANDS).map((c) => c.usage), DEMO, "retry-failed-backups help COMMAND | --version"].map((u) => `  ${u}`).join("\n")}

Settings come from the environment (see README "Settings"). Exit codes: 0 ok, 1 some action or query failed, 2 bad usage or settings, 130 stopped by Ctrl-C.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function helpOf(name: string, command: Command): string {
  return [`Usage: ${command.usage}`, "", ...(command.summary === undefined ? [] : [command.summary, ""]), ...(command.examples === undefined ? [] : ["Examples:", ...command.examples.map((e) => `  ${e}`), ""]), `See README "Command line". Exit codes: 0 ok, 1 some action or query failed, 2 bad usage or settings, 130 stopped by Ctrl-C (${name}).`].join("\n");
}

function commandOf(name: string | undefined): [string, Command] {
  if (name === undefined) throw new UsageError("no command given");
  if (Object.hasOwn(COMMANDS, name)) return [name, COMMANDS[name] as Command];
  const near = closest(name, [...Object.keys(COMMANDS), "demo", "help"]);
  throw new UsageError(`unknown command "${name}"${near === undefined ? "" : `; did you mean "${near}"?`}`);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "--version" || command === "-V") {
      io.stdout(`retry-failed-backups ${version()}\n`);
      return 0;
    }
    if (command === "help" || command === "--help" || command === "-h") {
      if (rest[0] === undefined) io.stdout(USAGE + "\n");
      else io.stdout(helpOf(...commandOf(rest[0])) + "\n");
      return 0;
    }
    const [name, found] = commandOf(command);
    const flags = rest.slice(0, rest.includes("--") ? rest.indexOf("--") : undefined);
    if (flags.includes("--help") || flags.includes("-h")) {
      io.stdout(helpOf(name, found) + "\n");
      return 0;
    }
    return await found.run(rest, io, USAGE);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`retry-failed-backups: ${error.message}\n${command !== undefined && Object.hasOwn(COMMANDS, command) ? `Run retry-failed-backups ${command} --help for its usage.` : "Run retry-failed-backups help for the commands."}\n`);
      return 2;
    }
    if (error instanceof CliStop) {
      io.stderr(`retry-failed-backups: ${error.message}\n`);
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
