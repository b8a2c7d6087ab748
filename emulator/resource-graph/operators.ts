import { compileAggregate } from "./aggregates.ts";
import type { Aggregator } from "./aggregates.ts";
import { columnsOf, elements, items, kindOf, symbolKindOf } from "./kusto.ts";
import type { KNode } from "./kusto.ts";
import { compileScalar, regexOrRefuse, scopeOf, typedColumns, typeOfNode } from "./scalar.ts";
import type { Ctx, Expr, Scope } from "./scalar.ts";
import { compareValues, convert, keyOf, ktype, toBool, toDatetime, toLong, toStr } from "./values.ts";
import type { Json, KType, Row, Value } from "./values.ts";

/**
 * Resource Graph's tabular operators over rows held as arrays in the binder's column order. Each operator is compiled
 * once into a closure; joins and summarize hash their keys, so a query is a few passes over its input.
 * Each operator's semantics follow its page, https://learn.microsoft.com/kusto/query/<operator>-operator.
 */

export interface Column {
  name: string;
  type: KType;
}

/** Where a plan reads its tables when it runs. */
export interface Tables {
  rows(table: string): Row[];
}

interface Plan {
  columns: Column[];
  /** take / limit: Resource Graph does not page such a result. */
  truncating: boolean;
  run(tables: Tables): Row[];
  /** An innerunique join: a later filter on its left columns applies before the left side is de-duplicated. */
  leftFilter?: { width: number; apply(keep: (row: Row) => boolean): Plan };
}

/** A cell's empty value: strings have no null in Kusto. */
const emptyOf = (type: KType): Value => (type === "string" ? "" : null);

export function compileTabular(node: KNode, ctx: Ctx): Plan {
  const kind = kindOf(node);
  if (kind === "PipeExpression") {
    const input = compileTabular(node.Expression!, ctx);
    return compileOperator(node.Operator!, input, ctx);
  }
  if (kind === "ParenthesizedExpression") return compileTabular(node.Expression!, ctx);
  if (kind === "NameReference" && node.ReferencedSymbol !== null && node.ReferencedSymbol !== undefined && symbolKindOf(node.ReferencedSymbol) === "Table") {
    const name = node.ReferencedSymbol.Name ?? "";
    return { columns: typedColumns(columnsOf(node.ReferencedSymbol)), truncating: false, run: (tables) => tables.rows(name) };
  }
  if (kind === "UnionOperator") return union(node, undefined, ctx);
  return ctx.source.refuse(node, `\`${ctx.source.textOf(node).slice(0, 60)}\` is not a table or a tabular expression the emulator's Resource Graph runs`);
}

type OperatorCompiler = (op: KNode, input: Plan, ctx: Ctx) => Plan;

function compileOperator(op: KNode, input: Plan, ctx: Ctx): Plan {
  const compile = OPERATORS[kindOf(op)];
  if (compile === undefined) return ctx.source.refuse(op, `the \`${op.GetFirstToken()?.Text ?? kindOf(op)}\` operator is not implemented by the emulator's Resource Graph`);
  return compile(op, input, ctx);
}

const outputOf = (op: KNode): Column[] => typedColumns(columnsOf(op.ResultType));
const named = (input: Plan, columns: Column[], run: (tables: Tables) => Row[]): Plan => ({ columns, truncating: input.truncating, run });

/** `name = expr` and bare expressions alike: the expression, and the name written (if any). */
function unname(node: KNode): { expr: KNode; name?: string } {
  if (kindOf(node) === "SimpleNamedExpression") return { expr: node.Expression!, name: node.Name?.SimpleName ?? undefined };
  return { expr: node };
}

function parameter(op: KNode, name: string, ctx: Ctx): string | undefined {
  const found = items(op.Parameters).find((p) => p.Name?.SimpleName?.toLowerCase() === name);
  if (found === undefined) return undefined;
  return ctx.source.textOf(found.Expression!).trim();
}

function refuseParameters(op: KNode, allowed: readonly string[], ctx: Ctx): void {
  for (const p of items(op.Parameters)) {
    const name = p.Name?.SimpleName?.toLowerCase() ?? "";
    if (!allowed.includes(name) && !name.startsWith("hint.")) ctx.source.refuse(p, `the \`${name}\` parameter of \`${op.GetFirstToken()?.Text ?? ""}\` is not implemented by the emulator's Resource Graph`);
  }
}

