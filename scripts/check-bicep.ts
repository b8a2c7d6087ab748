// Compiles and lints every .bicep file with the pinned Bicep CLI (scripts/bicep-cli.ts): `bicep lint` with the rules
// of infra/bicepconfig.json and `bicep build`, which checks resource types, API versions and property names.
//
//   node scripts/check-bicep.ts [file-or-folder ...]      (default: infra)
//
// Prints `file:line:column: level code: message` per diagnostic and exits 1 on any of them, warnings included:
// Bicep reports a misspelt property, a wrong value type or an unknown API version as a warning and still emits a
// template that Azure would refuse. Without dotnet it skips (exit 0) outside CI and fails in CI (CI=true).
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bicepCli, compileBicep, formatDiagnostic, pinnedVersion } from "./bicep-cli.ts";

/** Every .bicep file under the given files or folders, sorted. */
export async function findBicepFiles(roots: string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (entry: string): Promise<void> => {
    if ((await stat(entry)).isDirectory()) {
      for (const name of await readdir(entry)) {
        if (name !== "node_modules" && !name.startsWith(".")) await walk(path.join(entry, name));
      }
    } else if (entry.endsWith(".bicep")) {
      found.push(entry);
    }
  };
  for (const root of roots) await walk(root);
  return found.sort();
}

/** CI sets CI=true; there the check never skips. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  return /^(true|1)$/i.test(env.CI ?? "");
}

/** What to say, and the exit code, when the compiler cannot run here. */
export function whenUnavailable(reason: string, env: NodeJS.ProcessEnv): { exitCode: 0 | 1; line: string } {
  if (isCi(env)) {
    return { exitCode: 1, line: `check-bicep: ${reason}. CI must compile and lint the templates: the build machine needs the .NET SDK (dotnet on PATH).` };
  }
  return {
    exitCode: 0,
    line:
      `check-bicep: skipped: ${reason}. CI compiles and lints every template with Bicep CLI ${pinnedVersion()}; to do it here, install ` +
      "the .NET SDK, or get the compiler with `az bicep install` and run `az bicep build --file infra/main.bicep`, " +
      "`az bicep build --file infra/management-group.bicep` and `az bicep lint --file infra/main.bicep`.",
  };
}

async function main(args: string[]): Promise<number> {
  const roots = args.length > 0 ? args : ["infra"];
  const files = await findBicepFiles(roots);
  if (files.length === 0) {
    console.error(`check-bicep: no .bicep files under ${roots.join(", ")}`);
    return 1;
  }
  const cli = bicepCli();
  if (cli.kind === "unavailable") {
    const verdict = whenUnavailable(cli.reason, process.env);
    (verdict.exitCode === 0 ? console.log : console.error)(verdict.line);
    return verdict.exitCode;
  }
  const lines = roots.flatMap((root) => {
    const { diagnostics, otherOutput } = compileBicep(cli, root);
    return [...diagnostics.map(formatDiagnostic), ...otherOutput.map((line) => `${root}: bicep: ${line}`)];
  });
  for (const line of lines) console.error(line);
  if (lines.length > 0) {
    console.error(`check-bicep: ${lines.length} diagnostic(s) in ${files.length} file(s); warnings fail too (Bicep CLI ${cli.version})`);
    return 1;
  }
  console.log(`check-bicep: ${files.length} file(s) compile and lint without a diagnostic (Bicep CLI ${cli.version}: bicep build, bicep lint)`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`check-bicep: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
