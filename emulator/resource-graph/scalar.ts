import type { Source } from "./errors.ts";
import { callFunction } from "./functions.ts";
import { elements, kindOf, symbolKindOf } from "./kusto.ts";
import type { ColumnSchema, KNode } from "./kusto.ts";
import { kustoRegex } from "./regex.ts";
import { compareValues, convert, isNumeric, isObject, keyOf, ktype, parseDatetime, parseTimespan, toBool, toDynamic, toReal, toStr } from "./values.ts";
import type { Json, KType, Row, Value } from "./values.ts";

/** A compiled scalar expression: its type (from the binder) and a closure over a row. */
export interface Expr {
  type: KType;
  eval: (row: Row) => Value;
  /** Depends on neither the row nor the time: evaluated once at compile time. */
  constant: boolean;
}

/** The columns an expression can see, by name. */
export interface Scope {
  index: ReadonlyMap<string, number>;
  types: readonly KType[];
}

/** now() and ago() read the time the query started, the same for every row (https://learn.microsoft.com/kusto/query/now-function). */
export interface Clock {
  now: number;
}

export interface Ctx {
  source: Source;
  clock: Clock;
  /** In summarize, an aggregation call becomes a column of the group's results. */
  aggregate?: (call: KNode, name: string) => Expr | undefined;
}

export function scopeOf(columns: readonly { name: string; type: KType }[]): Scope {
  return { index: new Map(columns.map((c, i) => [c.name, i])), types: columns.map((c) => c.type) };
}

export function typedColumns(columns: readonly ColumnSchema[]): { name: string; type: KType }[] {
  return columns.map((c) => ({ name: c.name, type: ktype(c.type) }));
}

export const constant = (type: KType, value: Value): Expr => ({ type, eval: () => value, constant: true });

/** Fold an expression made only of constants. */
export function folded(type: KType, eval_: (row: Row) => Value, parts: readonly Expr[]): Expr {
  if (parts.every((p) => p.constant)) return constant(type, eval_([]));
  return { type, eval: eval_, constant: false };
}

export const typeOfNode = (node: KNode): KType => ktype(node.ResultType?.Name);

export function compileScalar(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const kind = kindOf(node);
  const compiler = COMPILERS[kind];
  if (compiler !== undefined) return compiler(node, scope, ctx);
  if (kind.endsWith("LiteralExpression")) return literal(node, ctx);
  return ctx.source.refuse(node, `the expression \`${ctx.source.textOf(node)}\` (${kind}) is not implemented by the emulator's Resource Graph`);
}

type Compiler = (node: KNode, scope: Scope, ctx: Ctx) => Expr;

const child = (node: KNode | null | undefined, ctx: Ctx, parent: KNode): KNode => node ?? ctx.source.refuse(parent, `incomplete expression \`${ctx.source.textOf(parent)}\``);

// ---------------------------------------------------------------------------------------------
// Literals

function literal(node: KNode, ctx: Ctx): Expr {
  const kind = kindOf(node);
  const value = node.ConstantValue;
  switch (kind) {
    case "StringLiteralExpression":
    case "CompoundStringLiteralExpression":
      return constant("string", typeof value === "string" ? value : "");
    case "BooleanLiteralExpression":
      return constant("bool", value === null || value === undefined ? null : String(value) === "True");
    case "LongLiteralExpression":
    case "IntLiteralExpression":
    case "RealLiteralExpression":
    case "DecimalLiteralExpression":
      return constant(kind === "IntLiteralExpression" ? "int" : kind === "LongLiteralExpression" ? "long" : "real", value === null || value === undefined ? null : Number(String(value)));
    case "GuidLiteralExpression":
      return constant("guid", value === null || value === undefined ? null : String(value));
    case "NullLiteralExpression":
      return constant("dynamic", null);
    case "DateTimeLiteralExpression":
      return datetimeLiteral(node, ctx);
    case "TimespanLiteralExpression":
      return timespanLiteral(node, ctx);
    default:
      return ctx.source.refuse(node, `the literal \`${ctx.source.textOf(node)}\` (${kind}) is not implemented by the emulator's Resource Graph`);
  }
}

