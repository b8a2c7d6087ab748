// The check of every KQL the deployment ships (alerts, workbook) against two things: Log Analytics' AppTraces table,
// with the Kusto parser, and the events the app really logs (./log-events.ts). A query reads the app's lines only
// through infra/modules/app-events.kql, which binds `payload` (the parsed line) and `event` (its name); after that it
// names events by comparing `event` with literals, and reads fields as `payload.a.b`, so both can be checked.
import { createRequire } from "node:module";

// AppTraces as the Azure Monitor Logs table reference lists it (azure-monitor-ref/tables/apptraces).
const APP_TRACES: [string, string][] = [
  ["AppRoleInstance", "string"],
  ["AppRoleName", "string"],
  ["AppVersion", "string"],
  ["_BilledSize", "real"],
  ["ClientBrowser", "string"],
  ["ClientCity", "string"],
  ["ClientCountryOrRegion", "string"],
  ["ClientIP", "string"],
  ["ClientModel", "string"],
  ["ClientOS", "string"],
  ["ClientStateOrProvince", "string"],
  ["ClientType", "string"],
  ["IKey", "string"],
  ["_IsBillable", "string"],
  ["ItemCount", "int"],
  ["Measurements", "dynamic"],
  ["Message", "string"],
  ["OperationId", "string"],
  ["OperationName", "string"],
  ["ParentId", "string"],
  ["Properties", "dynamic"],
  ["ReferencedItemId", "string"],
  ["ReferencedType", "string"],
  ["ResourceGUID", "string"],
  ["_ResourceId", "string"],
  ["SDKVersion", "string"],
  ["SessionId", "string"],
  ["SeverityLevel", "int"],
  ["SourceSystem", "string"],
  ["_SubscriptionId", "string"],
  ["SyntheticSource", "string"],
  ["TenantId", "string"],
  ["TimeGenerated", "datetime"],
  ["Type", "string"],
  ["UserAccountId", "string"],
  ["UserAuthenticatedId", "string"],
  ["UserId", "string"],
];

