import { QueryRefusal, Source } from "./errors.ts";
import { elements, items, kindOf, Schema, symbolKindOf } from "./kusto.ts";
import type { KNode, TableSchema } from "./kusto.ts";
import { compileTabular, MV_EXPAND_DEFAULT_LIMIT } from "./operators.ts";
import type { Column, Tables } from "./operators.ts";
import type { Clock, Ctx } from "./scalar.ts";
import { toLong } from "./values.ts";
import type { Row } from "./values.ts";

/**
 * A query as Resource Graph takes it: one tabular expression, checked against Resource Graph's documented language
 * (governance/resource-graph/concepts/query-language.md: "Supported tabular/top level operators", the join,
 * mv-expand and union limits), bound by Kusto's binder against the declared tables, then compiled once.
 */

interface CompiledQuery {
  columns: Column[];
  /** The query uses take / limit: Resource Graph answers it unpaged. */
  truncating: boolean;
  /** Runs over the tables; now() and ago() read `now` (microseconds since the epoch). */
  run(tables: Tables, now: number): Row[];
}

/** Operators Resource Graph runs, by syntax kind, with the spelling its documentation uses. */
const ARG_OPERATORS: Readonly<Record<string, string>> = {
  CountOperator: "count",
  DistinctOperator: "distinct",
  ExtendOperator: "extend",
  FilterOperator: "where",
  JoinOperator: "join",
  MvExpandOperator: "mv-expand",
  ParseOperator: "parse",
  ProjectOperator: "project",
  ProjectAwayOperator: "project-away",
  SortOperator: "order by / sort by",
  SummarizeOperator: "summarize",
  TakeOperator: "limit / take",
  TopOperator: "top",
  UnionOperator: "union",
};

/** Tabular sources that are not Resource Graph tables. */
const FOREIGN_SOURCES: Readonly<Record<string, string>> = {
  DataTableExpression: "datatable",
  ContextualDataTableExpression: "datatable",
  ExternalDataExpression: "externaldata",
  ToScalarExpression: "toscalar",
  ToTableExpression: "totable",
  MaterializeExpression: "materialize",
  MaterializedViewCombineExpression: "materialized_view",
};

const ARG_LIMITS = { joins: 3, mvExpands: 2, unionLegs: 3, mvExpandRows: 400 } as const;
const JOINABLE_ACROSS = new Set(["resources", "resourcecontainers"]);

const KS_LEADING_OPERATOR = "KS174";

export class Evaluator {
  private readonly schema: Schema;
  private readonly cache = new Map<string, CompiledQuery | QueryRefusal>();

  constructor(tables: readonly TableSchema[]) {
    this.schema = new Schema(tables);
  }

  /** The compiled query, or a QueryRefusal thrown; both are remembered per query text. */
  compile(text: string): CompiledQuery {
    const known = this.cache.get(text);
    if (known instanceof QueryRefusal) throw known;
    if (known !== undefined) return known;
    let compiled: CompiledQuery;
    try {
      compiled = this.build(text);
    } catch (error) {
      if (error instanceof QueryRefusal) this.remember(text, error);
      throw error;
    }
    this.remember(text, compiled);
    return compiled;
  }

  private remember(text: string, entry: CompiledQuery | QueryRefusal): void {
    if (this.cache.size >= 256) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(text, entry);
  }

  private build(text: string): CompiledQuery {
    let source = new Source(text);
    let { code, errors } = this.schema.analyze(text);
    // Resources is the default table: a query may start with an operator (query-language.md, "Resource Graph tables").
    if (errors[0]?.code === KS_LEADING_OPERATOR && text.slice(0, errors[0].start).trim() === "") {
      const prefix = "Resources | ";
      source = new Source(prefix + text, prefix.length);
      ({ code, errors } = this.schema.analyze(prefix + text));
    }
    const statement = singleStatement(code.Syntax, source);
    checkLanguage(statement, source);
    const error = errors[0];
    if (error !== undefined) {
      source.refuseAt(error.start, error.length, `${error.message} (${error.code})`);
    }
    const clock: Clock = { now: 0 };
    const ctx: Ctx = { source, clock };
    const plan = compileTabular(statement, ctx);
    return {
      columns: plan.columns,
      truncating: plan.truncating,
      run: (tables, now) => {
        clock.now = now;
        return plan.run(tables);
      },
    };
  }
}

