// npm run check:bicep: the pinned Bicep CLI from NuGet, and what fails the check. The broken templates here are
// the kind the old syntax-only check let through: a misspelt property, a wrong value type, an API version Azure
// does not have, a module called with the wrong parameters.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bicepCli, cachedBicepCli, compileBicep, formatDiagnostic, parseDiagnostics, pinnedVersion, type BicepCli, type Compilation } from "../../scripts/bicep-cli.ts";
import { isCi, whenUnavailable } from "../../scripts/check-bicep.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "check-bicep.ts");

const cli = cachedBicepCli();
const skip = cli.kind === "unavailable" && !isCi(process.env);
if (skip) process.stderr.write(`test/infra/check-bicep.test.ts: compiling tests skipped: ${cli.kind === "unavailable" ? cli.reason : ""}\n`);

function ready(): Extract<BicepCli, { kind: "ready" }> {
  if (cli.kind !== "ready") throw new Error(`CI must have the Bicep CLI: ${cli.reason}`);
  return cli;
}

// Every case in a folder of its own, all compiled by one `bicep lint` and one `bicep build`.
const dir = mkdtempSync(path.join(tmpdir(), "check-bicep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each mistake here is one that Bicep only warns about.
const WRONG_TYPES = [
  "param location string",
  "resource site 'Microsoft.Web/sites@2024-04-01' = {",
  "  name: 'x'",
  "  location: location",
  "  properties: {",
  "    httpsOnlyy: true",
  "    enabled: 'yes'",
  "  }",
  "}",
  "resource plan 'Microsoft.Web/serverfarms@2099-01-01' = {",
  "  name: 'y'",
  "  location: location",
  "}",
];
const HARDCODED_LOCATION = [
  "param unused string",
  "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {",
  "  name: 'id-x'",
  "  location: 'westeurope'",
  "}",
];
const CASES: Record<string, string[]> = {
  "syntax/stray.bicep": ["param name string", "output settings object = {", "  A: name", "  B: 'b' 'c'", "}"],
  "syntax/brace.bicep": ["resource r 'Microsoft.Web/sites@2024-04-01' = {", "  name: 'x'", "  properties: {", "    httpsOnly: true", "", "}"],
  "types/site.bicep": WRONG_TYPES,
  "modules/main.bicep": ["module sized 'modules/sized.bicep' = {", "  params: {", "    size: 2", "    colour: 'red'", "  }", "}"],
  "modules/modules/sized.bicep": ["param name string", "param size int = 1", "output label string = '${name}-${size}'"],
  "lint/identity.bicep": HARDCODED_LOCATION,
  "lint-with-config/identity.bicep": HARDCODED_LOCATION,
};
for (const [file, lines] of Object.entries(CASES)) {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), [...lines, ""].join("\n"));
}
copyFileSync(path.join(ROOT, "infra", "bicepconfig.json"), path.join(dir, "lint-with-config", "bicepconfig.json"));

let compiled: Compilation | undefined;

/** The diagnostics of one case folder, without messages. */
function diagnosticsIn(folder: string): { file: string; line: number; column: number; level: string; code: string }[] {
  compiled ??= compileBicep(ready(), dir);
  return compiled.diagnostics
    .filter((d) => d.file.startsWith(path.join(dir, folder) + path.sep))
    .map(({ file, line, column, level, code }) => ({ file: path.relative(path.join(dir, folder), file), line, column, level, code }));
}