// ---------------------------------------------------------------------------------------------
// where, extend, project, project-away

function where(op: KNode, input: Plan, ctx: Ctx): Plan {
  const scope = scopeOf(input.columns);
  const condition = compileScalar(op.Condition!, scope, ctx);
  const test = condition.eval;
  const type = condition.type;
  // Rows whose predicate is null are dropped (null-values page, "Null values and the where operator").
  const keep = type === "bool" ? (row: Row) => test(row) === true : (row: Row) => toBool(test(row), type) === true;
  // Kusto pushes a filter after an innerunique join to the left side when it reads only left columns, so it
  // applies before the de-duplication (join-innerunique page, the `where value == "val1.2"` example).
  const push = input.leftFilter;
  if (push !== undefined && columnsRead(op.Condition!, scope).every((i) => i < push.width)) return push.apply(keep);
  return named(input, input.columns, (tables) => input.run(tables).filter(keep));
}

/** The input columns an expression reads. */
function columnsRead(node: KNode, scope: Scope): number[] {
  const read: number[] = [];
  const visit = (n: KNode) => {
    if (kindOf(n) !== "NameReference" || n.ReferencedSymbol === null || n.ReferencedSymbol === undefined || symbolKindOf(n.ReferencedSymbol) !== "Column") return;
    read.push(scope.index.get(n.ReferencedSymbol.Name ?? "") ?? Number.POSITIVE_INFINITY);
  };
  node.WalkNodes(visit);
  return read;
}

/** The column each bare (unnamed) expression fills: the binder appends new columns in the order they are written. */
function targets(exprs: { expr: KNode; name?: string }[], input: Column[], output: Column[], ctx: Ctx): number[] {
  const index = new Map(output.map((c, i) => [c.name, i]));
  let next = input.length;
  return exprs.map(({ expr, name }) => {
    const spelled = name ?? (kindOf(expr) === "NameReference" ? expr.ReferencedSymbol?.Name ?? undefined : undefined);
    if (spelled !== undefined) {
      const at = index.get(spelled);
      if (at === undefined) return ctx.source.refuse(expr, `cannot tell which column \`${spelled}\` fills`);
      if (at === next) next += 1;
      return at;
    }
    const at = next;
    next += 1;
    return at;
  });
}

function extend(op: KNode, input: Plan, ctx: Ctx): Plan {
  const output = outputOf(op);
  const exprs = elements(op.Expressions).map((e) => {
    if (kindOf(e) === "CompoundNamedExpression") return ctx.source.refuse(e, "`(a, b) = ...` in extend is not implemented by the emulator's Resource Graph");
    return unname(e);
  });
  const at = targets(exprs, input.columns, output, ctx);
  const from = output.map((c) => input.columns.findIndex((i) => i.name === c.name));
  // Later expressions see the columns earlier ones defined, so each is evaluated over the row being built.
  const scope = scopeOf(output);
  const compiled = exprs.map(({ expr }, i) => cast(compileScalar(expr, scope, ctx), output[at[i]!]!.type));
  const width = output.length;
  return named(input, output, (tables) =>
    input.run(tables).map((row) => {
      const out: Row = new Array<Value>(width);
      for (let j = 0; j < width; j += 1) out[j] = from[j]! >= 0 ? row[from[j]!]! : null;
      for (let i = 0; i < compiled.length; i += 1) out[at[i]!] = compiled[i]!.eval(out);
      return out;
    }),
  );
}

/** A value in the column's type (the binder may widen int to long, or type a null literal). */
function cast(expr: Expr, type: KType): Expr {
  if (expr.type === type) return expr;
  const inner = expr.eval;
  const from = expr.type;
  return { type, eval: (row) => convert(inner(row), from, type), constant: expr.constant };
}

