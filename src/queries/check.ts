import { createRequire } from "node:module";
import path from "node:path";
import { ROW_CONTRACT } from "../core/index.ts";
import { ARG_JOIN_KINDS, ARG_MAX_JOINS, ARG_MAX_MV_EXPANDS, ARG_MAX_UNION_LEGS, ARG_OPERATORS, ARG_TABLES, argTableSchema } from "./arg-schema.ts";
import { EVIDENCED_FUNCTIONS } from "./evidence.ts";
import { loadQueries, type QueryFile } from "./load.ts";
import { lineColumn, prepareQuery, type PreparedQuery } from "./prepare.ts";

/**
 * The offline check of query files (`check-queries`, CI): Kusto's own parser and binder against a
 * declared schema of the Resource Graph tables, ARG's language limits, and the row contract.
 * CLI and CI only: the Kusto parser is 31 MB, so it is loaded on first use and never bundled.
 */

interface QueryColumn {
  name: string;
  /** Kusto type name: string, long, int, real, bool, datetime, dynamic, ... */
  type: string;
}

interface QueryProblem {
  severity: "error" | "warning";
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Kusto's diagnostic code (KS142, ...) or one of ours (ContractMissingColumn, ArgJoinLimit, ...). */
  code: string;
  message: string;
}

export interface QueryCheck {
  name: string;
  path: string;
  /** No problem of severity "error". */
  ok: boolean;
  /** The query's result columns, as the parser infers them. */
  columns: QueryColumn[];
  problems: QueryProblem[];
}

export interface CheckReport {
  ok: boolean;
  files: QueryCheck[];
}

export function checkQueries(files: readonly QueryFile[]): CheckReport {
  const checks = files.map((file) => checkQuery(file));
  warnCopies(files, checks);
  return { ok: checks.every((c) => c.ok), files: checks };
}

/**
 * Two rules with the same query return the same items: the safer verdict wins, so a copy whose
 * tunables were meant to widen or narrow the first one may quietly do nothing. Said once, on the later file.
 */
function warnCopies(files: readonly QueryFile[], checks: QueryCheck[]): void {
  const seen = new Map<string, { name: string; text: string }>();
  files.forEach((file, i) => {
    const prepared = prepareQuery(file.text);
    if (!prepared.ok) return;
    const first = seen.get(prepared.query.shape);
    if (first === undefined) {
      seen.set(prepared.query.shape, { name: file.name, text: prepared.query.text });
      return;
    }
    const { line, column } = lineColumn(file.text, prepared.query.fileOffset(0));
    const how = first.text === prepared.query.text ? "" : " (only tunable values differ)";
    checks[i]?.problems.push({
      severity: "warning",
      line,
      column,
      code: "RuleCopy",
      message: `${file.name}.kql runs the same query as ${first.name}.kql${how}: where both return an item, the safer verdict wins. Change what this rule selects, or remove it.`,
    });
  });
}

/**
 * Checks the file as an admin wrote it (Kusto's parser reads its `let` lines) and the text the app
 * sends for it (the tunables written in): that is what Resource Graph receives, so its limits, its
 * single tabular expression and its functions are checked there, with positions mapped back to the file.
 */
