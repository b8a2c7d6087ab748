import path from "node:path";
import { lineColumn, loadQueries, prepareQuery } from "../queries/index.ts";
import { queriesDirOf } from "../settings.ts";
import { parseFlags } from "./args.ts";
import { UsageError, type Command } from "./io.ts";

/** `show-query NAME`: exactly the text the sweep sends for that rule, to paste into Resource Graph Explorer. */
export const showQueryCommand: Command = {
  usage: "retry-failed-backups show-query NAME [--queries-dir DIR]",
  summary: "Prints exactly the text the sweep sends for a rule, to paste into Resource Graph Explorer.",
  examples: ["retry-failed-backups show-query recovery-services", "retry-failed-backups show-query backup-vault --queries-dir ./my-rules"],
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { "queries-dir": { type: "string" } }, true);
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
  },
};
