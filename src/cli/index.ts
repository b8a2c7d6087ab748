import { messageOf, SettingsError } from "../core/index.ts";
import { checkQueriesCommand } from "./check-queries.ts";
import { UsageError, type CliIo, type Command } from "./io.ts";
import { runsCommand } from "./runs.ts";
import { showQueryCommand } from "./show-query.ts";
import { sweepCommand } from "./sweep.ts";

export { cliLogger, printReport, type CliIo } from "./io.ts";

/** Every command, by name: adding one is a file in this folder and a line here. */
const COMMANDS: Record<string, Command> = {
  sweep: sweepCommand,
  "check-queries": checkQueriesCommand,
  "show-query": showQueryCommand,
  runs: runsCommand,
};

const USAGE = `Usage:
${[...Object.values(COMMANDS).map((c) => c.usage), "retry-failed-backups demo [--json] [--queries-dir DIR]"].map((u) => `  ${u}`).join("\n")}

Settings come from the environment (see README "Settings"). Exit codes: 0 ok, 1 some action or query failed, 2 bad usage or settings.`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "help" || command === "--help" || command === "-h") {
      io.stdout(USAGE + "\n");
      return 0;
    }
    const found = command === undefined ? undefined : Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (found === undefined) throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
    return await found.run(rest, io, USAGE);
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
