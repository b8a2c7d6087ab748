// The Bicep compiler at the version pinned in infra/bicep-cli.csproj, restored from NuGet once into
// node_modules/.cache/bicep-cli, and what it says. check:bicep and the infra tests share it, so both compile with
// the same binary. Nothing else is downloaded: `dotnet restore` fetches that one package.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { withoutHosts } from "./audit.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESTORE_PROJECT = path.join(ROOT, "infra", "bicep-cli.csproj");
const PACKAGE = "Azure.Bicep.CommandLine.linux-x64";

export type BicepCli = { kind: "ready"; binary: string; version: string } | { kind: "unavailable"; reason: string };

/** One diagnostic of `bicep build` or `bicep lint`; line and column are 1-based. */
export type Diagnostic = { file: string; line: number; column: number; level: "error" | "warning" | "info"; code: string; message: string };

/** What Bicep said about the files under one root, and the ARM JSON it emitted, keyed by path relative to the root. */
export type Compilation = { diagnostics: Diagnostic[]; otherOutput: string[]; templates: Map<string, unknown> };

/** The exact version in the restore project's PackageDownload. */
export function pinnedVersion(): string {
  const match = /<PackageDownload Include="Azure\.Bicep\.CommandLine\.linux-x64" Version="\[([0-9][^\]]*)\]"/.exec(readFileSync(RESTORE_PROJECT, "utf8"));
  if (match?.[1] === undefined) throw new Error(`infra/bicep-cli.csproj must pin one exact version of ${PACKAGE}: Version="[x.y.z]"`);
  return match[1];
}

const CACHE = path.join(ROOT, "node_modules", ".cache", "bicep-cli");

function platformProblem(): string | undefined {
  const platform = `${process.platform}-${process.arch}`;
  return platform === "linux-x64" ? undefined : `the pinned Bicep CLI package (${PACKAGE}) runs on linux-x64 only, not on ${platform}`;
}

/** The pinned CLI if it is restored already. The infra tests take it from here and restore nothing themselves. */
export function cachedBicepCli(cacheDir = CACHE): BicepCli {
  const problem = platformProblem();
  if (problem !== undefined) return { kind: "unavailable", reason: problem };
  const version = pinnedVersion();
  const folder = path.join(cacheDir, "packages", PACKAGE.toLowerCase(), version);
  // NuGet writes .nupkg.metadata last, so with it the package is whole, even when another process restored it.
  if (!existsSync(path.join(folder, ".nupkg.metadata"))) {
    return { kind: "unavailable", reason: `Bicep CLI ${version} is not restored yet: \`npm run check:bicep\` restores it (with dotnet)` };
  }
  const binary = path.join(folder, "tools", "bicep");
  // A package keeps no file modes: the binary may come out without its execute bit.
  if ((statSync(binary).mode & 0o111) !== 0o111) chmodSync(binary, 0o755);
  return { kind: "ready", binary, version };
}

/** The pinned CLI, restored from NuGet if it is not cached yet; unavailable, with the reason, where it cannot run. */
export function bicepCli(options: { cacheDir?: string; dotnet?: string } = {}): BicepCli {
  const cacheDir = options.cacheDir ?? CACHE;
  const cached = cachedBicepCli(cacheDir);
  if (cached.kind === "ready" || platformProblem() !== undefined) return cached;
  const missing = restore(options.dotnet ?? "dotnet", path.join(cacheDir, "packages"));
  return missing === undefined ? cachedBicepCli(cacheDir) : { kind: "unavailable", reason: missing };
}

