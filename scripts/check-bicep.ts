// Syntax check of every .bicep file with the tree-sitter-bicep grammar: no Bicep compiler installs offline.
// It proves the files parse, not that types, API versions or property names are right: that takes
// `az bicep build` / `az deployment sub what-if` where Azure is reachable.
//
//   node scripts/check-bicep.ts [file-or-folder ...]      (default: infra)
//
// Prints `file:line:column: syntax error near "..."` per problem and exits 1, or one ok line and exits 0.
import { readdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Language, Parser } from "web-tree-sitter";
import type { Node, Tree } from "web-tree-sitter";

/** One ERROR or MISSING node of the parse tree; line and column are 1-based. */
export type SyntaxProblem = { line: number; column: number; message: string };

export type ParsedBicep = { tree: Tree; problems: SyntaxProblem[] };

export type FileReport = { file: string; problems: SyntaxProblem[] };

let parser: Promise<Parser> | undefined;

/** The wasm grammar loads once per process. */
export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve("tree-sitter-bicep/tree-sitter-bicep.wasm");
    const language = await Language.load(await readFile(wasm));
    return new Parser().setLanguage(language);
  })();
  return parser;
}

/** Parses Bicep source; the caller owns the tree (tests read it to check what the templates grant). */
export async function parseBicep(source: string): Promise<ParsedBicep> {
  const tree = (await bicepParser()).parse(source);
  if (tree === null) throw new Error("tree-sitter-bicep returned no tree; the grammar did not load");
  return { tree, problems: syntaxProblems(tree.rootNode) };
}

function snippet(text: string): string {
  const firstLine = (text.split("\n")[0] ?? "").trim();
  return firstLine.length > 40 ? `${firstLine.slice(0, 40)}...` : firstLine;
}

function problemAt(node: Node, message: string): SyntaxProblem {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1, message };
}

/** Outermost ERROR nodes and every MISSING node, in source order. */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (node.isMissing) {
      const near = node.parent === null ? "" : snippet(node.parent.text);
      problems.push(problemAt(node, `syntax error near ${JSON.stringify(near)}: missing ${JSON.stringify(node.type)}`));
      return;
    }
    if (node.isError) {
      problems.push(problemAt(node, `syntax error near ${JSON.stringify(snippet(node.text))}`));
      return;
    }
    if (!node.hasError) return;
    for (const child of node.children) visit(child);
  };
  visit(root);
  return problems;
}

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

export async function checkBicepFiles(files: string[]): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  for (const file of files) {
    const { tree, problems } = await parseBicep(await readFile(file, "utf8"));
    tree.delete();
    reports.push({ file, problems });
  }
  return reports;
}

/** `file:line:column: message`, one line per problem. */
export function formatProblems(reports: FileReport[]): string[] {
  return reports.flatMap(({ file, problems }) => problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`));
}

async function main(args: string[]): Promise<number> {
  const roots = args.length > 0 ? args : ["infra"];
  const files = await findBicepFiles(roots);
  if (files.length === 0) {
    console.error(`check-bicep: no .bicep files under ${roots.join(", ")}`);
    return 1;
  }
  const lines = formatProblems(await checkBicepFiles(files));
  for (const line of lines) console.error(line);
  if (lines.length > 0) {
    console.error(`check-bicep: ${lines.length} syntax error(s) in ${files.length} file(s)`);
    return 1;
  }
  console.log(`check-bicep: ${files.length} file(s) parse without syntax errors (types and API versions need az bicep build)`);
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
