import { columnsOf, elements, kindOf } from "./kusto.ts";
import type { KNode } from "./kusto.ts";
import { compileScalar, typeOfNode } from "./scalar.ts";
import type { Ctx, Expr, Scope } from "./scalar.ts";
import { compareValues, keyOf, toBool, toDynamic, toReal } from "./values.ts";
import type { Json, KType, Row, Value } from "./values.ts";

/**
 * The aggregation functions of summarize, with Kusto's documented semantics (the page is
 * https://learn.microsoft.com/kusto/query/<name>-aggregation-function). Nulls are ignored by all but count/countif
 * and the arg_ / take_any families, as the null-values page lists.
 */

export interface Aggregator {
  /** Output columns it fills: 1, or the tuple of arg_max / arg_min / take_any. */
  width: number;
  init(): unknown;
  add(state: unknown, row: Row): void;
  result(state: unknown): Value[];
}

interface AggregateCall {
  node: KNode;
  name: string;
  args: KNode[];
  scope: Scope;
  ctx: Ctx;
  type: KType;
}

type AggregateCompiler = (call: AggregateCall) => Aggregator;

export function compileAggregate(node: KNode, name: string, scope: Scope, ctx: Ctx): Aggregator | undefined {
  const compile = AGGREGATES[name];
  if (compile === undefined) return undefined;
  // Arguments see the input row; an aggregation inside an aggregation is refused by having no hook here.
  const inner: Ctx = { source: ctx.source, clock: ctx.clock };
  return compile({ node, name, args: elements(node.ArgumentList?.Expressions), scope, ctx: inner, type: typeOfNode(node) });
}

function arg(call: AggregateCall, i: number): Expr {
  const node = call.args[i];
  if (node === undefined) return call.ctx.source.refuse(call.node, `\`${call.name}()\` needs an argument ${i + 1}`);
  return compileScalar(node, call.scope, call.ctx);
}

const predicate = (e: Expr) => (row: Row) => toBool(e.eval(row), e.type) === true;

function counter(test?: (row: Row) => boolean): Aggregator {
  return {
    width: 1,
    init: () => ({ n: 0 }),
    add: (state, row) => {
      if (test === undefined || test(row)) (state as { n: number }).n += 1;
    },
    result: (state) => [(state as { n: number }).n],
  };
}

function summing(call: AggregateCall, average: boolean, withPredicate: boolean): Aggregator {
  const value = arg(call, 0);
  const test = withPredicate ? predicate(arg(call, 1)) : undefined;
  const integral = call.type === "long" || call.type === "int";
  return {
    width: 1,
    init: () => ({ sum: 0, n: 0 }),
    add: (state, row) => {
      if (test !== undefined && !test(row)) return;
      const v = toReal(value.eval(row), value.type);
      if (v === null) return;
      const s = state as { sum: number; n: number };
      s.sum += v;
      s.n += 1;
    },
    // Over no values sum is 0 and avg NaN (summarize page, "Default values of aggregations").
    result: (state) => {
      const s = state as { sum: number; n: number };
      if (average) return [s.n === 0 ? Number.NaN : s.sum / s.n];
      return [integral ? Math.trunc(s.sum) : s.sum];
    },
  };
}

function extreme(call: AggregateCall, sign: 1 | -1, withPredicate: boolean): Aggregator {
  const value = arg(call, 0);
  const test = withPredicate ? predicate(arg(call, 1)) : undefined;
  return {
    width: 1,
    init: () => ({ best: null as Value }),
    add: (state, row) => {
      if (test !== undefined && !test(row)) return;
      const v = value.eval(row);
      if (v === null || (value.type === "string" && v === "")) return;
      const s = state as { best: Value };
      if (s.best === null || sign * compareValues(v, s.best) > 0) s.best = v;
    },
    result: (state) => [(state as { best: Value }).best ?? (call.type === "string" ? "" : null)],
  };
}

function distinctCount(call: AggregateCall): Aggregator {
  const value = arg(call, 0);
  return {
    width: 1,
    init: () => new Set<string>(),
    add: (state, row) => {
      const v = value.eval(row);
      if (v !== null) (state as Set<string>).add(keyOf(v));
    },
    result: (state) => [(state as Set<string>).size],
  };
}

const MAX_ARRAY = 1_048_576;

