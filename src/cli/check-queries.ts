import { queriesDirOf } from "../settings.ts";
import { listOf, parseFlags } from "./args.ts";
import type { Command } from "./io.ts";

export const checkQueriesCommand: Command = {
  usage: "retry-failed-backups check-queries [--queries-dir DIR] [--rule NAME[,NAME]]...",
  summary: "Checks the rule files offline: each file's tunables and the text it produces.",
  examples: ["retry-failed-backups check-queries", "retry-failed-backups check-queries --queries-dir ./my-rules --rule recovery-services"],
  async run(args, io) {
    const { values } = parseFlags(args, { "queries-dir": { type: "string" }, rule: { type: "string", multiple: true }, query: { type: "string", multiple: true } });
    if (values.query !== undefined) io.stderr("retry-failed-backups: --query is now --rule (it names a rule file, not a JMESPath query); use --rule\n");
    // Loaded only here: the Kusto checker is 31 MB and the other commands do not need it.
    const { runCheckQueriesCommand } = await import("../queries/check.ts");
    return runCheckQueriesCommand({ dir: values["queries-dir"] ?? queriesDirOf(io.env), names: listOf([...(values.rule ?? []), ...(values.query ?? [])]), write: io.stdout });
  },
};