/** The text between `name(` and `)`, or undefined when the literal is not written as a call. */
function innerText(text: string): string | undefined {
  const open = text.indexOf("(");
  return open >= 0 && text.endsWith(")") ? text.slice(open + 1, -1).trim() : undefined;
}

function datetimeLiteral(node: KNode, ctx: Ctx): Expr {
  const inner = innerText(ctx.source.textOf(node)) ?? "";
  if (inner.toLowerCase() === "null") return constant("datetime", null);
  // datetime() is the time the query runs.
  if (inner === "") return { type: "datetime", eval: () => ctx.clock.now, constant: false };
  const value = parseDatetime(inner);
  return value === null ? ctx.source.refuse(node, `the datetime literal \`${ctx.source.textOf(node)}\` is not in a format the emulator reads (use ISO 8601)`) : constant("datetime", value);
}

function timespanLiteral(node: KNode, ctx: Ctx): Expr {
  const text = ctx.source.textOf(node);
  const inner = innerText(text) ?? text;
  if (inner.toLowerCase() === "null") return constant("timespan", null);
  const value = parseTimespan(inner);
  return value === null ? ctx.source.refuse(node, `the timespan literal \`${text}\` is not in a format the emulator reads`) : constant("timespan", value);
}

/** dynamic({...}) / dynamic([...]) / dynamic(scalar): built from the literal's own syntax (the binder keeps it as text). */
function dynamicLiteral(node: KNode, scope: Scope, ctx: Ctx): Expr {
  return constant("dynamic", jsonOf(child(node.Expression, ctx, node), scope, ctx));
}

function jsonOf(node: KNode, scope: Scope, ctx: Ctx): Json {
  const kind = kindOf(node);
  if (kind === "JsonObjectExpression") {
    const bag: { [key: string]: Json } = {};
    for (const pair of elements(node.Pairs)) bag[unquote(pair.GetFirstToken()?.Text ?? "")] = jsonOf(child(pair.Value, ctx, pair), scope, ctx);
    return bag;
  }
  if (kind === "JsonArrayExpression") return elements(node.Values).map((v) => jsonOf(v, scope, ctx));
  const expr = compileScalar(node, scope, ctx);
  if (!expr.constant) return ctx.source.refuse(node, `a dynamic literal holds constants only; \`${ctx.source.textOf(node)}\` is not one`);
  return toDynamic(expr.eval([]), expr.type);
}

