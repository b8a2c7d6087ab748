import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { closest, messageOf } from "../core/index.ts";
import { UsageError } from "./io.ts";

/** parseArgs, with "did you mean" for an unknown flag. */
export function parseFlags<T extends ParseArgsOptionsConfig>(args: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (error) {
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(messageOf(error))?.[1];
    if (unknown === undefined) throw new UsageError(messageOf(error));
    const near = closest(unknown.replace(/^-+/, ""), Object.keys(options));
    throw new UsageError(`unknown option ${unknown}${near === undefined ? "" : `; did you mean --${near}?`}`);
  }
}

/** Repeated flags and comma lists alike: `--rule a,b --rule c`. */
export function listOf(values: readonly string[] | undefined): string[] | undefined {
  const items = (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  return items.length === 0 ? undefined : [...new Set(items)];
}

const OUTPUTS = ["table", "json"];

/** `-o/--output table|json`, `--json` its shorthand. */
export function isJson(output: string | undefined, json: boolean | undefined): boolean {
  if (output === undefined) return json === true;
  if (!OUTPUTS.includes(output)) {
    const near = closest(output, OUTPUTS);
    throw new UsageError(`--output must be table or json, got "${output}"${near === undefined ? "" : `; did you mean ${near}?`}`);
  }
  if (json === true && output !== "json") throw new UsageError("--json and --output table contradict each other; give one");
  return output === "json";
}