export function checkQuery(file: QueryFile): QueryCheck {
  const { kusto } = kustoState();
  const code = analyze(file.text);
  const found = diagnosticsOf(code);
  const columns = resultColumns(code);
  const problems =
    columns === undefined
      ? [...found, ...noResult(found, file.text)]
      : [...found, ...contractProblems(kusto, code, columns), ...pagingWarnings(kusto, code, file.text)];
  const prepared = prepareQuery(file.text);
  if (prepared.ok) problems.push(...sentProblems(prepared.query, columns));
  else problems.push(...prepared.problems.map((p) => ({ severity: "error" as const, ...p })));
  const located = locator(file.text);
  const sorted = dedupe(problems)
    .map(({ at, ...rest }) => ({ ...located(at), ...rest }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
  return { name: file.name, path: file.path, ok: sorted.every((p) => p.severity !== "error"), columns: columns ?? [], problems: sorted };
}

/** The text as sent: one tabular expression, no diagnostics, the file's columns, Resource Graph's limits and functions. */
function sentProblems(query: PreparedQuery, fileColumns: readonly QueryColumn[] | undefined): Located[] {
  const { kusto } = kustoState();
  const code = analyze(query.text);
  const at = (offset: number) => query.fileOffset(offset);
  const problems: Located[] = [...diagnosticsOf(code), ...argLimitsOf(code), ...functionWarnings(code)].map((p) => ({ ...p, at: at(p.at) }));
  const statements = items(code.Syntax.Statements);
  if (statements.length !== 1 || statements[0]?.Element?.Kind !== kusto.Syntax.SyntaxKind.ExpressionStatement) {
    problems.push({ severity: "error", at: at(statements[1]?.Element?.TextStart ?? 0), code: "SentNotOneExpression", message: "The text sent to Resource Graph must be exactly one tabular expression (Resource Graph has no statements); run show-query to see it." });
  }
  const sentColumns = resultColumns(code);
  if (fileColumns !== undefined && sentColumns !== undefined && describeColumns(sentColumns) !== describeColumns(fileColumns)) {
    problems.push({
      severity: "error",
      at: at(0),
      code: "SentColumnsDiffer",
      message: `With the tunables written in, the query returns (${describeColumns(sentColumns)}) instead of (${describeColumns(fileColumns)}). A tunable is probably used as a column name; rename it.`,
    });
  }
  return problems;
}

function describeColumns(columns: readonly QueryColumn[]): string {
  return columns.map((c) => `${c.name}:${c.type}`).join(", ");
}

/** Functions no Microsoft Resource Graph query is known to use (evidence.ts) may not run there. */
function functionWarnings(code: KustoCode): Located[] {
  const { kinds } = kustoState();
  const problems: Located[] = [];
  code.Syntax.WalkNodes((node) => {
    if (kinds.get(node.Kind) !== "FunctionCallExpression") return;
    const name = node.Name?.SimpleName ?? "";
    if (name === "" || EVIDENCED_FUNCTIONS.has(name.toLowerCase())) return;
    problems.push({ severity: "warning", at: node.TextStart, code: "ArgUnknownFunction", message: `No Microsoft Resource Graph query is known to use \`${name}()\`; check the rule in Resource Graph Explorer before relying on it (see README "Tuning retries").` });
  });
  return problems;
}

export interface FormatOptions {
  /** Paths are shown relative to this folder; defaults to the process's working folder. */
  cwd?: string;
}

/** Human-readable report: one `file:line:column: severity code: message` line per problem. */
export function formatCheckReport(report: CheckReport, options: FormatOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const lines: string[] = [];
  for (const file of report.files) {
    const shown = displayPath(file.path, cwd);
    for (const p of file.problems) lines.push(`${shown}:${p.line}:${p.column}: ${p.severity} ${p.code}: ${p.message}`);
    if (file.ok) lines.push(`${shown}: ok (${file.columns.map((c) => `${c.name}:${c.type}`).join(", ")})`);
  }
  if (report.files.some((f) => f.problems.some((p) => p.code.startsWith("Contract")))) lines.push("", contractTable());
  const failed = report.files.filter((f) => !f.ok).length;
  lines.push("", `Checked ${report.files.length} query file${report.files.length === 1 ? "" : "s"}: ${report.files.length - failed} ok, ${failed} with errors.`);
  return lines.join("\n");
}

export interface CheckQueriesCommandOptions {
  dir: string;
  names?: readonly string[];
  write: (text: string) => void;
  cwd?: string;
}

/** `check-queries`: load, check, print; 0 when every file passes, 1 otherwise. */
export async function runCheckQueriesCommand(options: CheckQueriesCommandOptions): Promise<0 | 1> {
  const { queries, errors } = await loadQueries({ dir: options.dir, names: options.names });
  const report = checkQueries(queries);
  const cwd = options.cwd ?? process.cwd();
  const loadLines = errors.map((e) => `${displayPath(e.file, cwd)}: error ${e.code}: ${e.message}`);
  options.write(`${[...loadLines, formatCheckReport(report, { cwd })].join("\n")}\n`);
  return errors.length === 0 && report.ok ? 0 : 1;
}

/** The row contract as a table, shown under contract problems. */
function contractTable(): string {
  const rows = ROW_CONTRACT.map((c) => [c.column, c.required ? "yes" : "no", c.types.join(" | "), c.meaning]);
  const header = ["column", "required", "types", "meaning"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) => `  ${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`;
  return ["Row contract (the columns of the query's final `project`):", line(header), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The checks. Positions are character offsets into the file text until the very end.

interface Located {
  severity: "error" | "warning";
  at: number;
  code: string;
  message: string;
}

function diagnosticsOf(code: KustoCode): Located[] {
  return items(code.GetDiagnostics())
    .filter((d) => d.Severity === "Error" || d.Severity === "Warning")
    .map((d) => ({ severity: d.Severity === "Error" ? "error" : "warning", at: d.Start, code: d.Code ?? "KS", message: d.Message ?? "" }));
}

function argLimitsOf(code: KustoCode): Located[] {
  const { kinds } = kustoState();
  const problems: Located[] = [];
  let joins = 0;
  let mvExpands = 0;
  let unionLegs = 0;
  code.Syntax.WalkNodes((node) => {
    const kind = kinds.get(node.Kind) ?? "";
    if (!kind.endsWith("Operator") || kind === "BadQueryOperator") return;
    const spelled = node.GetFirstToken()?.Text ?? kind;
    if (!(kind in ARG_OPERATORS)) {
      problems.push({ severity: "error", at: node.TextStart, code: "ArgUnsupportedOperator", message: `Resource Graph does not run the \`${spelled}\` operator. It supports: ${Object.values(ARG_OPERATORS).join(", ")}.` });
    } else if (kind === "JoinOperator") {
      joins += 1;
      if (joins === ARG_MAX_JOINS + 1) {
        problems.push({ severity: "error", at: node.TextStart, code: "ArgJoinLimit", message: `Resource Graph allows at most ${ARG_MAX_JOINS} \`join\` operators in one query; this is join number ${joins}.` });
      }
      problems.push(...joinKindProblems(node));
    } else if (kind === "MvExpandOperator") {
      mvExpands += 1;
      if (mvExpands === ARG_MAX_MV_EXPANDS + 1) {
        problems.push({ severity: "error", at: node.TextStart, code: "ArgMvExpandLimit", message: `Resource Graph allows at most ${ARG_MAX_MV_EXPANDS} \`mv-expand\` operators in one query; this is mv-expand number ${mvExpands}.` });
      }
    } else if (kind === "UnionOperator") {
      // The piped input is a leg too: `T | union A, B` has three.
      const before = unionLegs === 0 ? 1 : 0;
      unionLegs += before + (node.Expressions?.Count ?? 0);
      if (unionLegs > ARG_MAX_UNION_LEGS && unionLegs - (before + (node.Expressions?.Count ?? 0)) <= ARG_MAX_UNION_LEGS) {
        problems.push({ severity: "error", at: node.TextStart, code: "ArgUnionLimit", message: `Resource Graph allows at most ${ARG_MAX_UNION_LEGS} \`union\` legs in one query; this one brings it to ${unionLegs}.` });
      }
    } else if (kind === "TakeOperator") {
      problems.push({ severity: "error", at: node.TextStart, code: "ArgNoPaging", message: `\`${spelled}\` stops Resource Graph from paging (no $skipToken), so the sweep would silently miss rows. Remove it; RETRY_MAX_PER_RUN caps the work instead.` });
    }
  });
  return problems;
}

function joinKindProblems(join: KustoNode): Located[] {
  const problems: Located[] = [];
  for (const parameter of items(join.Parameters)) {
    if (parameter.Name?.SimpleName !== "kind") continue;
    const flavor = parameter.Expression?.GetFirstToken()?.Text ?? "";
    if (!(ARG_JOIN_KINDS as readonly string[]).includes(flavor.toLowerCase())) {
      problems.push({ severity: "error", at: parameter.TextStart, code: "ArgJoinKind", message: `Resource Graph does not support \`join kind=${flavor}\`. Use one of: ${ARG_JOIN_KINDS.join(", ")}.` });
    }
  }
  return problems;
}

/** Without a result there is nothing to hold to the contract; say so unless a parse error already explains it. */
function noResult(found: readonly Located[], text: string): Located[] {
  if (found.some((p) => p.severity === "error")) return [];
  return [{ severity: "error", at: text.length, code: "NoResult", message: "The file has no query that returns rows (only `let` statements?). End it with a query over a Resource Graph table." }];
}

function resultColumns(code: KustoCode): QueryColumn[] | undefined {
  const columns = code.ResultType?.Columns;
  if (columns === undefined || columns === null) return undefined;
  return items(columns).map((c) => ({ name: c.Name ?? "", type: c.Type?.Name ?? "unknown" }));
}

function contractProblems(kusto: KustoLanguage, code: KustoCode, columns: readonly QueryColumn[]): Located[] {
  const pipeline = finalPipeline(kusto, code);
  const last = pipeline.find((op) => op.Kind === kusto.Syntax.SyntaxKind.ProjectOperator) ?? pipeline[0];
  const at = last?.TextStart ?? 0;
  const problems: Located[] = [];
  for (const contract of ROW_CONTRACT) {
    const column = columns.find((c) => c.name === contract.column);
    if (column === undefined) {
      if (!contract.required) continue;
      const near = columns.find((c) => c.name.toLowerCase() === contract.column.toLowerCase());
      const hint = near === undefined ? "" : ` (there is \`${near.name}\`: column names are case-sensitive)`;
      problems.push({ severity: "error", at, code: "ContractMissingColumn", message: `The result has no \`${contract.column}\` column${hint}; the row contract requires it: ${contract.meaning}. Add it to the final \`project\`.` });
      continue;
    }
    const allowed: readonly string[] = contract.types;
    if (column.type === "unknown" || allowed.includes(column.type)) continue;
    problems.push({ severity: "error", at: columnPosition(last, contract.column) ?? at, code: "ContractColumnType", message: `Column \`${contract.column}\` is ${column.type}; the row contract wants ${allowed.join(" or ")}.${conversionHint(allowed)}` });
  }
  return problems;
}

function conversionHint(allowed: readonly string[]): string {
  const wanted = allowed[0];
  const convert: Record<string, string> = { string: "tostring", datetime: "todatetime", int: "toint", long: "tolong", bool: "tobool", real: "toreal" };
  const fn = wanted === undefined ? undefined : convert[wanted];
  return fn === undefined ? "" : ` Wrap it in ${fn}(...).`;
}

/** ARG pages stably only when the final order is by `id`; a warning, since the rows still arrive. */
function pagingWarnings(kusto: KustoLanguage, code: KustoCode, text: string): Located[] {
  const last = finalPipeline(kusto, code)[0];
  const spelled = last === undefined ? "" : text.slice(last.TextStart, last.TextStart + last.Width);
  if (last?.Kind === kusto.Syntax.SyntaxKind.SortOperator && /^(order|sort)\s+by\s+id\b/.test(spelled)) return [];
  return [{ severity: "warning", at: last?.TextStart ?? 0, code: "ArgUnstablePaging", message: "End the query with `| order by id asc` so Resource Graph pages the rows in a stable order." }];
}

/** The operators of the query's final statement, last first (`| order by ...`, `| project ...`, ...). */
function finalPipeline(kusto: KustoLanguage, code: KustoCode): KustoNode[] {
  const kinds = kusto.Syntax.SyntaxKind;
  const statements = items(code.Syntax.Statements);
  const statement = statements[statements.length - 1]?.Element;
  if (statement?.Kind !== kinds.ExpressionStatement) return [];
  const operators: KustoNode[] = [];
  let expression = statement.Expression ?? undefined;
  while (expression?.Kind === kinds.PipeExpression) {
    if (expression.Operator) operators.push(expression.Operator);
    expression = expression.Expression ?? undefined;
  }
  return operators;
}

/** Where a column is named in the final operator, so a type problem points at it. */
function columnPosition(node: KustoNode | undefined, column: string): number | undefined {
  let found: number | undefined;
  node?.WalkTokens((token) => {
    if (found === undefined && token.Text === column) found = token.TextStart;
  });
  return found;
}

function dedupe(problems: readonly Located[]): Located[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.at}|${p.code}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function locator(text: string): (at: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === "\n") starts.push(i + 1);
  return (at) => {
    let line = 0;
    while (line + 1 < starts.length && (starts[line + 1] ?? Infinity) <= at) line += 1;
    return { line: line + 1, column: at - (starts[line] ?? 0) + 1 };
  };
}

function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

// ---------------------------------------------------------------------------------------------
// Kusto.Language, loaded lazily. Only the small part of its (Bridge.NET) surface used here is typed.

interface KustoList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KustoToken {
  readonly Text: string | null;
  readonly TextStart: number;
}

interface KustoNode {
  readonly Kind: number;
  readonly TextStart: number;
  readonly Width: number;
  readonly Expression?: KustoNode | null;
  readonly Operator?: KustoNode | null;
  readonly Statements?: KustoList<{ readonly Element: KustoNode | null }> | null;
  readonly Parameters?: KustoList<KustoNode> | null;
  readonly Expressions?: KustoList<KustoNode> | null;
  readonly Name?: { readonly SimpleName: string | null } | null;
  GetFirstToken(): KustoToken | null;
  WalkNodes(action: (node: KustoNode) => void): void;
  WalkTokens(action: (token: KustoToken) => void): void;
}

interface KustoDiagnostic {
  readonly Code: string | null;
  readonly Severity: string | null;
  readonly Message: string | null;
  readonly Start: number;
  readonly Length: number;
}

interface KustoCode {
  readonly Syntax: KustoNode;
  readonly ResultType: { readonly Columns?: KustoList<{ readonly Name: string | null; readonly Type: { readonly Name: string | null } | null }> | null } | null;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
}

interface KustoLanguage {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  Syntax: { SyntaxKind: Record<string, unknown> & { ExpressionStatement: number; PipeExpression: number; SortOperator: number; ProjectOperator: number } };
}

interface KustoState {
  kusto: KustoLanguage;
  /** The Resource Graph tables, declared for the binder. */
  globals: unknown;
  /** Syntax kind number to name (JoinOperator, ...). */
  kinds: Map<number, string>;
}

let loaded: KustoState | undefined;

function kustoState(): KustoState {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  // Bridge.NET scripts: they define the globals Bridge, System and Kusto instead of exporting.
  require("@kusto/language-service-next/bridge.min.js");
  require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const tables = ARG_TABLES.map((name) => new kusto.Symbols.TableSymbol.$ctor7(name, argTableSchema(), null));
  const globals = kusto.GlobalState.Default.WithDatabase(new kusto.Symbols.DatabaseSymbol.ctor("ResourceGraph", tables));
  const kinds = new Map<number, string>();
  for (const [name, value] of Object.entries(kusto.Syntax.SyntaxKind)) if (typeof value === "number") kinds.set(value, name);
  loaded = { kusto, globals, kinds };
  return loaded;
}

/**
 * Parse and bind. Resource Graph reads table names case-insensitively and Kusto does not, so a
 * table spelled `recoveryservicesresources` is respelled (same length, same positions) and bound again.
 */
function analyze(text: string): KustoCode {
  const { kusto, globals } = kustoState();
  const code = kusto.KustoCode.ParseAndAnalyze(text, globals);
  let respelled = text;
  for (const d of items(code.GetDiagnostics())) {
    const spelled = text.slice(d.Start, d.Start + d.Length);
    const table = ARG_TABLES.find((t) => t.toLowerCase() === spelled.toLowerCase() && t !== spelled);
    if (table !== undefined) respelled = respelled.slice(0, d.Start) + table + respelled.slice(d.Start + d.Length);
  }
  return respelled === text ? code : kusto.KustoCode.ParseAndAnalyze(respelled, globals);
}

function items<T>(list: KustoList<T> | null | undefined): T[] {
  if (list === null || list === undefined) return [];
  return Array.from({ length: list.Count }, (_, i) => list.getItem(i));
}