function project(op: KNode, input: Plan, ctx: Ctx): Plan {
  const output = outputOf(op);
  const exprs = elements(op.Expressions);
  if (exprs.length !== output.length || exprs.some((e) => kindOf(e) === "CompoundNamedExpression")) {
    return ctx.source.refuse(op, "this form of `project` is not implemented by the emulator's Resource Graph");
  }
  const scope = scopeOf(input.columns);
  const compiled = exprs.map((e, i) => cast(compileScalar(unname(e).expr, scope, ctx), output[i]!.type).eval);
  return named(input, output, (tables) => input.run(tables).map((row) => compiled.map((f) => f(row))));
}

function projectAway(op: KNode, input: Plan, _ctx: Ctx): Plan {
  const output = outputOf(op);
  const from = output.map((c) => input.columns.findIndex((i) => i.name === c.name));
  return named(input, output, (tables) => input.run(tables).map((row) => from.map((i) => row[i]!)));
}

// ---------------------------------------------------------------------------------------------
// summarize

interface Slot {
  aggregator: Aggregator;
  /** Where its first value lands in the results row read by expressions over aggregations. */
  at: number;
}

/**
 * summarize Aggregations by Keys: one output row per distinct key (first-seen order); without `by`, exactly one row,
 * even over no input (https://learn.microsoft.com/kusto/query/summarize-operator). Output columns are the by columns
 * then each aggregation's, as the binder names them (`count_`, `max_x`, arg_max's tuple, `Column1`, ...).
 */