/** Runs `dotnet restore` on the restore project; returns why it cannot when dotnet is missing, throws when it fails. */
function restore(dotnet: string, packages: string): string | undefined {
  // The project's obj/ goes to a folder of its own, so the work tree stays clean and parallel restores do not collide.
  const obj = mkdtempSync(path.join(tmpdir(), "bicep-cli-obj-"));
  try {
    const result = spawnSync(dotnet, ["restore", RESTORE_PROJECT, "--packages", packages, `-p:BaseIntermediateOutputPath=${obj}${path.sep}`, "--nologo", "-v", "quiet"], {
      encoding: "utf8",
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" },
    });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return "dotnet is not on PATH, so the pinned Bicep CLI cannot be restored";
    if (result.error !== undefined) throw result.error;
    if (result.status !== 0) {
      const said = withoutHosts(`${result.stdout}${result.stderr}`).trim();
      throw new Error(`dotnet restore infra/bicep-cli.csproj failed (exit code ${result.status ?? "none"}); it restores ${PACKAGE} ${pinnedVersion()}:\n${said}`);
    }
    return undefined;
  } finally {
    rmSync(obj, { recursive: true, force: true });
  }
}

const DIAGNOSTIC = /^(.+)\((\d+),(\d+)\) : (Error|Warning|Info) ([^\s:]+): (.*)$/;

/** Bicep's default diagnostics format, `path(line,col) : Level CODE: message`; any other line is kept as it is. */
export function parseDiagnostics(output: string): { diagnostics: Diagnostic[]; otherOutput: string[] } {
  const diagnostics: Diagnostic[] = [];
  const otherOutput: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const match = DIAGNOSTIC.exec(line);
    if (match === null) {
      if (line.trim() !== "") otherOutput.push(line);
      continue;
    }
    const [, file = "", row = "", column = "", level = "", code = "", message = ""] = match;
    diagnostics.push({ file, line: Number(row), column: Number(column), level: level.toLowerCase() as Diagnostic["level"], code, message });
  }
  return { diagnostics, otherOutput };
}

/** `file:line:column: level code: message`, the file relative to the working directory when it is inside it. */
export function formatDiagnostic(d: Diagnostic): string {
  const relative = path.relative(process.cwd(), d.file);
  const file = relative.startsWith("..") || path.isAbsolute(relative) ? d.file : relative;
  return `${file}:${d.line}:${d.column}: ${d.level} ${d.code}: ${d.message}`;
}

function runBicep(cli: Extract<BicepCli, { kind: "ready" }>, args: string[]): { diagnostics: Diagnostic[]; otherOutput: string[] } {
  const result = spawnSync(cli.binary, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1" } });
  if (result.error !== undefined) throw result.error;
  const said = parseDiagnostics(`${result.stdout}\n${result.stderr}`);
  if (result.status !== 0 && !said.diagnostics.some((d) => d.level === "error")) {
    throw new Error(`bicep ${args[0] ?? ""} exited with code ${result.status ?? "none"} without naming an error:\n${said.otherOutput.join("\n")}`);
  }
  return said;
}

function readTemplates(dir: string, prefix = ""): Map<string, unknown> {
  const templates = new Map<string, unknown>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) for (const [key, value] of readTemplates(path.join(dir, entry.name), relative)) templates.set(key, value);
    else if (entry.name.endsWith(".json")) templates.set(relative, JSON.parse(readFileSync(path.join(dir, entry.name), "utf8")));
  }
  return templates;
}

/** `bicep lint` and `bicep build` over every .bicep file under root (a folder, or one file): both one process each. */
export function compileBicep(cli: Extract<BicepCli, { kind: "ready" }>, root: string): Compilation {
  const pattern = statSync(root).isDirectory() ? path.join(root, "**", "*.bicep") : root;
  const outdir = mkdtempSync(path.join(tmpdir(), "bicep-build-"));
  try {
    const lint = runBicep(cli, ["lint", "--pattern", pattern]);
    const build = runBicep(cli, ["build", "--pattern", pattern, "--outdir", outdir]);
    // A module's diagnostics come once for the file that uses it and once for the file itself.
    const unique = new Map([...lint.diagnostics, ...build.diagnostics].map((d) => [formatDiagnostic(d), d]));
    const diagnostics = [...unique.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
    const otherOutput = [...new Set([...lint.otherOutput, ...build.otherOutput])];
    return { diagnostics, otherOutput, templates: readTemplates(outdir) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