/** Resource Graph takes one tabular expression: no let, set, declare or other statements. */
function singleStatement(block: KNode, source: Source): KNode {
  const directive = items(block.Directives)[0];
  if (directive !== undefined) source.refuse(directive, "Resource Graph does not support directives such as `#connect`");
  const statements = elements(block.Statements);
  for (const s of statements) {
    if (kindOf(s) !== "ExpressionStatement") {
      const word = s.GetFirstToken()?.Text ?? kindOf(s);
      source.refuse(s, `Resource Graph does not support the \`${word}\` statement: a query is one tabular expression (write each value where it is used)`);
    }
  }
  if (statements.length !== 1) source.refuse(statements[1], statements.length === 0 ? "the query is empty" : "Resource Graph runs one tabular expression per query; this text has several statements");
  const expression = statements[0]!.Expression;
  if (expression === null || expression === undefined) return source.refuse(statements[0], "the query is empty");
  return expression;
}

function tablesIn(node: KNode): Set<string> {
  const names = new Set<string>();
  const visit = (n: KNode) => {
    if (kindOf(n) === "NameReference" && n.ReferencedSymbol !== null && n.ReferencedSymbol !== undefined && symbolKindOf(n.ReferencedSymbol) === "Table") names.add((n.ReferencedSymbol.Name ?? "").toLowerCase());
  };
  node.WalkNodes(visit);
  return names;
}

/** What Resource Graph refuses before running anything: operators outside its list and its per-query limits. */
function checkLanguage(statement: KNode, source: Source): void {
  let joins = 0;
  let mvExpands = 0;
  const crossTable: Set<string>[] = [];
  const visit = (node: KNode) => {
    const kind = kindOf(node);
    const foreign = FOREIGN_SOURCES[kind];
    if (foreign !== undefined) source.refuse(node, `Resource Graph does not support \`${foreign}\`; a query reads Resource Graph tables`);
    if (kind === "PipeExpression" && node.Operator !== null && node.Operator !== undefined && kindOf(node.Operator) === "JoinOperator") {
      const left = tablesIn(node.Expression!);
      const right = tablesIn(node.Operator.Expression!);
      const same = left.size === right.size && [...left].every((t) => right.has(t));
      if (!same) crossTable.push(new Set([...left, ...right]));
    }
    if (!kind.endsWith("Operator") || kind === "BadQueryOperator") return;
    const spelled = node.GetFirstToken()?.Text ?? kind;
    if (ARG_OPERATORS[kind] === undefined) {
      source.refuse(node, `Resource Graph does not support the \`${spelled}\` operator; it supports ${Object.values(ARG_OPERATORS).join(", ")}`);
    }
    if (kind === "JoinOperator") {
      joins += 1;
      if (joins > ARG_LIMITS.joins) source.refuse(node, `Resource Graph allows at most ${ARG_LIMITS.joins} \`join\` operators in a query; this is join number ${joins}`);
    } else if (kind === "MvExpandOperator") {
      mvExpands += 1;
      if (mvExpands > ARG_LIMITS.mvExpands) source.refuse(node, `Resource Graph allows at most ${ARG_LIMITS.mvExpands} \`mv-expand\` operators in a query; this is mv-expand number ${mvExpands}`);
      const limit = node.RowLimitClause?.RowLimit;
      const rows = limit === null || limit === undefined ? MV_EXPAND_DEFAULT_LIMIT : toLong(Number(source.textOf(limit)), "real");
      if (rows === null || rows > ARG_LIMITS.mvExpandRows) source.refuse(limit ?? node, `Resource Graph's \`mv-expand\` row limit is at most ${ARG_LIMITS.mvExpandRows}`);
    } else if (kind === "UnionOperator") {
      const legs = elements(node.Expressions).length + (isPiped(node, statement) ? 1 : 0);
      if (legs > ARG_LIMITS.unionLegs) source.refuse(node, `Resource Graph allows at most ${ARG_LIMITS.unionLegs} \`union\` legs; this union has ${legs}`);
      for (const leg of elements(node.Expressions)) {
        if (/[*?]/.test(source.textOf(leg)) && kindOf(leg) !== "PipeExpression" && kindOf(leg) !== "ParenthesizedExpression") source.refuse(leg, "Resource Graph does not allow wildcard (fuzzy) union legs");
      }
    }
  };
  statement.WalkNodes(visit);
  if (crossTable.length > 1 && !crossTable.every((tables) => [...tables].every((t) => JOINABLE_ACROSS.has(t)))) {
    source.refuse(statement, "Resource Graph allows one cross-table join per query (more only between Resources and ResourceContainers)");
  }
}

/** `T | union A, B` has three legs; a leading `union A, B` two. */
function isPiped(union: KNode, statement: KNode): boolean {
  let piped = false;
  const visit = (n: KNode) => {
    if (kindOf(n) === "PipeExpression" && n.Operator === union) piped = true;
  };
  statement.WalkNodes(visit);
  return piped;
}
