import { elements, kindOf } from "./kusto.ts";
import type { KNode } from "./kusto.ts";
import { compileScalar, constant, folded, regexOrRefuse, typeOfNode } from "./scalar.ts";
import type { Ctx, Expr, Scope } from "./scalar.ts";
import { convert, ktype, toBool, toDatetime, toDynamic, toLong, toReal, toStr, toTimespan } from "./values.ts";
import type { Json, KType, Row, Value } from "./values.ts";

/**
 * The scalar functions the evaluator implements, each with Kusto's documented semantics (the page is
 * https://learn.microsoft.com/kusto/query/<name>-function). A call to any other function is refused.
 */

interface Call {
  node: KNode;
  name: string;
  args: KNode[];
  scope: Scope;
  ctx: Ctx;
  /** The binder's result type. */
  type: KType;
}

type FunctionCompiler = (call: Call) => Expr;

export function callFunction(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const name = node.ReferencedSymbol?.Name ?? node.Name?.SimpleName ?? "";
  const args = elements(node.ArgumentList?.Expressions);
  const compile = FUNCTIONS[name];
  if (compile !== undefined) return compile({ node, name, args, scope, ctx, type: typeOfNode(node) });
  const aggregate = ctx.aggregate?.(node, name);
  if (aggregate !== undefined) return aggregate;
  return ctx.source.refuse(node.Name ?? node, `the function \`${name}()\` is not implemented by the emulator's Resource Graph; it implements: ${[...Object.keys(FUNCTIONS)].sort().join(", ")} (and the aggregations in summarize)`);
}

function arg(call: Call, i: number): Expr {
  const node = call.args[i];
  if (node === undefined) return call.ctx.source.refuse(call.node, `\`${call.name}()\` needs an argument ${i + 1}`);
  return compileScalar(node, call.scope, call.ctx);
}

function constantArg(call: Call, i: number, what: string): Value {
  const e = arg(call, i);
  if (!e.constant) return call.ctx.source.refuse(call.args[i], `\`${call.name}()\`: the ${what} must be a constant`);
  return e.eval([]);
}

/** One-argument conversion functions. */
function unary(to: (v: Value, t: KType) => Value): FunctionCompiler {
  return (call) => {
    const x = arg(call, 0);
    return folded(call.type, (row) => to(x.eval(row), x.type), [x]);
  };
}

const stringOf = (e: Expr): ((row: Row) => string) => (row) => toStr(e.eval(row), e.type);

function parseJson(v: Value, t: KType): Value {
  if (t !== "string" && t !== "dynamic") return toDynamic(v, t);
  if (typeof v !== "string") return v;
  // An empty string is null (isnull page: isnull(parse_json("")) is true).
  if (v.trim() === "") return null;
  try {
    return JSON.parse(v) as Json;
  } catch {
    // parse_json of text that is not JSON is that text, as a dynamic string.
    return v;
  }
}

function isEmpty(v: Value): boolean {
  return v === null || v === "";
}

/** iff / case / coalesce: every branch in the binder's result type. */
function branches(call: Call, exprs: Expr[]): ((row: Row) => Value)[] {
  return exprs.map((e) => (e.type === call.type ? e.eval : (row: Row) => convert(e.eval(row), e.type, call.type)));
}

function iff(call: Call): Expr {
  const condition = arg(call, 0);
  const [then, otherwise] = branches(call, [arg(call, 1), arg(call, 2)]) as [(row: Row) => Value, (row: Row) => Value];
  return { type: call.type, eval: (row) => (toBool(condition.eval(row), condition.type) === true ? then(row) : otherwise(row)), constant: false };
}