function summarize(op: KNode, input: Plan, ctx: Ctx): Plan {
  if (op.ByClause?.BinClause !== null && op.ByClause?.BinClause !== undefined) return ctx.source.refuse(op.ByClause, "`summarize ... by ... bin=` is not implemented by the emulator's Resource Graph");
  refuseParameters(op, [], ctx);
  const output = outputOf(op);
  const scope = scopeOf(input.columns);
  const keys = elements(op.ByClause?.Expressions).map((e, i) => cast(compileScalar(unname(e).expr, scope, ctx), output[i]?.type ?? "dynamic").eval);
  const slots: Slot[] = [];
  let width = 0;
  const register = (aggregator: Aggregator): Slot => {
    const slot = { aggregator, at: width };
    width += aggregator.width;
    slots.push(slot);
    return slot;
  };
  // Each aggregation expression yields its output values from the results row of its group.
  const outputs: ((results: Row) => Value[])[] = [];
  let produced = keys.length;
  for (const element of elements(op.Aggregates)) {
    const expr = kindOf(element) === "SimpleNamedExpression" || kindOf(element) === "CompoundNamedExpression" ? element.Expression! : element;
    const name = kindOf(expr) === "FunctionCallExpression" ? expr.ReferencedSymbol?.Name ?? "" : "";
    const top = name === "" ? undefined : compileAggregate(expr, name, scope, ctx);
    if (top !== undefined) {
      const slot = register(top);
      outputs.push((results) => results.slice(slot.at, slot.at + top.width));
      produced += top.width;
      continue;
    }
    const aggCtx: Ctx = {
      ...ctx,
      aggregate: (call, fn) => {
        const aggregator = compileAggregate(call, fn, scope, ctx);
        if (aggregator === undefined) return undefined;
        if (aggregator.width !== 1) return ctx.source.refuse(call, `\`${fn}()\` inside an expression is not implemented by the emulator's Resource Graph`);
        const slot = register(aggregator);
        return { type: typeOfNode(call), eval: (results) => results[slot.at]!, constant: false };
      },
    };
    const compiled = compileScalar(expr, scopeOf([]), aggCtx);
    outputs.push((results) => [compiled.eval(results)]);
    produced += 1;
  }
  if (produced !== output.length) return ctx.source.refuse(op, "this form of `summarize` is not implemented by the emulator's Resource Graph");
  const aggregateColumns = output.slice(keys.length);
  return named(input, output, (tables) => {
    const rows = input.run(tables);
    const groups = new Map<string, { key: Row; states: unknown[] }>();
    const single = keys.length === 1 ? keys[0]! : undefined;
    for (const row of rows) {
      let key: string;
      let values: Row;
      if (single !== undefined) {
        const v = single(row);
        key = keyOf(v);
        values = [v];
      } else {
        values = keys.map((k) => k(row));
        key = values.map(keyOf).join("\u0001");
      }
      let group = groups.get(key);
      if (group === undefined) {
        group = { key: values, states: slots.map((s) => s.aggregator.init()) };
        groups.set(key, group);
      }
      for (let i = 0; i < slots.length; i += 1) slots[i]!.aggregator.add(group.states[i], row);
    }
    if (keys.length === 0 && groups.size === 0) groups.set("", { key: [], states: slots.map((s) => s.aggregator.init()) });
    const out: Row[] = [];
    for (const group of groups.values()) {
      const results: Row = [];
      slots.forEach((s, i) => results.push(...s.aggregator.result(group.states[i])));
      const cells: Row = [...group.key];
      for (const f of outputs) cells.push(...f(results));
      out.push(cells.map((v, j) => (j >= keys.length && aggregateColumns[j - keys.length]?.type === "string" && v === null ? "" : v)));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// join

const JOIN_KINDS = ["innerunique", "inner", "leftouter", "fullouter"] as const;
type JoinKind = (typeof JOIN_KINDS)[number];

/** The equality pairs of `on a, $left.b == $right.c`, as column indexes of each side. */
function joinKeys(clause: KNode, left: Plan, right: Plan, ctx: Ctx): [number[], number[]] {
  if (kindOf(clause) !== "JoinOnClause") return ctx.source.refuse(clause, "`join ... where` is not implemented by the emulator's Resource Graph; use `on`");
  const leftIndex = scopeOf(left.columns).index;
  const rightIndex = scopeOf(right.columns).index;
  const l: number[] = [];
  const r: number[] = [];
  const side = (e: KNode): { side: "left" | "right"; column: string } | undefined => {
    if (kindOf(e) !== "PathExpression") return undefined;
    const which = ctx.source.textOf(e.Expression!).toLowerCase();
    const column = e.Selector?.SimpleName ?? "";
    return which === "$left" ? { side: "left", column } : which === "$right" ? { side: "right", column } : undefined;
  };
  const add = (e: KNode): void => {
    const kind = kindOf(e);
    if (kind === "AndExpression") {
      add(e.Left!);
      add(e.Right!);
      return;
    }
    if (kind === "NameReference") {
      const name = e.SimpleName ?? "";
      l.push(leftIndex.get(name) ?? ctx.source.refuse(e, `the left side has no column \`${name}\``));
      r.push(rightIndex.get(name) ?? ctx.source.refuse(e, `the right side has no column \`${name}\``));
      return;
    }
    if (kind === "EqualExpression") {
      const a = side(e.Left!);
      const b = side(e.Right!);
      if (a !== undefined && b !== undefined && a.side !== b.side) {
        const [lc, rc] = a.side === "left" ? [a.column, b.column] : [b.column, a.column];
        l.push(leftIndex.get(lc) ?? ctx.source.refuse(e, `the left side has no column \`${lc}\``));
        r.push(rightIndex.get(rc) ?? ctx.source.refuse(e, `the right side has no column \`${rc}\``));
        return;
      }
    }
    ctx.source.refuse(e, `the join condition \`${ctx.source.textOf(e)}\` is not implemented by the emulator's Resource Graph; use column names or $left.a == $right.b`);
  };
  for (const e of elements(clause.Expressions)) add(e);
  return [l, r];
}

/** A composite key; undefined when a key cell is null (null keys match nothing). */
function keyReader(columns: number[]): (row: Row) => string | undefined {
  if (columns.length === 1) {
    const c = columns[0]!;
    return (row) => (row[c] === null ? undefined : keyOf(row[c]!));
  }
  return (row) => {
    let key = "";
    for (const c of columns) {
      if (row[c] === null) return undefined;
      key += `${keyOf(row[c]!)}\u0001`;
    }
    return key;
  };
}

/**
 * Hash join: the right side is hashed once, the left streamed. innerunique keeps the first left row of each key
 * before matching (https://learn.microsoft.com/kusto/query/join-innerunique); leftouter keeps unmatched left rows,
 * fullouter unmatched rows of both, with empty cells for the other side (join-leftouter, join-fullouter).
 */
function join(op: KNode, input: Plan, ctx: Ctx): Plan {
  refuseParameters(op, ["kind"], ctx);
  const kind = (parameter(op, "kind", ctx) ?? "innerunique").toLowerCase() as JoinKind;
  if (!JOIN_KINDS.includes(kind)) return ctx.source.refuse(op, `Resource Graph does not support \`join kind=${kind}\`; use one of ${JOIN_KINDS.join(", ")}`);
  const right = compileTabular(op.Expression!, ctx);
  const output = outputOf(op);
  if (output.length !== input.columns.length + right.columns.length) return ctx.source.refuse(op, "this `join` is not implemented by the emulator's Resource Graph");
  const [leftKeys, rightKeys] = joinKeys(op.ConditionClause!, input, right, ctx);
  const leftKey = keyReader(leftKeys);
  const rightKey = keyReader(rightKeys);
  const leftEmpty = input.columns.map((c) => emptyOf(c.type));
  const rightEmpty = right.columns.map((c) => emptyOf(c.type));
  const build = (left: Plan): Plan => ({
    columns: output,
    truncating: left.truncating || right.truncating,
    run: (data) => {
      const rightRows = right.run(data);
      const hashed = new Map<string, Row[]>();
      for (const row of rightRows) {
        const key = rightKey(row);
        if (key === undefined) continue;
        const list = hashed.get(key);
        if (list === undefined) hashed.set(key, [row]);
        else list.push(row);
      }
      let leftRows = left.run(data);
      if (kind === "innerunique") {
        const seen = new Set<string>();
        leftRows = leftRows.filter((row) => {
          const key = leftKey(row);
          if (key === undefined || seen.has(key)) return false;
          seen.add(key);
          return true;
        });
      }
      const out: Row[] = [];
      const matched = kind === "fullouter" ? new Set<Row>() : undefined;
      for (const row of leftRows) {
        const key = leftKey(row);
        const matches = key === undefined ? undefined : hashed.get(key);
        if (matches === undefined) {
          if (kind === "leftouter" || kind === "fullouter") out.push([...row, ...rightEmpty]);
          continue;
        }
        for (const m of matches) {
          out.push([...row, ...m]);
          matched?.add(m);
        }
      }
      if (matched !== undefined) for (const row of rightRows) if (!matched.has(row)) out.push([...leftEmpty, ...row]);
      return out;
    },
    ...(kind === "innerunique"
      ? { leftFilter: { width: left.columns.length, apply: (keep: (row: Row) => boolean) => build({ ...left, run: (data: Tables) => left.run(data).filter(keep) }) } }
      : {}),
  });
  return build(input);
}

// ---------------------------------------------------------------------------------------------
// union

/**
 * union: the rows of every leg, columns matched by name; a name that occurs with several types becomes one column
 * per type, suffixed `_type` (and de-duplicated with a number), as the binder names them (union-operator page,
 * "Source columns types mismatch"). `withsource=` names the table each row came from.
 */
function union(op: KNode, input: Plan | undefined, ctx: Ctx): Plan {
  refuseParameters(op, ["kind", "withsource"], ctx);
  const output = outputOf(op);
  const legNodes = elements(op.Expressions);
  const legs = [...(input === undefined ? [] : [input]), ...legNodes.map((e) => compileTabular(e, ctx))];
  const source = parameter(op, "withsource", ctx);
  let labels: string[] = [];
  if (source !== undefined) {
    if (input !== undefined || legNodes.some((e) => kindOf(e) !== "NameReference")) return ctx.source.refuse(op, "`union withsource=` is implemented by the emulator's Resource Graph for table names only");
    labels = legNodes.map((e) => e.ReferencedSymbol?.Name ?? "");
  }
  const sourceAt = source === undefined ? -1 : output.findIndex((c) => c.name === source);
  const exact = new Set(output.filter((c) => legs.some((l) => l.columns.some((x) => x.name === c.name && x.type === c.type))).map((c) => c.name));
  const maps = legs.map((leg) => {
    const map = output.map(() => -1);
    leg.columns.forEach((c, i) => {
      const same = output.findIndex((o) => o.name === c.name && o.type === c.type);
      if (same >= 0) {
        map[same] = i;
        return;
      }
      const renamed = new RegExp(`^${escapeRegex(c.name)}_${c.type}\\d*$`);
      const at = output.findIndex((o, j) => map[j] === -1 && !exact.has(o.name) && renamed.test(o.name));
      if (at >= 0) map[at] = i;
    });
    return map;
  });
  const empties = output.map((c) => emptyOf(c.type));
  return {
    columns: output,
    truncating: legs.some((l) => l.truncating),
    run: (data) =>
      legs.flatMap((leg, i) => {
        const map = maps[i]!;
        return leg.run(data).map((row) => map.map((at, j) => (j === sourceAt ? labels[i]! : at >= 0 ? row[at]! : empties[j]!)));
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// mv-expand

/** Resource Graph expands at most this many rows per input row unless the query says `limit n` (at most 400). */
export const MV_EXPAND_DEFAULT_LIMIT = 128;

/** `to typeof(T)` casts without converting: elements not of that type become null (mv-expand page). */
function castOnly(v: Json, type: KType): Value {
  if (v === null || type === "dynamic") return v;
  switch (type) {
    case "string":
    case "guid":
      return typeof v === "string" ? v : null;
    case "bool":
      return typeof v === "boolean" ? v : null;
    case "int":
    case "long":
      return typeof v === "number" && Number.isInteger(v) ? v : null;
    case "real":
      return typeof v === "number" ? v : null;
    case "datetime":
      return typeof v === "string" ? toDatetime(v, "dynamic") : null;
    case "timespan":
      return typeof v === "string" ? convert(v, "dynamic", "timespan") : null;
  }
}

function mvExpand(op: KNode, input: Plan, ctx: Ctx): Plan {
  refuseParameters(op, ["kind", "bagexpansion", "with_itemindex"], ctx);
  const output = outputOf(op);
  const arrayMode = (parameter(op, "kind", ctx) ?? parameter(op, "bagexpansion", ctx) ?? "bag").toLowerCase() === "array";
  const indexName = parameter(op, "with_itemindex", ctx);
  const limitNode = op.RowLimitClause?.RowLimit;
  const limit = limitNode === null || limitNode === undefined ? MV_EXPAND_DEFAULT_LIMIT : (toLong(compileScalar(limitNode, scopeOf([]), ctx).eval([]), "long") ?? MV_EXPAND_DEFAULT_LIMIT);
  const scope = scopeOf(input.columns);
  const expansions = elements(op.Expressions).map((e) => ({ ...unname(e.Expression!), to: e.ToTypeOf?.TypeOf === null || e.ToTypeOf?.TypeOf === undefined ? undefined : typeOfNode(e.ToTypeOf.TypeOf) }));
  const at = targets(expansions, input.columns, output.filter((c) => c.name !== indexName), ctx);
  const compiled = expansions.map((e) => compileScalar(e.expr, scope, ctx));
  const types = at.map((i) => output[i]!.type);
  const from = output.map((c) => input.columns.findIndex((i) => i.name === c.name));
  const indexAt = indexName === undefined ? -1 : output.findIndex((c) => c.name === indexName);
  const elementsOf = (v: Value): Json[] | undefined => {
    if (v === null) return undefined;
    if (Array.isArray(v)) return v;
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => (arrayMode ? [k, x] : { [k]: x }));
    return [v];
  };
  return named(input, output, (tables) => {
    const out: Row[] = [];
    for (const row of input.run(tables)) {
      const lists = compiled.map((c) => elementsOf(c.eval(row)));
      // A null value gives one row with null; an empty array or bag gives none (mv-expand page, "Returns").
      const count = Math.min(limit, lists.every((l) => l === undefined) ? 1 : Math.max(...lists.map((l) => (l === undefined ? 1 : l.length))));
      for (let n = 0; n < count; n += 1) {
        const cells: Row = from.map((i) => (i >= 0 ? row[i]! : null));
        lists.forEach((list, k) => {
          const v = list === undefined ? null : (list[n] ?? null);
          cells[at[k]!] = types[k] === "dynamic" ? v : castOnly(v, types[k]!);
        });
        if (indexAt >= 0) cells[indexAt] = n;
        out.push(cells);
      }
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// parse

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * parse Expr with pattern: a regex built from the pattern, anchored at both ends; `*` skips text and each column
 * captures text of its type (https://learn.microsoft.com/kusto/query/parse-operator). In simple mode a column that
 * fails its type fails the whole match (all columns null); in relaxed mode only that column is null.
 */
function parse(op: KNode, input: Plan, ctx: Ctx): Plan {
  refuseParameters(op, ["kind", "flags"], ctx);
  const mode = (parameter(op, "kind", ctx) ?? "simple").toLowerCase();
  if (!["simple", "regex", "relaxed"].includes(mode)) return ctx.source.refuse(op, `\`parse kind=${mode}\` is not a parse kind (simple, regex, relaxed)`);
  const flags = parameter(op, "flags", ctx) ?? "";
  const output = outputOf(op);
  const scope = scopeOf(input.columns);
  const source = compileScalar(op.Expression!, scope, ctx);
  const captures: { name: string; type: KType }[] = [];
  let pattern = "";
  const lazy = mode !== "regex";
  for (const part of items(op.Patterns)) {
    const kind = kindOf(part);
    if (kind === "StarExpression") pattern += lazy ? ".*?" : ".*";
    else if (kind === "StringLiteralExpression" || kind === "CompoundStringLiteralExpression") {
      const text = String(part.ConstantValue ?? "");
      pattern += mode === "regex" ? text : escapeRegex(text);
    } else if (kind === "NameAndTypeDeclaration" || kind === "NameDeclaration") {
      const name = (kind === "NameDeclaration" ? part.SimpleName : part.Name?.SimpleName) ?? "";
      const type = kind === "NameDeclaration" ? "string" : ktype(ctx.source.textOf(part.Type!).trim());
      const group = `c${captures.length}`;
      captures.push({ name, type });
      const any = lazy ? ".*?" : ".*";
      const typed = type === "long" || type === "int" ? "-?\\d+" : type === "real" ? "-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?" : undefined;
      // simple: a number column matches a number or fails the row; relaxed: a number if there is one, else any text (then null).
      const body = typed === undefined || mode === "regex" ? any : mode === "simple" ? typed : `${typed}|${any}`;
      pattern += `(?<${group}>${body})`;
    } else {
      return ctx.source.refuse(part, `\`${ctx.source.textOf(part)}\` in a parse pattern is not implemented by the emulator's Resource Graph`);
    }
  }
  const regex = regexOrRefuse(`^(?:${pattern})$`, mode === "regex" ? flags : "", ctx, op);
  const capturedAt = captures.map((c) => output.findIndex((o) => o.name === c.name));
  const from = output.map((c) => (captures.some((k) => k.name === c.name) ? -1 : input.columns.findIndex((i) => i.name === c.name)));
  const text = (row: Row) => toStr(source.eval(row), source.type);
  return named(input, output, (tables) =>
    input.run(tables).map((row) => {
      const cells: Row = from.map((i, j) => (i >= 0 ? row[i]! : emptyOf(output[j]!.type)));
      const m = regex.exec(text(row));
      if (m === null) return cells;
      const values = captures.map((c, k) => {
        const raw = m.groups?.[`c${k}`] ?? "";
        return c.type === "string" ? raw : convert(raw.trim(), "string", c.type);
      });
      if (mode !== "relaxed" && values.some((v, k) => v === null && captures[k]!.type !== "string")) return cells;
      values.forEach((v, k) => {
        cells[capturedAt[k]!] = v ?? emptyOf(captures[k]!.type);
      });
      return cells;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// distinct, count, take, order by, top

function distinct(op: KNode, input: Plan, ctx: Ctx): Plan {
  const output = outputOf(op);
  const scope = scopeOf(input.columns);
  const exprs = elements(op.Expressions);
  const readers = exprs.length === 1 && kindOf(exprs[0]!) === "StarExpression" ? input.columns.map((_, i) => (row: Row) => row[i]!) : exprs.map((e) => compileScalar(unname(e).expr, scope, ctx).eval);
  return named(input, output, (tables) => {
    const seen = new Set<string>();
    const out: Row[] = [];
    for (const row of input.run(tables)) {
      const cells = readers.map((r) => r(row));
      const key = cells.map(keyOf).join("\u0001");
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(cells);
    }
    return out;
  });
}

function count(op: KNode, input: Plan, _ctx: Ctx): Plan {
  return named(input, outputOf(op), (tables) => [[input.run(tables).length]]);
}

function rowCount(node: KNode, ctx: Ctx, what: string): number {
  const e = compileScalar(node, scopeOf([]), ctx);
  const n = e.constant ? toLong(e.eval([]), e.type) : null;
  return n === null || n < 0 ? ctx.source.refuse(node, `the ${what} must be a non-negative constant`) : n;
}

function take(op: KNode, input: Plan, ctx: Ctx): Plan {
  const n = rowCount(op.Expression!, ctx, "number of rows");
  return { ...named(input, input.columns, (tables) => input.run(tables).slice(0, n)), truncating: true };
}

interface SortKey {
  eval: (row: Row) => Value;
  type: KType;
  descending: boolean;
  nullsFirst: boolean;
}

function sortKey(node: KNode, scope: Scope, ctx: Ctx): SortKey {
  const ordered = kindOf(node) === "OrderedExpression";
  const expr = compileScalar(ordered ? node.Expression! : node, scope, ctx);
  const direction = ordered ? (node.Ordering?.AscOrDescKeyword?.Text ?? "").toLowerCase() : "";
  const descending = direction !== "asc";
  const nulls = ordered ? (node.Ordering?.NullsClause?.FirstOrLastKeyword?.Text ?? "").toLowerCase() : "";
  // Defaults: desc; nulls first when ascending, last when descending (sort-operator page).
  const nullsFirst = nulls === "" ? !descending : nulls === "first";
  return { eval: expr.eval, type: expr.type, descending, nullsFirst };
}

/** Null and NaN sort together, at the end the clause says (sort-operator page, "special floating-point values"). */
function comparator(keys: SortKey[]): (a: Value[], b: Value[]) => number {
  return (a, b) => {
    for (let i = 0; i < keys.length; i += 1) {
      const k = keys[i]!;
      const x = a[i]!;
      const y = b[i]!;
      const xNull = x === null || (typeof x === "number" && Number.isNaN(x));
      const yNull = y === null || (typeof y === "number" && Number.isNaN(y));
      if (xNull || yNull) {
        // Null and NaN stay together; between them, null is at the very end the clause names.
        if (xNull && yNull) {
          if ((x === null) === (y === null)) continue;
          return (x === null) === k.nullsFirst ? -1 : 1;
        }
        return xNull === k.nullsFirst ? -1 : 1;
      }
      const c = k.type === "dynamic" && typeof x !== typeof y ? compareValues(toStr(x, "dynamic"), toStr(y, "dynamic")) : compareValues(x, y);
      if (c !== 0) return k.descending ? -c : c;
    }
    return 0;
  };
}

function sorted(rows: Row[], keys: SortKey[]): Row[] {
  const decorated = rows.map((row) => ({ row, keys: keys.map((k) => k.eval(row)) }));
  const compare = comparator(keys);
  decorated.sort((a, b) => compare(a.keys, b.keys));
  return decorated.map((d) => d.row);
}

function sort(op: KNode, input: Plan, ctx: Ctx): Plan {
  const scope = scopeOf(input.columns);
  const keys = elements(op.Expressions).map((e) => sortKey(e, scope, ctx));
  return named(input, input.columns, (tables) => sorted(input.run(tables), keys));
}

function top(op: KNode, input: Plan, ctx: Ctx): Plan {
  const n = rowCount(op.Expression!, ctx, "number of rows");
  const key = sortKey(op.ByExpression!, scopeOf(input.columns), ctx);
  return named(input, input.columns, (tables) => sorted(input.run(tables), [key]).slice(0, n));
}

const OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  FilterOperator: where,
  ExtendOperator: extend,
  ProjectOperator: project,
  ProjectAwayOperator: projectAway,
  SummarizeOperator: summarize,
  JoinOperator: join,
  UnionOperator: (op, input, ctx) => union(op, input, ctx),
  MvExpandOperator: mvExpand,
  ParseOperator: parse,
  DistinctOperator: distinct,
  CountOperator: count,
  TakeOperator: take,
  SortOperator: sort,
  TopOperator: top,
};