/** A Kusto string literal's value: '...' or "..." with backslash escapes, @'...' / @"..." verbatim. */
function unquote(token: string): string {
  const verbatim = token.startsWith("@");
  const body = verbatim ? token.slice(1) : token;
  const quote = body[0];
  if ((quote !== "'" && quote !== '"') || body.length < 2) return token;
  const inner = body.slice(1, -1);
  if (verbatim) return inner.split(quote + quote).join(quote);
  const escapes: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"' };
  return inner.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

// ---------------------------------------------------------------------------------------------
// Names, dynamic access

function nameReference(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const symbol = node.ReferencedSymbol;
  const name = symbol?.Name ?? node.SimpleName ?? "";
  if (symbol === null || symbol === undefined || symbolKindOf(symbol) !== "Column") {
    return ctx.source.refuse(node, `\`${name}\` is not a column here; the emulator evaluates column references, literals and function calls`);
  }
  const at = scope.index.get(name);
  if (at === undefined) return ctx.source.refuse(node, `the column \`${name}\` is not available here`);
  const type = scope.types[at]!;
  return { type, eval: (row) => row[at]!, constant: false };
}

function member(value: Value, key: string): Value {
  return isObject(value) && Object.hasOwn(value, key) ? value[key]! : null;
}

/** arr[i] (negative counts from the end), bag["key"]; anything else is null. */
function element(value: Value, key: Value): Value {
  if (Array.isArray(value) && typeof key === "number") {
    const i = Math.trunc(key) < 0 ? value.length + Math.trunc(key) : Math.trunc(key);
    return value[i] ?? null;
  }
  if (typeof key === "boolean" && Array.isArray(value)) return value[key ? 1 : 0] ?? null;
  return typeof key === "string" ? member(value, key) : null;
}

function pathExpression(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const base = child(node.Expression, ctx, node);
  if (base.ReferencedSymbol !== null && base.ReferencedSymbol !== undefined && symbolKindOf(base.ReferencedSymbol) === "Tuple") {
    return ctx.source.refuse(node, `\`${ctx.source.textOf(node)}\` is only valid in a join's on clause`);
  }
  const selector = child(node.Selector, ctx, node);
  const key = selectorKey(selector, scope, ctx);
  const target = compileScalar(base, scope, ctx);
  if (target.type !== "dynamic") return ctx.source.refuse(node, `\`${ctx.source.textOf(node)}\`: only dynamic values have members`);
  return { type: "dynamic", eval: (row) => member(target.eval(row), key), constant: false };
}

function selectorKey(selector: KNode, scope: Scope, ctx: Ctx): string {
  const kind = kindOf(selector);
  if (kind === "NameReference") return selector.SimpleName ?? "";
  if (kind === "BracketedExpression") {
    const key = compileScalar(child(selector.Expression, ctx, selector), scope, ctx);
    if (key.constant && typeof key.eval([]) === "string") return key.eval([]) as string;
  }
  return ctx.source.refuse(selector, `the member selector \`${ctx.source.textOf(selector)}\` is not a name`);
}

function elementExpression(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const target = compileScalar(child(node.Expression, ctx, node), scope, ctx);
  const selector = child(node.Selector, ctx, node);
  const key = compileScalar(kindOf(selector) === "BracketedExpression" ? child(selector.Expression, ctx, selector) : selector, scope, ctx);
  if (target.type !== "dynamic") return ctx.source.refuse(node, `\`${ctx.source.textOf(node)}\`: only dynamic values can be indexed`);
  const keyType = key.type;
  return {
    type: "dynamic",
    eval: (row) => {
      const k = key.eval(row);
      return element(target.eval(row), keyType === "dynamic" || keyType === "string" || keyType === "bool" ? k : toReal(k, keyType));
    },
    constant: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Operators

type Binary = (node: KNode, left: Expr, right: Expr, ctx: Ctx) => Expr;

function binary(op: Binary): Compiler {
  return (node, scope, ctx) => op(node, compileScalar(child(node.Left, ctx, node), scope, ctx), compileScalar(child(node.Right, ctx, node), scope, ctx), ctx);
}

/** Both sides in one comparable form: numbers (also datetime, timespan), strings, booleans, or dynamic as it is. */
function comparable(left: Expr, right: Expr): [(row: Row) => Value, (row: Row) => Value, KType] {
  const a = left.type;
  const b = right.type;
  const numeric = (t: KType) => isNumeric(t) || t === "datetime" || t === "timespan";
  if (numeric(a) && numeric(b)) return [left.eval, right.eval, "real"];
  if (a === b) return [left.eval, right.eval, a];
  const target: KType = a === "dynamic" ? b : b === "dynamic" ? a : a === "string" || b === "string" || a === "guid" || b === "guid" ? "string" : "real";
  const cast = (e: Expr) => (e.type === target ? e.eval : (row: Row) => {
    const v = e.eval(row);
    return v === null ? null : convert(v, e.type, target);
  });
  return [cast(left), cast(right), target];
}

function equality(negate: boolean): Binary {
  return (_node, left, right) => {
    const [a, b, type] = comparable(left, right);
    const same = type === "dynamic" ? (x: Value, y: Value) => keyOf(x) === keyOf(y) : (x: Value, y: Value) => x === y;
    // https://learn.microsoft.com/kusto/query/scalar-data-types/null-values: null == null is null; null == x is false.
    return folded("bool", (row) => {
      const x = a(row);
      const y = b(row);
      if (x === null || y === null) return x === null && y === null ? null : negate;
      return same(x, y) !== negate;
    }, [left, right]);
  };
}

function ordering(test: (c: number) => boolean): Binary {
  return (_node, left, right) => {
    const [a, b, type] = comparable(left, right);
    return folded("bool", (row) => {
      const x = a(row);
      const y = b(row);
      if (x === null || y === null) return null;
      if (type === "dynamic" && typeof x !== typeof y) return null;
      return test(compareValues(x, y));
    }, [left, right]);
  };
}

const text = (e: Expr): ((row: Row) => string) => (e.type === "string" ? (e.eval as (row: Row) => string) : (row) => toStr(e.eval(row), e.type));

function tildeEquality(negate: boolean): Binary {
  return (_node, left, right) => {
    const a = text(left);
    const b = text(right);
    return folded("bool", (row) => (a(row).toLowerCase() === b(row).toLowerCase()) !== negate, [left, right]);
  };
}

/** A string predicate over the two sides; `caseSensitive: false` compares lower-cased text. */
function stringTest(test: (hay: string, needle: string) => boolean, caseSensitive: boolean, negate = false): Binary {
  return (_node, left, right) => {
    const a = text(left);
    const b = text(right);
    const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
    if (right.constant) {
      const needle = fold(b([]));
      return folded("bool", (row) => test(fold(a(row)), needle) !== negate, [left, right]);
    }
    return folded("bool", (row) => test(fold(a(row)), fold(b(row))) !== negate, [left, right]);
  };
}

const WORD = /[\p{L}\p{N}]/u;
const isWordChar = (c: string | undefined) => c !== undefined && WORD.test(c);

/**
 * `has` matches whole terms: maximal runs of alphanumeric characters (https://learn.microsoft.com/kusto/query/datatypes-string-operators).
 * A needle that starts (ends) with a word character must start (end) at a term boundary.
 */
function termMatch(mode: "term" | "prefix" | "suffix"): (hay: string, needle: string) => boolean {
  return (hay, needle) => {
    if (needle === "") return true;
    for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      const startOk = mode === "suffix" || !isWordChar(needle[0]) || !isWordChar(hay[at - 1]);
      const endOk = mode === "prefix" || !isWordChar(needle[needle.length - 1]) || !isWordChar(hay[end]);
      if (startOk && endOk) return true;
    }
    return false;
  };
}

const contains = (hay: string, needle: string) => hay.includes(needle);
const startsWith = (hay: string, needle: string) => hay.startsWith(needle);
const endsWith = (hay: string, needle: string) => hay.endsWith(needle);

function matchesRegex(_node: KNode, left: Expr, right: Expr, ctx: Ctx): Expr {
  const a = text(left);
  const b = text(right);
  if (right.constant) {
    const regex = regexOrRefuse(b([]), "", ctx, _node);
    return folded("bool", (row) => regex.test(a(row)), [left, right]);
  }
  return folded("bool", (row) => regexOrRefuse(b(row), "", ctx, _node).test(a(row)), [left, right]);
}

export function regexOrRefuse(pattern: string, flags: string, ctx: Ctx, node: KNode): RegExp {
  try {
    const regex = kustoRegex(pattern, flags);
    regex.lastIndex = 0;
    return regex;
  } catch (error) {
    return ctx.source.refuse(node, error instanceof Error ? error.message : String(error));
  }
}

function arithmetic(op: (x: number, y: number) => number | null): Binary {
  return (node, left, right) => {
    const type = typeOfNode(node);
    const integral = type === "long" || type === "int";
    const a = left.eval;
    const b = right.eval;
    return folded(type, (row) => {
      const x = toReal(a(row), left.type);
      const y = toReal(b(row), right.type);
      if (x === null || y === null) return null;
      const r = op(x, y);
      return r === null ? null : integral && Number.isFinite(r) ? Math.trunc(r) : r;
    }, [left, right]);
  };
}

function divide(node: KNode, left: Expr, right: Expr, ctx: Ctx): Expr {
  const integral = (t: KType) => t === "long" || t === "int";
  // long / long is integer division; division by zero of integers is null rather than an error.
  const op = integral(left.type) && integral(right.type) ? (x: number, y: number) => (y === 0 ? null : Math.trunc(x / y)) : (x: number, y: number) => x / y;
  return arithmetic(op)(node, left, right, ctx);
}

function logical(and: boolean): Compiler {
  return (node, scope, ctx) => {
    const left = compileScalar(child(node.Left, ctx, node), scope, ctx);
    const right = compileScalar(child(node.Right, ctx, node), scope, ctx);
    const a = (row: Row) => toBool(left.eval(row), left.type);
    const b = (row: Row) => toBool(right.eval(row), right.type);
    // Null is sticky except that false and x is false, true or x is true (null-values page, "Exceptions to this rule").
    const decisive = !and;
    return folded("bool", (row) => {
      const x = a(row);
      if (x === decisive) return decisive;
      const y = b(row);
      if (y === decisive) return decisive;
      return x === null || y === null ? null : !decisive;
    }, [left, right]);
  };
}

function unaryMinus(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const operand = compileScalar(child(node.Expression, ctx, node), scope, ctx);
  return folded(typeOfNode(node), (row) => {
    const v = toReal(operand.eval(row), operand.type);
    return v === null ? null : -v;
  }, [operand]);
}

/** The values of an `in` list: each element, a dynamic array's elements flattened into it. */
function listOf(node: KNode, scope: Scope, ctx: Ctx): Expr[] {
  const list = child(node.Right, ctx, node);
  return elements(list.Expressions).map((e) => {
    if (e.ResultType?.Columns !== undefined && e.ResultType?.Columns !== null) return ctx.source.refuse(e, "a tabular expression inside `in (...)` is not implemented by the emulator's Resource Graph");
    return compileScalar(e, scope, ctx);
  });
}

function inList(node: KNode, scope: Scope, ctx: Ctx): Expr {
  const spelled = (node.Operator?.Text ?? "in").toLowerCase();
  const negate = spelled.startsWith("!");
  const insensitive = spelled.endsWith("~");
  const left = compileScalar(child(node.Left, ctx, node), scope, ctx);
  const items = listOf(node, scope, ctx);
  const keyFor = (v: Value) => (insensitive && typeof v === "string" ? keyOf(v.toLowerCase()) : keyOf(v));
  const types = items.map((e) => e.type);
  const keysOf = (values: Value[]) => {
    const keys = new Set<string>();
    values.forEach((v, i) => {
      if (Array.isArray(v) && types[i] === "dynamic") for (const e of v) keys.add(keyFor(e));
      else keys.add(keyFor(v));
    });
    return keys;
  };
  const leftKey = (row: Row): string | undefined => {
    const v = left.eval(row);
    return v === null ? undefined : keyFor(v);
  };
  // The in-list behaves as an OR of equalities: null in (...) is false, null !in (...) is true (null-values page).
  if (items.every((e) => e.constant)) {
    const keys = keysOf(items.map((e) => e.eval([])));
    return folded("bool", (row) => {
      const k = leftKey(row);
      return k === undefined ? negate : keys.has(k) !== negate;
    }, [left]);
  }
  return {
    type: "bool",
    eval: (row) => {
      const k = leftKey(row);
      return k === undefined ? negate : keysOf(items.map((e) => e.eval(row))).has(k) !== negate;
    },
    constant: false,
  };
}

function hasAnyAll(all: boolean): Compiler {
  return (node, scope, ctx) => {
    const left = text(compileScalar(child(node.Left, ctx, node), scope, ctx));
    const items = listOf(node, scope, ctx);
    const match = termMatch("term");
    return {
      type: "bool",
      eval: (row) => {
        const hay = left(row).toLowerCase();
        const needles = items.flatMap((e) => {
          const v = e.eval(row);
          return Array.isArray(v) ? v.map((x) => toStr(x, "dynamic")) : [toStr(v, e.type)];
        });
        return all ? needles.every((n) => match(hay, n.toLowerCase())) : needles.some((n) => match(hay, n.toLowerCase()));
      },
      constant: false,
    };
  };
}

function between(negate: boolean): Compiler {
  return (node, scope, ctx) => {
    const value = compileScalar(child(node.Left, ctx, node), scope, ctx);
    const couple = child(node.Right, ctx, node);
    const low = compileScalar(child(couple.First, ctx, couple), scope, ctx);
    const high = compileScalar(child(couple.Second, ctx, couple), scope, ctx);
    // datetime between (start .. 1d) reads the upper bound as a span from the start (between-operator page).
    const spanBound = (value.type === "datetime" || low.type === "datetime") && high.type === "timespan";
    return folded("bool", (row) => {
      const v = toReal(value.eval(row), value.type);
      const lo = toReal(low.eval(row), low.type);
      const hi0 = toReal(high.eval(row), high.type);
      if (v === null || lo === null || hi0 === null) return null;
      const hi = spanBound ? lo + hi0 : hi0;
      return (v >= lo && v <= hi) !== negate;
    }, [value, low, high]);
  };
}

const COMPILERS: Readonly<Record<string, Compiler>> = {
  ParenthesizedExpression: (node, scope, ctx) => compileScalar(child(node.Expression, ctx, node), scope, ctx),
  DynamicExpression: dynamicLiteral,
  NameReference: nameReference,
  PathExpression: pathExpression,
  ElementExpression: elementExpression,
  FunctionCallExpression: (node, scope, ctx) => callFunction(node, scope, ctx),
  AddExpression: binary(arithmetic((x, y) => x + y)),
  SubtractExpression: binary(arithmetic((x, y) => x - y)),
  MultiplyExpression: binary(arithmetic((x, y) => x * y)),
  DivideExpression: binary(divide),
  ModuloExpression: binary(arithmetic((x, y) => (y === 0 ? null : x % y))),
  UnaryMinusExpression: unaryMinus,
  UnaryPlusExpression: (node, scope, ctx) => compileScalar(child(node.Expression, ctx, node), scope, ctx),
  EqualExpression: binary(equality(false)),
  NotEqualExpression: binary(equality(true)),
  LessThanExpression: binary(ordering((c) => c < 0)),
  LessThanOrEqualExpression: binary(ordering((c) => c <= 0)),
  GreaterThanExpression: binary(ordering((c) => c > 0)),
  GreaterThanOrEqualExpression: binary(ordering((c) => c >= 0)),
  EqualTildeExpression: binary(tildeEquality(false)),
  BangTildeExpression: binary(tildeEquality(true)),
  AndExpression: logical(true),
  OrExpression: logical(false),
  HasExpression: binary(stringTest(termMatch("term"), false)),
  NotHasExpression: binary(stringTest(termMatch("term"), false, true)),
  HasCsExpression: binary(stringTest(termMatch("term"), true)),
  NotHasCsExpression: binary(stringTest(termMatch("term"), true, true)),
  HasPrefixExpression: binary(stringTest(termMatch("prefix"), false)),
  NotHasPrefixExpression: binary(stringTest(termMatch("prefix"), false, true)),
  HasPrefixCsExpression: binary(stringTest(termMatch("prefix"), true)),
  NotHasPrefixCsExpression: binary(stringTest(termMatch("prefix"), true, true)),
  HasSuffixExpression: binary(stringTest(termMatch("suffix"), false)),
  NotHasSuffixExpression: binary(stringTest(termMatch("suffix"), false, true)),
  HasSuffixCsExpression: binary(stringTest(termMatch("suffix"), true)),
  NotHasSuffixCsExpression: binary(stringTest(termMatch("suffix"), true, true)),
  ContainsExpression: binary(stringTest(contains, false)),
  NotContainsExpression: binary(stringTest(contains, false, true)),
  ContainsCsExpression: binary(stringTest(contains, true)),
  NotContainsCsExpression: binary(stringTest(contains, true, true)),
  StartsWithExpression: binary(stringTest(startsWith, false)),
  NotStartsWithExpression: binary(stringTest(startsWith, false, true)),
  StartsWithCsExpression: binary(stringTest(startsWith, true)),
  NotStartsWithCsExpression: binary(stringTest(startsWith, true, true)),
  EndsWithExpression: binary(stringTest(endsWith, false)),
  NotEndsWithExpression: binary(stringTest(endsWith, false, true)),
  EndsWithCsExpression: binary(stringTest(endsWith, true)),
  NotEndsWithCsExpression: binary(stringTest(endsWith, true, true)),
  MatchesRegexExpression: binary(matchesRegex),
  // Kusto.Language names the four by their syntax; the spelling (in, in~, !in, !in~) decides.
  InExpression: inList,
  InCsExpression: inList,
  NotInExpression: inList,
  NotInCsExpression: inList,
  HasAnyExpression: hasAnyAll(false),
  HasAllExpression: hasAnyAll(true),
  BetweenExpression: between(false),
  NotBetweenExpression: between(true),
};