function caseOf(call: Call): Expr {
  if (call.args.length < 3 || call.args.length % 2 === 0) return call.ctx.source.refuse(call.node, "`case()` takes pairs of predicate and value, then the value for none of them");
  const predicates: Expr[] = [];
  const values: Expr[] = [];
  for (let i = 0; i + 1 < call.args.length; i += 2) {
    predicates.push(arg(call, i));
    values.push(arg(call, i + 1));
  }
  const results = branches(call, [...values, arg(call, call.args.length - 1)]);
  const otherwise = results[results.length - 1]!;
  return {
    type: call.type,
    eval: (row) => {
      for (let i = 0; i < predicates.length; i += 1) {
        const p = predicates[i]!;
        if (toBool(p.eval(row), p.type) === true) return results[i]!(row);
      }
      return otherwise(row);
    },
    constant: false,
  };
}

function coalesce(call: Call): Expr {
  const results = branches(call, call.args.map((_, i) => arg(call, i)));
  return {
    type: call.type,
    eval: (row) => {
      for (const r of results) {
        const v = r(row);
        if (!isEmpty(v)) return v;
      }
      return call.type === "string" ? "" : null;
    },
    constant: false,
  };
}

/** A type literal argument: typeof(long). */
function typeArg(call: Call, i: number): KType {
  const node = call.args[i]!;
  if (kindOf(node) !== "TypeOfLiteralExpression") return call.ctx.source.refuse(node, `\`${call.name}()\`: argument ${i + 1} must be typeof(type)`);
  const spelled = /typeof\s*\(\s*([a-z]+)\s*\)/i.exec(call.ctx.source.textOf(node))?.[1];
  return ktype(spelled);
}

function extract(call: Call): Expr {
  const pattern = constantArg(call, 0, "regular expression");
  const group = toLong(constantArg(call, 1, "capture group"), "long") ?? 0;
  const source = arg(call, 2);
  const regex = regexOrRefuse(toStr(pattern, "string"), "", call.ctx, call.args[0]!);
  const target = call.args.length > 3 ? typeArg(call, 3) : "string";
  const text = stringOf(source);
  // No match: null, which a string result shows as "" (https://learn.microsoft.com/kusto/query/extract-function).
  return folded(call.type, (row) => {
    const m = regex.exec(text(row));
    const found = m?.[group];
    if (found === undefined) return target === "string" ? "" : null;
    return target === "string" ? found : convert(found, "string", target);
  }, [source]);
}

function substring(call: Call): Expr {
  const source = arg(call, 0);
  const start = arg(call, 1);
  const length = call.args.length > 2 ? arg(call, 2) : undefined;
  const text = stringOf(source);
  return folded("string", (row) => {
    const chars = [...text(row)];
    const s0 = toLong(start.eval(row), start.type);
    if (s0 === null) return "";
    // A negative start counts from the end.
    const s = Math.max(0, s0 < 0 ? chars.length + s0 : s0);
    const n = length === undefined ? chars.length : toLong(length.eval(row), length.type);
    if (n === null || n < 0) return "";
    return chars.slice(s, s + n).join("");
  }, [source, start, ...(length === undefined ? [] : [length])]);
}

function split(call: Call): Expr {
  const source = stringOf(arg(call, 0));
  const delimiter = stringOf(arg(call, 1));
  const index = call.args.length > 2 ? arg(call, 2) : undefined;
  const parts = [arg(call, 0), arg(call, 1), ...(index === undefined ? [] : [index])];
  return folded("dynamic", (row) => {
    const d = delimiter(row);
    const pieces: Json[] = d === "" ? [source(row)] : source(row).split(d);
    if (index === undefined) return pieces;
    const i = toLong(index.eval(row), index.type);
    // The requested index, if it exists, as a one-element array.
    return i === null || i < 0 || i >= pieces.length ? [] : [pieces[i]!];
  }, parts);
}

function strcat(call: Call): Expr {
  const parts = call.args.map((_, i) => arg(call, i));
  const texts = parts.map(stringOf);
  return folded("string", (row) => texts.map((t) => t(row)).join(""), parts);
}

