// Bundles the Functions entry (src/functions/index.ts) into dist/index.js, the package.json "main" the worker loads.
// Run: node scripts/build.ts. Fails when the Kusto checker, the emulator, the demo or the CLI reach the bundle.
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Inputs the function app must not carry: 31 MB of Kusto parser, test-only code, and the CLI. */
export const FORBIDDEN_INPUTS: { pattern: RegExp; why: string }[] = [
  { pattern: /node_modules\/@kusto\//, why: "the Kusto checker is for the CLI and CI (check-queries), not the function app" },
  { pattern: /^emulator\//, why: "the emulator is for tests, benchmarks and the demo" },
  { pattern: /^demo\//, why: "the demo joins the product and the emulator; it is not part of the function app" },
  { pattern: /node_modules\/selfsigned\//, why: "selfsigned makes the emulator's certificate; it is a development dependency" },
  { pattern: /^src\/cli\//, why: "the CLI is not part of the function app" },
  { pattern: /^src\/queries\/check\.ts$/, why: "the Kusto checker is for the CLI and CI" },
];

// The bundle is ESM; CommonJS dependencies inside it still call require() and read __dirname.
const BANNER = [
  'import { createRequire as __bundleCreateRequire } from "node:module";',
  'import { fileURLToPath as __bundleFileURLToPath } from "node:url";',
  'import { dirname as __bundleDirname } from "node:path";',
  "const require = __bundleCreateRequire(import.meta.url);",
  "const __filename = __bundleFileURLToPath(import.meta.url);",
  "const __dirname = __bundleDirname(__filename);",
].join("\n");

export interface BuildResult {
  outfile: string;
  bytes: number;
  metafile: Metafile;
}

export interface BundleOptions {
  /** Relative to the repository; the function app's entry by default. The bench bundles its own entry with the same options. */
  entryPoint?: string;
  outfile?: string;
}

export async function buildBundle(options: BundleOptions = {}): Promise<BuildResult> {
  const outfile = options.outfile ?? path.join(ROOT, "dist", "index.js");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [options.entryPoint ?? "src/functions/index.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // The Functions worker provides this module at run time.
    external: ["@azure/functions-core"],
    banner: { js: BANNER },
    metafile: true,
    logLevel: "warning",
  });
  const offending = Object.keys(result.metafile.inputs).flatMap((input) => FORBIDDEN_INPUTS.filter((f) => f.pattern.test(input)).map((f) => `${input}: ${f.why}`));
  if (offending.length > 0) {
    throw new Error(`The function bundle must not contain:\n${[...new Set(offending)].map((o) => `  ${o}`).join("\n")}\nFind the import that pulls it in from ${options.entryPoint ?? "src/functions/index.ts"} and move it behind the CLI.`);
  }
  return { outfile, bytes: (await stat(outfile)).size, metafile: result.metafile };
}

/** The largest contributors by package (or source folder), for the build log. */
export function largestInputs(metafile: Metafile, count: number): [string, number][] {
  const sizes = new Map<string, number>();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match?.[1] ?? input.split("/").slice(0, 2).join("/");
    sizes.set(key, (sizes.get(key) ?? 0) + info.bytes);
  }
  return [...sizes.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { outfile, bytes, metafile } = await buildBundle();
    console.log(`${path.relative(ROOT, outfile)}: ${kb(bytes)} (minified; ${Object.keys(metafile.inputs).length} input files)`);
    console.log("largest inputs before minification:");
    for (const [name, size] of largestInputs(metafile, 8)) console.log(`  ${name.padEnd(40)} ${kb(size).padStart(10)}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
