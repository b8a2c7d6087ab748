import { queriesDirOf } from "../settings.ts";
import { HELP, parse, type Command } from "./io.ts";

export const checkQueriesCommand: Command = {
  usage: "retry-failed-backups check-queries [--queries-dir DIR] [--query NAME]...",
  async run(args, io, usage) {
    const { values } = parse(args, { ...HELP, "queries-dir": { type: "string" }, query: { type: "string", multiple: true } });
    if (values.help) {
      io.stdout(usage + "\n");
      return 0;
    }
    // Loaded only here: the Kusto checker is 31 MB and the other commands do not need it.
    const { runCheckQueriesCommand } = await import("../queries/check.ts");
    return runCheckQueriesCommand({ dir: values["queries-dir"] ?? queriesDirOf(io.env), names: values.query, write: io.stdout });
  },
};