describe("the Bicep CLI", () => {
  it("is pinned to one exact version in infra/bicep-cli.csproj", () => {
    expect(pinnedVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("without dotnet and without a cached package it is unavailable, and says why", () => {
    const empty = mkdtempSync(path.join(dir, "cache-"));
    expect(cachedBicepCli(empty)).toEqual({ kind: "unavailable", reason: `Bicep CLI ${pinnedVersion()} is not restored yet: \`npm run check:bicep\` restores it (with dotnet)` });
    expect(bicepCli({ cacheDir: empty, dotnet: path.join(empty, "no-dotnet") })).toEqual({
      kind: "unavailable",
      reason: "dotnet is not on PATH, so the pinned Bicep CLI cannot be restored",
    });
  });

  it("then the check skips outside CI, saying how to get the compiler, and fails in CI", () => {
    const reason = "dotnet is not on PATH, so the pinned Bicep CLI cannot be restored";
    const laptop = whenUnavailable(reason, {});
    expect(laptop.exitCode).toBe(0);
    expect(laptop.line).toMatch(/^check-bicep: skipped: dotnet is not on PATH/);
    expect(laptop.line).toContain("az bicep install");
    expect(laptop.line).toContain(`Bicep CLI ${pinnedVersion()}`);
    for (const env of [{ CI: "true" }, { CI: "1" }]) {
      const ci = whenUnavailable(reason, env);
      expect(ci.exitCode, JSON.stringify(env)).toBe(1);
      expect(ci.line).not.toContain("skipped");
    }
    expect(whenUnavailable(reason, { CI: "false" }).exitCode).toBe(0);
  });

  it("reads Bicep's diagnostics and prints them as file:line:column: level code: message", () => {
    const file = path.join(ROOT, "infra", "main.bicep");
    const { diagnostics, otherOutput } = parseDiagnostics(`${file}(4,10) : Error BCP236: Expected a new line or comma character at this location.\nsomething else\n`);
    expect(diagnostics).toEqual([{ file, line: 4, column: 10, level: "error", code: "BCP236", message: "Expected a new line or comma character at this location." }]);
    expect(otherOutput).toEqual(["something else"]);
    const cwd = process.cwd();
    try {
      process.chdir(ROOT);
      expect(diagnostics.map(formatDiagnostic)).toEqual(["infra/main.bicep:4:10: error BCP236: Expected a new line or comma character at this location."]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe.skipIf(skip)("compiling with it", () => {
  it("is restored once: a second look finds the cached package and needs no dotnet", () => {
    expect(bicepCli({ dotnet: path.join(dir, "no-dotnet") })).toEqual(ready());
    const version = spawnSync(ready().binary, ["--version"], { encoding: "utf8" });
    expect(version.stdout).toContain(`Bicep CLI version ${pinnedVersion()} `);
  });

  it("reports a stray token and a missing closing brace with their line and column", () => {
    const found = diagnosticsIn("syntax");
    expect(found).toContainEqual({ file: "stray.bicep", line: 4, column: 10, level: "error", code: "BCP236" });
    expect(found).toContainEqual({ file: "brace.bicep", line: 7, column: 1, level: "error", code: "BCP018" });
  });

  it("fails a misspelt property, a wrong value type and an unknown API version, which Bicep only warns about", () => {
    expect(diagnosticsIn("types")).toEqual([
      { file: "site.bicep", line: 6, column: 5, level: "warning", code: "BCP089" },
      { file: "site.bicep", line: 7, column: 14, level: "warning", code: "BCP036" },
      { file: "site.bicep", line: 10, column: 15, level: "warning", code: "BCP081" },
    ]);
    // Bicep emitted the template all the same: only the warnings stand between it and a failed deployment.
    expect(compiled?.templates.has("types/site.json")).toBe(true);
  });

  it("fails a module called without a required parameter or with one it does not declare", () => {
    expect(diagnosticsIn("modules")).toEqual([
      { file: "main.bicep", line: 2, column: 3, level: "error", code: "BCP035" },
      { file: "main.bicep", line: 4, column: 5, level: "error", code: "BCP037" },
    ]);
  });

  it("fails the recommended linter rules, and the rules infra/bicepconfig.json adds", () => {
    expect(diagnosticsIn("lint")).toEqual([{ file: "identity.bicep", line: 1, column: 7, level: "warning", code: "no-unused-params" }]);
    expect(diagnosticsIn("lint-with-config")).toEqual([
      { file: "identity.bicep", line: 1, column: 7, level: "warning", code: "no-unused-params" },
      { file: "identity.bicep", line: 4, column: 13, level: "warning", code: "no-hardcoded-location" },
    ]);
  });

  it("the command line prints file:line:column for every diagnostic and exits 1, and exits 0 for infra/", () => {
    const root = path.join(dir, "types");
    const broken = path.join(root, "site.bicep");
    const bad = spawnSync(process.execPath, [SCRIPT, root], { cwd: ROOT, encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${broken}:6:5: warning BCP089: The property "httpsOnlyy" is not allowed on objects of type "SiteProperties". Did you mean "httpsOnly"?`);
    expect(bad.stderr).toMatch(/check-bicep: 3 diagnostic\(s\) in 1 file\(s\); warnings fail too/);

    const good = spawnSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: "utf8" });
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^check-bicep: 8 file\(s\) compile and lint without a diagnostic \(Bicep CLI \d+\.\d+\.\d+/);
  });
});
