// The shape of the house (ARCHITECTURE.md), checked on every import: the product and its judge share no code,
// src/ imports run only downward through each folder's public face, and every file follows one naming rule.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "src");

/** Each part of src/ and the parts it may import: strictly lower, so no import runs upward or sideways. */
const LAYERS: Record<string, number> = {
  core: 0,
  log: 1,
  settings: 2,
  azure: 2,
  arg: 3,
  queries: 3,
  plan: 3,
  report: 3,
  runs: 3,
  backup: 4,
  sweep: 5,
  doctor: 5,
  functions: 6,
  cli: 6,
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : filesUnder(full);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** Every relative import and re-export of the file, resolved to a path. */
function importsOf(file: string): { specifier: string; target: string }[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles.filter((i) => i.fileName.startsWith(".")).map((i) => ({ specifier: i.fileName, target: path.resolve(path.dirname(file), i.fileName) }));
}

/** The part of src/ a path is in: its folder, or a top-level file's name. */
function partOf(file: string): string {
  const [first = ""] = path.relative(SRC, file).split(path.sep);
  return first.replace(/\.ts$/, "");
}

/** Modules imported on their own rather than through their folder's index.ts, and why. */
const OWN_ENTRY: Record<string, string> = {
  "queries/check.ts": "the Kusto checker (31 MB) is the CLI's; through queries/index.ts it would reach the function bundle",
};

const inside = (dir: string, file: string) => !path.relative(dir, file).startsWith("..");
const rel = (file: string) => path.relative(ROOT, file);

describe("the house", () => {
  it("src/ imports nothing outside src/, and emulator/ imports nothing from src/", () => {
    const leaks = [
      ...filesUnder(SRC).flatMap((f) => importsOf(f).filter((i) => !inside(SRC, i.target)).map((i) => `${rel(f)} -> ${i.specifier}`)),
      ...filesUnder(path.join(ROOT, "emulator")).flatMap((f) => importsOf(f).filter((i) => !inside(path.join(ROOT, "emulator"), i.target)).map((i) => `${rel(f)} -> ${i.specifier}`)),
    ];
    expect(leaks).toEqual([]);
  });

  it("every part of src/ has a layer, every import in src/ runs to a lower one, through the folder's index.ts", () => {
    const parts = readdirSync(SRC).map((name) => name.replace(/\.ts$/, ""));
    expect(parts.filter((p) => LAYERS[p] === undefined)).toEqual([]);
    const wrong: string[] = [];
    for (const file of filesUnder(SRC)) {
      const from = partOf(file);
      for (const { specifier, target } of importsOf(file)) {
        const to = partOf(target);
        if (to === from) continue;
        if ((LAYERS[to] ?? Infinity) >= (LAYERS[from] ?? -Infinity)) wrong.push(`${rel(file)} -> ${specifier}: ${from} (layer ${LAYERS[from]}) may not import ${to} (layer ${LAYERS[to]})`);
        const folder = path.join(SRC, to);
        if (statSync(folder, { throwIfNoEntry: false })?.isDirectory() === true && target !== path.join(folder, "index.ts") && OWN_ENTRY[path.relative(SRC, target)] === undefined) wrong.push(`${rel(file)} -> ${specifier}: import ${to}/ through ${to}/index.ts`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("names every file and folder in lower-case kebab-case", () => {
    const tracked = [...new Set(["src", "emulator", "demo", "bench", "scripts", "test", "infra", "queries", "bin"].flatMap((d) => walk(path.join(ROOT, d))))];
    const bad = tracked.filter((p) => !/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/.test(path.basename(p)) && path.basename(p) !== "README.md");
    expect(tracked.length).toBeGreaterThan(100);
    expect(bad.map(rel)).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    // The Bicep compiler's restore leaves bin/ and obj/ beside its project file.
    if (entry.name === "node_modules" || (dir.endsWith("infra") && (entry.name === "bin" || entry.name === "obj"))) return [];
    return entry.isDirectory() ? [full, ...walk(full)] : [full];
  });
}
