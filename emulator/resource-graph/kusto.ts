import { createRequire } from "node:module";

/**
 * Kusto.Language (the parser and binder of `@kusto/language-service-next`), loaded on first use. The emulator loads
 * its own copy rather than the product's checker: the judge must not be built from the product it judges.
 * Only the part of its (Bridge.NET) surface the evaluator reads is typed here.
 */

interface KList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KSymbol {
  readonly Name: string | null;
  readonly Kind: number;
  /** Tables and tuples: their columns. */
  readonly Columns?: KList<KSymbol> | null;
  /** Columns: their type. */
  readonly Type?: KSymbol | null;
}

interface KToken {
  readonly Text: string | null;
  readonly Kind: number;
}

/** A syntax node; which of the optional members exist depends on its kind. */
export interface KNode {
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly TextStart: number;
  readonly Width: number;
  readonly ChildCount: number;
  GetChild(index: number): KNode | null;
  GetFirstToken(): KToken | null;
  WalkNodes(action: (node: KNode) => void): void;
  readonly ResultType?: KSymbol | null;
  readonly ReferencedSymbol?: KSymbol | null;
  readonly ConstantValue?: unknown;
  readonly IsConstant?: boolean;
  readonly Text?: string | null;
  readonly SimpleName?: string | null;
  readonly Expression?: KNode | null;
  readonly Expressions?: KList<KNode> | null;
  readonly Element?: KNode | null;
  readonly Operator?: KNode | null;
  readonly Left?: KNode | null;
  readonly Right?: KNode | null;
  readonly Selector?: KNode | null;
  readonly Condition?: KNode | null;
  readonly Name?: KNode | null;
  readonly Names?: KNode | null;
  readonly ArgumentList?: KNode | null;
  readonly Parameters?: KList<KNode> | null;
  readonly Aggregates?: KList<KNode> | null;
  readonly ByClause?: KNode | null;
  readonly BinClause?: KNode | null;
  readonly ConditionClause?: KNode | null;
  readonly RowLimitClause?: KNode | null;
  readonly RowLimit?: KNode | null;
  readonly ToTypeOf?: KNode | null;
  readonly TypeOf?: KNode | null;
  readonly Patterns?: KList<KNode> | null;
  readonly Ordering?: KNode | null;
  readonly AscOrDescKeyword?: KToken | null;
  readonly NullsClause?: KNode | null;
  readonly FirstOrLastKeyword?: KToken | null;
  readonly ByExpression?: KNode | null;
  readonly AsIdentifier?: KNode | null;
  readonly Statements?: KList<KNode> | null;
  readonly Directives?: KList<KNode> | null;
  readonly Type?: KNode | null;
  readonly First?: KNode | null;
  readonly Second?: KNode | null;
  readonly Pairs?: KList<KNode> | null;
  readonly Values?: KList<KNode> | null;
  readonly Value?: KNode | null;
  readonly Identifier?: KToken | null;
}

interface KDiagnostic {
  readonly Severity: string | null;
  readonly Code: string | null;
  readonly Message: string | null;
  readonly Start: number;
  readonly Length: number;
}

interface KCode {
  readonly Syntax: KNode;
  GetDiagnostics(): KList<KDiagnostic>;
}

interface KustoLanguage {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KCode };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
    SymbolKind: Record<string, unknown>;
  };
  Syntax: { SyntaxKind: Record<string, unknown> };
}

export interface ColumnSchema {
  name: string;
  /** Kusto type name: string, long, int, real, bool, datetime, timespan, guid, dynamic. */
  type: string;
}

export interface TableSchema {
  name: string;
  columns: readonly ColumnSchema[];
}

interface Loaded {
  kusto: KustoLanguage;
  kinds: Map<number, string>;
  symbolKinds: Map<number, string>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  // Bridge.NET scripts: they define the globals Bridge, System and Kusto instead of exporting.
  require("@kusto/language-service-next/bridge.min.js");
  require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const names = (e: Record<string, unknown>) => new Map(Object.entries(e).flatMap(([name, value]) => (typeof value === "number" ? [[value, name] as const] : [])));
  loaded = { kusto, kinds: names(kusto.Syntax.SyntaxKind), symbolKinds: names(kusto.Symbols.SymbolKind) };
  return loaded;
}

/** The syntax kind's name: "FilterOperator", "EqualTildeExpression", "StringLiteralToken", ... */
export function kindOf(node: { Kind: number }): string {
  return load().kinds.get(node.Kind) ?? "Unknown";
}

/** The symbol kind's name: "Column", "Table", "Function", "Tuple", ... */
export function symbolKindOf(symbol: KSymbol): string {
  return load().symbolKinds.get(symbol.Kind) ?? "None";
}

export function items<T>(list: KList<T> | null | undefined): T[] {
  if (list === null || list === undefined) return [];
  return Array.from({ length: list.Count }, (_, i) => list.getItem(i));
}

/** The elements of a separated list (`a, b, c`). */
export function elements(list: KList<KNode> | null | undefined): KNode[] {
  return items(list).flatMap((separated) => (separated.Element === null || separated.Element === undefined ? [] : [separated.Element]));
}

export function columnsOf(type: KSymbol | null | undefined): ColumnSchema[] {
  return items(type?.Columns).map((c) => ({ name: c.Name ?? "", type: c.Type?.Name ?? "dynamic" }));
}

interface Diagnostic {
  code: string;
  message: string;
  start: number;
  length: number;
}

/** A database of tables for the binder; reused for every query over the same tables. */
export class Schema {
  readonly tables: readonly TableSchema[];
  private readonly globals: unknown;

  constructor(tables: readonly TableSchema[]) {
    const { kusto } = load();
    this.tables = tables;
    // Every column name is bracketed: `kind` is a keyword, and an unbracketed list silently stops there.
    const symbols = tables.map((t) => new kusto.Symbols.TableSymbol.$ctor7(t.name, `(${t.columns.map((c) => `['${c.name}']:${c.type}`).join(", ")})`, null));
    this.globals = kusto.GlobalState.Default.WithDatabase(new kusto.Symbols.DatabaseSymbol.ctor("ResourceGraph", symbols));
  }

  /**
   * Parse and bind. Resource Graph reads table names case-insensitively and Kusto does not, so a table spelled
   * `recoveryservicesresources` is respelled (same length, same positions) and bound again.
   */
  analyze(text: string): { code: KCode; errors: Diagnostic[] } {
    const { kusto } = load();
    let code = kusto.KustoCode.ParseAndAnalyze(text, this.globals);
    let respelled = text;
    for (const d of items(code.GetDiagnostics())) {
      const spelled = text.slice(d.Start, d.Start + d.Length);
      const table = this.tables.find((t) => t.name.toLowerCase() === spelled.toLowerCase() && t.name !== spelled);
      if (table !== undefined) respelled = respelled.slice(0, d.Start) + table.name + respelled.slice(d.Start + d.Length);
    }
    if (respelled !== text) code = kusto.KustoCode.ParseAndAnalyze(respelled, this.globals);
    const errors = items(code.GetDiagnostics())
      .filter((d) => d.Severity === "Error")
      .map((d) => ({ code: d.Code ?? "KS", message: d.Message ?? "", start: d.Start, length: d.Length }));
    return { code, errors };
  }
}