/** make_list / make_set ignore nulls; make_set takes an array's elements (make-set page, "Set from array column"). */
function collect(call: AggregateCall, unique: boolean): Aggregator {
  const value = arg(call, 0);
  const limit = call.args.length > 1 ? (toReal(arg(call, 1).eval([]), arg(call, 1).type) ?? MAX_ARRAY) : MAX_ARRAY;
  return {
    width: 1,
    init: () => ({ items: [] as Json[], seen: new Set<string>() }),
    add: (state, row) => {
      const s = state as { items: Json[]; seen: Set<string> };
      if (s.items.length >= limit) return;
      const v = toDynamic(value.eval(row), value.type);
      if (v === null) return;
      if (!unique) {
        s.items.push(v);
        return;
      }
      for (const item of Array.isArray(v) ? v : [v]) {
        const key = keyOf(item);
        if (s.seen.has(key) || s.items.length >= limit) continue;
        s.seen.add(key);
        s.items.push(item);
      }
    },
    result: (state) => [(state as { items: Json[] }).items],
  };
}

/**
 * arg_max / arg_min (ExprToMaximize, * | ExprToReturn, ...) and take_any: the binder's tuple names the columns;
 * with `*` they are the input's columns (less the by columns) by name, otherwise one per argument.
 */
function tupleColumns(call: AggregateCall, first: number): ((row: Row) => Value)[] {
  const rest = call.args.slice(first);
  const stars = rest.filter((a) => kindOf(a) === "StarExpression").length;
  const tuple = columnsOf(call.node.ResultType).slice(first);
  if (stars === 0) return rest.map((a) => compileScalar(kindOf(a) === "SimpleNamedExpression" ? a.Expression! : a, call.scope, call.ctx).eval);
  if (stars > 1 || rest.length > 1) return call.ctx.source.refuse(call.node, `\`${call.name}()\` with \`*\` and other columns together is not implemented by the emulator's Resource Graph`);
  return tuple.map((c) => {
    const at = call.scope.index.get(c.name);
    if (at === undefined) return call.ctx.source.refuse(call.node, `\`${call.name}()\`: the column \`${c.name}\` is not in the input`);
    return (row: Row) => row[at]!;
  });
}

function argExtreme(call: AggregateCall, sign: 1 | -1): Aggregator {
  const target = arg(call, 0);
  const columns = tupleColumns(call, 1);
  return {
    width: 1 + columns.length,
    init: () => ({ best: null as Value, row: undefined as Row | undefined }),
    add: (state, row) => {
      const s = state as { best: Value; row: Row | undefined };
      const v = target.eval(row);
      // A row with a null target wins only while no row has a value (arg_max page, "null handling").
      if (v !== null && (s.best === null || sign * compareValues(v, s.best) > 0)) {
        s.best = v;
        s.row = row;
      } else if (s.row === undefined) {
        s.row = row;
      }
    },
    result: (state) => {
      const s = state as { best: Value; row: Row | undefined };
      if (s.row === undefined) return [null, ...columns.map(() => null)];
      return [s.best, ...columns.map((c) => c(s.row!))];
    },
  };
}

function takeAny(call: AggregateCall): Aggregator {
  const columns = tupleColumns(call, 0);
  const single = call.args.length === 1 && kindOf(call.args[0]!) !== "StarExpression";
  return {
    width: columns.length,
    init: () => ({ row: undefined as Row | undefined, settled: false }),
    add: (state, row) => {
      const s = state as { row: Row | undefined; settled: boolean };
      if (s.settled) return;
      s.row = row;
      // One column: a non-empty value if there is one (take-any page, "Remarks").
      if (!single) s.settled = true;
      else {
        const v = columns[0]!(row);
        s.settled = v !== null && v !== "";
      }
    },
    result: (state) => {
      const s = state as { row: Row | undefined };
      return columns.map((c) => (s.row === undefined ? null : c(s.row)));
    },
  };
}

const AGGREGATES: Readonly<Record<string, AggregateCompiler>> = {
  count: (call) => (call.args.length === 0 ? counter() : call.ctx.source.refuse(call.node, "`count(expr)` is not implemented by the emulator's Resource Graph; use count() or countif(predicate)")),
  countif: (call) => counter(predicate(arg(call, 0))),
  sum: (call) => summing(call, false, false),
  sumif: (call) => summing(call, false, true),
  avg: (call) => summing(call, true, false),
  max: (call) => extreme(call, 1, false),
  maxif: (call) => extreme(call, 1, true),
  min: (call) => extreme(call, -1, false),
  minif: (call) => extreme(call, -1, true),
  dcount: distinctCount,
  make_set: (call) => collect(call, true),
  make_list: (call) => collect(call, false),
  arg_max: (call) => argExtreme(call, 1),
  arg_min: (call) => argExtreme(call, -1),
  take_any: takeAny,
  any: takeAny,
};