type KustoList<T> = { Count: number; getItem(i: number): T };
type KustoNode = {
  Kind: number;
  TextStart: number;
  Left?: KustoNode;
  Right?: KustoNode;
  /** The names of an `in (...)` list. */
  Expressions?: KustoList<{ Element: KustoNode }>;
  Expression?: KustoNode;
  Selector?: KustoNode;
  LiteralValue?: unknown;
  Name?: { SimpleName: string | null } | null;
  ReferencedSymbol?: { Name: string; constructor: { $$name: string } } | null;
  WalkNodes(action: (node: KustoNode) => void): void;
};
type KustoCode = { Syntax: KustoNode; GetDiagnostics(): KustoList<{ Code: string; Severity: string; Message: string; Start: number }> };
type KustoLanguage = {
  Symbols: {
    TableSymbol: { From(schema: string): { WithName(name: string): unknown } };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  Syntax: { SyntaxKind: Record<string, unknown> };
};

let loaded: { kusto: KustoLanguage; globals: unknown; kinds: Map<number, string> } | undefined;

function kustoState(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  // Bridge.NET scripts: they define the globals Bridge, System and Kusto instead of exporting.
  require("@kusto/language-service-next/bridge.min.js");
  require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  // Every column name bracketed: an unbracketed keyword would silently end the list.
  const appTraces = kusto.Symbols.TableSymbol.From(`(${APP_TRACES.map(([name, type]) => `['${name}']:${type}`).join(", ")})`).WithName("AppTraces");
  const globals = kusto.GlobalState.Default.WithDatabase(new kusto.Symbols.DatabaseSymbol.$ctor1("workspace", [appTraces], false));
  const kinds = new Map<number, string>();
  for (const [name, value] of Object.entries(kusto.Syntax.SyntaxKind)) if (typeof value === "number") kinds.set(value, name);
  loaded = { kusto, globals, kinds };
  return loaded;
}

function items<T>(list: KustoList<T> | undefined): T[] {
  return list === undefined ? [] : Array.from({ length: list.Count }, (_, i) => list.getItem(i));
}

/** Kusto's error diagnostics of a query against a workspace that holds AppTraces. */
function kustoErrors(query: string): string[] {
  const { kusto, globals } = kustoState();
  return items(kusto.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics())
    .filter((d) => d.Severity === "Error")
    .map((d) => `${d.Code} at ${d.Start}: ${d.Message}`);
}

/** What a query reads of the app's lines: the event names it compares `event` with, and the `payload` fields. */
export type LogQueryReading = { events: string[]; fields: string[]; problems: string[] };

const NAME_COMPARISONS = new Set(["EqualExpression", "NotEqualExpression", "InExpression", "NotInExpression"]);

export function readLogQuery(query: string, prelude: string): LogQueryReading {
  const { kusto, globals, kinds } = kustoState();
  const problems: string[] = [];
  if (!query.startsWith(prelude)) problems.push("the query does not start with infra/modules/app-events.kql: read the app's lines through appEvents, as every shipped query does");
  const events = new Set<string>();
  const fields = new Set<string>();
  const column = (node: KustoNode | undefined, name: string) =>
    node !== undefined && kinds.get(node.Kind) === "NameReference" && node.ReferencedSymbol?.constructor.$$name === "Kusto.Language.Symbols.ColumnSymbol" && node.ReferencedSymbol.Name === name;
  const pathOf = (node: KustoNode): string[] | undefined => {
    if (column(node, "payload")) return [];
    if (kinds.get(node.Kind) !== "PathExpression" || node.Expression === undefined) return undefined;
    const inner = pathOf(node.Expression);
    const selected = node.Selector?.Name?.SimpleName;
    return inner === undefined || selected === undefined || selected === null ? undefined : [...inner, selected];
  };
  const literal = (node: KustoNode | undefined): string | undefined =>
    node !== undefined && kinds.get(node.Kind) === "StringLiteralExpression" && typeof node.LiteralValue === "string" ? node.LiteralValue : undefined;

  kusto.KustoCode.ParseAndAnalyze(query, globals).Syntax.WalkNodes((node) => {
    if (node.TextStart < prelude.length) return;
    const kind = kinds.get(node.Kind) ?? "";
    if (column(node, "Message")) problems.push(`Message is read directly at ${node.TextStart}: read the app's fields as payload.<field>, so the check can see them`);
    if (kind === "ElementExpression" && node.Expression !== undefined && pathOf(node.Expression) !== undefined) {
      problems.push(`payload is indexed with [...] at ${node.TextStart}: read fields as payload.<field>, so the check can see them`);
    }
    const path = pathOf(node);
    if (path !== undefined && path.length > 0) {
      if (path.join(".") === "event") problems.push(`payload.event is read at ${node.TextStart}: compare the \`event\` column instead`);
      else fields.add(path.join("."));
    }
    const sides = [node.Left, node.Right];
    if (!sides.some((side) => column(side, "event"))) return;
    const other = column(node.Left, "event") ? node.Right : node.Left;
    const names = kind === "InExpression" || kind === "NotInExpression" ? items(other?.Expressions).map((e) => literal(e.Element)) : [literal(other)];
    if (!NAME_COMPARISONS.has(kind) || names.some((n) => n === undefined)) {
      problems.push(`\`event\` is compared at ${node.TextStart} other than with ==, !=, in or !in and literal names: name each event, so the check can see which the query reads`);
      return;
    }
    for (const name of names) if (name !== undefined) events.add(name);
  });
  return { events: [...events].sort(), fields: [...fields].sort(), problems };
}

/**
 * Every problem of a query: Kusto's errors, the reading rules above, an event the app does not log, and a field
 * that none of the events the query names carries. `catalog` maps each event the app logs to its field paths.
 */
export function checkLogQuery(query: string, prelude: string, catalog: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const reading = readLogQuery(query, prelude);
  const problems = [...kustoErrors(query), ...reading.problems];
  if (reading.events.length === 0) problems.push("the query names no event: compare `event` with the names of the events it reads");
  const known = reading.events.filter((name) => catalog.has(name));
  for (const name of reading.events.filter((n) => !catalog.has(n))) {
    problems.push(`'${name}' is not an event the app logs; src/ logs ${[...catalog.keys()].sort().join(", ")}`);
  }
  for (const field of reading.fields) {
    if (known.some((name) => catalog.get(name)?.has(field))) continue;
    const carried = [...new Set(known.flatMap((name) => [...(catalog.get(name) ?? [])]))].sort();
    problems.push(`payload.${field}: none of the events this query reads (${reading.events.join(", ")}) carries it; they carry ${carried.join(", ")}`);
  }
  return problems;
}