function replaceString(call: Call): Expr {
  const parts = [arg(call, 0), arg(call, 1), arg(call, 2)];
  const [text, lookup, rewrite] = parts.map(stringOf) as [(row: Row) => string, (row: Row) => string, (row: Row) => string];
  return folded("string", (row) => {
    const l = lookup(row);
    return l === "" ? text(row) : text(row).split(l).join(rewrite(row));
  }, parts);
}

function ago(call: Call): Expr {
  const span = arg(call, 0);
  const clock = call.ctx.clock;
  return { type: "datetime", eval: (row) => {
    const s = toTimespan(span.eval(row), span.type);
    return s === null ? null : clock.now - s;
  }, constant: false };
}

function now(call: Call): Expr {
  const offset = call.args.length > 0 ? arg(call, 0) : constant("timespan", 0);
  const clock = call.ctx.clock;
  return { type: "datetime", eval: (row) => {
    const s = toTimespan(offset.eval(row), offset.type);
    return s === null ? null : clock.now + s;
  }, constant: false };
}

/** bin(value, size): rounds down to a multiple of size; datetimes and spans by their microseconds. */
function bin(call: Call): Expr {
  const value = arg(call, 0);
  const size = arg(call, 1);
  return folded(call.type, (row) => {
    const v = toReal(value.eval(row), value.type);
    const s = toReal(size.eval(row), size.type);
    if (v === null || s === null || s <= 0) return null;
    const r = Math.floor(v / s) * s;
    return call.type === "int" || call.type === "long" ? Math.trunc(r) : r;
  }, [value, size]);
}

function packArray(call: Call): Expr {
  const parts = call.args.map((_, i) => arg(call, i));
  return folded("dynamic", (row) => parts.map((p) => toDynamic(p.eval(row), p.type)), parts);
}

function bagPack(call: Call): Expr {
  if (call.args.length % 2 !== 0) return call.ctx.source.refuse(call.node, `\`${call.name}()\` takes pairs of key and value`);
  const parts = call.args.map((_, i) => arg(call, i));
  return folded("dynamic", (row) => {
    const bag: { [key: string]: Json } = {};
    for (let i = 0; i < parts.length; i += 2) bag[toStr(parts[i]!.eval(row), parts[i]!.type)] = toDynamic(parts[i + 1]!.eval(row), parts[i + 1]!.type);
    return bag;
  }, parts);
}

const FUNCTIONS: Readonly<Record<string, FunctionCompiler>> = {
  tostring: unary(toStr),
  toint: unary((v, t) => {
    const n = toLong(v, t);
    return n === null || n > 2_147_483_647 || n < -2_147_483_648 ? null : n;
  }),
  tolong: unary(toLong),
  toreal: unary(toReal),
  todouble: unary(toReal),
  tobool: unary(toBool),
  toboolean: unary(toBool),
  todatetime: unary(toDatetime),
  totimespan: unary(toTimespan),
  todynamic: unary(parseJson),
  parse_json: unary(parseJson),
  parsejson: unary(parseJson),
  tolower: unary((v, t) => toStr(v, t).toLowerCase()),
  toupper: unary((v, t) => toStr(v, t).toUpperCase()),
  strlen: unary((v, t) => [...toStr(v, t)].length),
  isempty: unary(isEmpty),
  isnotempty: unary((v) => !isEmpty(v)),
  isnull: unary((v) => v === null),
  isnotnull: unary((v) => v !== null),
  not: unary((v, t) => {
    const b = toBool(v, t);
    return b === null ? null : !b;
  }),
  array_length: unary((v) => (Array.isArray(v) ? v.length : null)),
  iff,
  iif: iff,
  case: caseOf,
  coalesce,
  extract,
  substring,
  split,
  strcat,
  replace_string: replaceString,
  ago,
  now,
  bin,
  floor: bin,
  pack_array: packArray,
  bag_pack: bagPack,
  pack: bagPack,
};

