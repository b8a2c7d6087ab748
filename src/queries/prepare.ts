import { isTrivia, KqlSyntaxError, tokenize, type Token } from "./kql-tokens.ts";
import type { QueryFile } from "./load.ts";
import { tunableProblems } from "./tunables.ts";

/**
 * Resource Graph has no `let` statement (reference/service-behaviour.md). A rule keeps its tunables
 * as `let name = <literal>;` lines where admins edit them; before the query is sent, each value is
 * written in place of every reference to its name and the lines go, so Resource Graph receives one
 * tabular expression. The work is on tokens: a name inside a string, a comment, a property path
 * (`properties.workloads`) or a longer identifier is left alone.
 */

export type TunableKind = "number" | "timespan" | "datetime" | "string" | "bool" | "list" | "map";

export interface Scalar {
  /** The literal as written in the file. */
  text: string;
  value: string | number | boolean | null;
  /** Offset of the literal in the file. */
  at: number;
}

export interface Tunable {
  name: string;
  kind: TunableKind;
  /** The value as written in the file. */
  text: string;
  /** Offset of the name (after `let`) and of the value in the file. */
  nameAt: number;
  valueAt: number;
  /** number, string and bool: the value; timespan: milliseconds; datetime: the text inside datetime(...). */
  value: unknown;
  /** list: the elements; map: the values, with their keys in `keys`. */
  items: Scalar[];
  keys: Scalar[];
}

export interface PrepareProblem {
  /** Offset in the file. */
  at: number;
  code: string;
  message: string;
}

/** A stretch of the sent text and where it came from in the file (a substituted value maps to its reference). */
interface Segment {
  sentStart: number;
  fileStart: number;
  length: number;
  verbatim: boolean;
}

export interface PreparedQuery {
  /** Exactly what is sent to Resource Graph. */
  text: string;
  tunables: Tunable[];
  /** The query's tokens without comments, spacing or tunable values: equal for a copy whose tunables alone were edited. */
  shape: string;
  /** Offset in the sent text -> offset in the file, so a problem found in the sent text points at the file. */
  fileOffset(sentOffset: number): number;
}

export type PrepareResult = { ok: true; query: PreparedQuery } | { ok: false; problems: PrepareProblem[] };

const STATEMENT_KEYWORDS = new Set(["let", "set", "declare", "alias", "pattern", "restrict", "query_parameters"]);

export function prepareQuery(source: string): PrepareResult {
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (error) {
    if (error instanceof KqlSyntaxError) return { ok: false, problems: [{ at: error.at, code: "KqlSyntax", message: `The file cannot be read as KQL: ${error.message}.` }] };
    throw error;
  }
  const statements = splitStatements(tokens);
  const problems: PrepareProblem[] = [];
  const tunables: Tunable[] = [];
  const bodies: Token[][] = [];
  for (const statement of statements) {
    const first = statement.find((t) => !isTrivia(t));
    if (first === undefined) continue;
    if (first.kind === "name" && first.text === "let") {
      const parsed = parseLet(statement, first);
      if ("problem" in parsed) problems.push(parsed.problem);
      else if (tunables.some((t) => t.name === parsed.name)) problems.push({ at: parsed.nameAt, code: "TunableDuplicate", message: `\`${parsed.name}\` is set twice; keep one \`let ${parsed.name} = ...;\` line.` });
      else tunables.push(parsed);
    } else if (first.kind === "name" && STATEMENT_KEYWORDS.has(first.text)) {
      problems.push({ at: first.start, code: "ArgStatement", message: `Resource Graph runs one tabular expression and no statements; remove this \`${first.text}\` statement.` });
    } else {
      bodies.push(statement);
    }
  }
  if (bodies.length === 0 && problems.length === 0) {
    problems.push({ at: source.length, code: "NoResult", message: "The file has no query that returns rows (only `let` statements?). End it with a query over a Resource Graph table." });
  }
  if (bodies.length > 1) {
    const second = bodies[1]?.find((t) => !isTrivia(t));
    problems.push({ at: second?.start ?? 0, code: "ArgOneQuery", message: "A rule file holds one query; this is a second one after a `;`. Put it in a file of its own." });
  }
  problems.push(...tunableProblems(tunables));
  const body = bodies[0];
  if (body === undefined || problems.length > 0) return { ok: false, problems };
  const substituted = substitute(fromFirstToken(body), tunables);
  if ("problems" in substituted) return { ok: false, problems: substituted.problems };
  const shape = body.filter((t) => !isTrivia(t)).map((t) => t.text).join(" ");
  return { ok: true, query: { text: substituted.text, tunables, shape, fileOffset: locate(substituted.segments) } };
}

/** Statements end at a `;` outside brackets; the tokens of the `;` itself are dropped. */
function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === "punct") {
      if ("([{".includes(token.text)) depth += 1;
      else if (")]}".includes(token.text)) depth = Math.max(0, depth - 1);
      else if (token.text === ";" && depth === 0) {
        statements.push([]);
        continue;
      }
    }
    statements[statements.length - 1]?.push(token);
  }
  return statements;
}

/** The query starts at its first token: the comments above it describe the file, and stay there. */
function fromFirstToken(body: readonly Token[]): Token[] {
  const first = body.findIndex((t) => !isTrivia(t));
  return body.slice(first === -1 ? body.length : first);
}

// ---------------------------------------------------------------------------------------------
// `let name = <literal>`

type LetResult = Tunable | { problem: PrepareProblem };

const NOT_LITERAL = "Resource Graph has no `let`, so the app writes each tunable's value into the query; only literal values can be written in (a number, timespan, datetime, string, true/false, dynamic([...]) or dynamic({...})).";

function parseLet(statement: readonly Token[], keyword: Token): LetResult {
  const significant = statement.filter((t) => !isTrivia(t));
  const [, nameToken, equals, ...value] = significant;
  if (nameToken?.kind !== "name" || equals?.text !== "=") {
    return { problem: { at: keyword.start, code: "TunableSyntax", message: "Write a tunable as `let name = <literal>;`." } };
  }
  const name = nameToken.text;
  const first = value[0];
  if (first === undefined) return { problem: { at: equals.start, code: "TunableSyntax", message: `\`let ${name} =\` has no value.` } };
  const text = joinText(statement, first, value[value.length - 1] ?? first);
  const base = { name, text, nameAt: nameToken.start, valueAt: first.start };
  const literal = parseLiteral(value);
  if (literal === undefined) {
    return { problem: { at: first.start, code: "TunableNotLiteral", message: `\`let ${name}\` is ${describeNonLiteral(value)}, not a literal tunable. ${NOT_LITERAL} Move the logic into the query itself.` } };
  }
  if ("problem" in literal) return { problem: literal.problem };
  return { ...base, ...literal };
}

function describeNonLiteral(value: readonly Token[]): string {
  if (value.some((t) => t.text === "|")) return "a tabular expression";
  if (value[0]?.text === "(" && value.some((t) => t.text === "{")) return "a function";
  if (value[0]?.text === "view") return "a view";
  if (value[0]?.kind === "name" && value.length === 1) return `a reference to \`${value[0].text}\``;
  return "an expression";
}

/** Source text from the first to the last token, trivia inside included. */
function joinText(all: readonly Token[], from: Token, to: Token): string {
  return all
    .filter((t) => t.start >= from.start && t.start <= to.start)
    .map((t) => t.text)
    .join("");
}

type Literal = Pick<Tunable, "kind" | "value" | "items" | "keys">;

function parseLiteral(value: readonly Token[]): Literal | { problem: PrepareProblem } | undefined {
  const [first, second] = value;
  if (first === undefined) return undefined;
  const scalar = parseScalar(value);
  if (scalar !== undefined) {
    if (first.kind === "literal") {
      const inner = first.text.slice(first.text.indexOf("(") + 1, -1).trim();
      if (first.text.startsWith("time")) {
        const ms = timespanMs(inner);
        return ms === undefined ? undefined : { kind: "timespan", value: ms, items: [], keys: [] };
      }
      return { kind: first.text.startsWith("guid") ? "string" : "datetime", value: inner, items: [], keys: [] };
    }
    const kind: TunableKind = typeof scalar.value === "boolean" ? "bool" : typeof scalar.value === "string" ? (isTimespan(scalar.text) ? "timespan" : "string") : "number";
    return { kind, value: kind === "timespan" ? timespanMs(scalar.text) : scalar.value, items: [], keys: [] };
  }
  if (first.kind === "name" && first.text === "dynamic" && second?.text === "(" && value[value.length - 1]?.text === ")") return parseDynamic(value.slice(2, -1), first.start);
  return undefined;
}

/** One scalar: a string, true/false, a number or timespan (with an optional minus sign), or a typed literal. */
function parseScalar(tokens: readonly Token[]): Scalar | undefined {
  const [a, b] = tokens;
  if (a === undefined) return undefined;
  if (tokens.length === 2) {
    if (a.text === "-" && b?.kind === "number") {
      const n = numberValue(b.text);
      return n === undefined ? undefined : { text: `-${b.text}`, value: -n, at: a.start };
    }
    return undefined;
  }
  if (tokens.length !== 1) return undefined;
  if (a.kind === "string") return { text: a.text, value: stringValue(a.text), at: a.start };
  if (a.kind === "literal") return { text: a.text, value: a.text, at: a.start };
  if (a.kind === "number") {
    if (isTimespan(a.text)) return { text: a.text, value: a.text, at: a.start };
    const n = numberValue(a.text);
    return n === undefined ? undefined : { text: a.text, value: n, at: a.start };
  }
  if (a.kind === "name" && (a.text === "true" || a.text === "false")) return { text: a.text, value: a.text === "true", at: a.start };
  if (a.kind === "name" && a.text === "null") return { text: a.text, value: null, at: a.start };
  return undefined;
}

/** dynamic([a, b, ...]) and dynamic({"key": value, ...}) of scalars; nothing nested. */
function parseDynamic(inner: readonly Token[], at: number): Literal | { problem: PrepareProblem } | undefined {
  const open = inner[0]?.text;
  const close = inner[inner.length - 1]?.text;
  if (!((open === "[" && close === "]") || (open === "{" && close === "}"))) return undefined;
  const parts = splitOnCommas(inner.slice(1, -1));
  const items: Scalar[] = [];
  const keys: Scalar[] = [];
  for (const part of parts) {
    if (open === "[") {
      const item = parseScalar(part);
      if (item === undefined || item.value === null) return { problem: { at: part[0]?.start ?? at, code: "TunableNotLiteral", message: "A list tunable holds strings, numbers or true/false only, e.g. dynamic([\"a\", \"b\"])." } };
      items.push(item);
    } else {
      const colon = part.findIndex((t) => t.text === ":");
      const key = colon === 1 ? parseScalar(part.slice(0, 1)) : undefined;
      const item = colon === 1 ? parseScalar(part.slice(2)) : undefined;
      if (key === undefined || typeof key.value !== "string" || item === undefined || item.value === null) {
        return { problem: { at: part[0]?.start ?? at, code: "TunableNotLiteral", message: "A map tunable holds \"key\": value pairs of a string and a string, number or true/false, e.g. dynamic({\"AzureVM\": 10})." } };
      }
      keys.push(key);
      items.push(item);
    }
  }
  if (open === "{") {
    const types = new Set(items.map((i) => typeof i.value));
    if (types.size > 1) return { problem: { at, code: "TunableMixedMap", message: "Every value of a map tunable must be of one type (all numbers, all strings or all true/false)." } };
  }
  return { kind: open === "[" ? "list" : "map", value: open === "[" ? items.map((i) => i.value) : Object.fromEntries(keys.map((k, i) => [k.value, items[i]?.value])), items, keys };
}

function splitOnCommas(tokens: readonly Token[]): Token[][] {
  if (tokens.length === 0) return [];
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (token.text === ",") parts.push([]);
    else parts[parts.length - 1]?.push(token);
  }
  return parts;
}

function numberValue(text: string): number | undefined {
  const n = text.startsWith("0x") || text.startsWith("0X") ? Number.parseInt(text, 16) : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const UNIT_MS: [RegExp, number][] = [
  [/^(days?|d)$/, 86_400_000],
  [/^(hours?|hrs?|hr|h)$/, 3_600_000],
  [/^(minutes?|min|m)$/, 60_000],
  [/^(seconds?|sec|s)$/, 1000],
  [/^(milliseconds?|millis?|ms)$/, 1],
  [/^(microseconds?|micros?)$/, 0.001],
  [/^(nanoseconds?)$/, 0.000_001],
  [/^(ticks?)$/, 0.0001],
];

function isTimespan(text: string): boolean {
  return /^\d+(\.\d+)?[a-z]+$/.test(text);
}

/** `2d`, `1.5h`, `30min`, or the `[d.]hh:mm[:ss]` form inside time(...). */
function timespanMs(text: string): number | undefined {
  const clock = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(text);
  if (clock !== null) return ((Number(clock[1] ?? 0) * 24 + Number(clock[2])) * 60 + Number(clock[3])) * 60_000 + Number(clock[4] ?? 0) * 1000;
  const match = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(text);
  if (match === null) return undefined;
  const unit = UNIT_MS.find(([pattern]) => pattern.test(match[2] ?? ""));
  return unit === undefined ? undefined : Number(match[1]) * unit[1];
}

/** The value of a string literal, for the checks (the sent text keeps the literal as written). */
function stringValue(text: string): string {
  const lead = /^[hH]?@?/.exec(text)?.[0] ?? "";
  const body = text.slice(lead.length + 1, -1);
  if (lead.endsWith("@")) return body.replaceAll(text[lead.length]!.repeat(2), text[lead.length]!);
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
}

// ---------------------------------------------------------------------------------------------
// Writing the values in

interface Substituted {
  text: string;
  segments: Segment[];
}

function substitute(body: readonly Token[], tunables: readonly Tunable[]): Substituted | { problems: PrepareProblem[] } {
  const byName = new Map(tunables.map((t) => [t.name, t]));
  const significant = body.map((t, i) => ({ t, i })).filter(({ t }) => !isTrivia(t));
  const position = new Map(significant.map(({ i }, k) => [i, k]));
  const problems: PrepareProblem[] = [];
  const segments: Segment[] = [];
  let text = "";
  const emit = (out: string, fileStart: number, verbatim: boolean) => {
    segments.push({ sentStart: text.length, fileStart, length: out.length, verbatim });
    text += out;
  };

  for (let i = 0; i < body.length; i += 1) {
    const token = body[i]!;
    const tunable = token.kind === "name" ? byName.get(token.text) : undefined;
    if (tunable === undefined) {
      emit(token.text, token.start, true);
      continue;
    }
    const k = position.get(i) ?? 0;
    const prev = significant[k - 1]?.t;
    const next = significant[k + 1]?.t;
    if (prev?.text === ".") {
      emit(token.text, token.start, true);
      continue;
    }
    if (next?.text === "=") {
      problems.push({ at: token.start, code: "TunableShadowed", message: `\`${tunable.name}\` is a tunable and is also given as a column name here; rename the column or the tunable, or Resource Graph would receive \`${tunable.text} = ...\`.` });
      continue;
    }
    if (tunable.kind === "list" && prev?.text === "(" && next?.text === ")" && isInOperator(significant[k - 2]?.t, significant[k - 3]?.t)) {
      // `x in~ (names)` becomes `x in~ ("a", "b")`, the form Microsoft's own Resource Graph queries use.
      emit(tunable.items.length === 0 ? "dynamic([])" : tunable.items.map((item) => item.text).join(", "), token.start, false);
      continue;
    }
    if (tunable.kind === "map" && next?.text === "[") {
      const close = matchingBracket(significant.map(({ t }) => t), k + 1);
      if (close !== undefined) {
        const end = significant[close]!.i;
        const inner = substitute(body.slice(i + 1, end).filter((t) => t.text !== "[" || t.start !== next.start), tunables);
        if ("problems" in inner) problems.push(...inner.problems);
        else emit(mapAsCase(tunable, inner.text.trim()), token.start, false);
        i = end;
        continue;
      }
    }
    emit(tunable.text, token.start, false);
  }
  return problems.length > 0 ? { problems } : { text: text.trim(), segments: shiftForTrim(text, segments) };
}

/** `in`, `in~`, `!in` or `!in~` just before the `(`. */
function isInOperator(before: Token | undefined, beforeThat: Token | undefined): boolean {
  if (before?.text === "in") return true;
  return before?.text === "~" && beforeThat?.text === "in";
}

function matchingBracket(tokens: readonly Token[], open: number): number | undefined {
  let depth = 0;
  for (let j = open; j < tokens.length; j += 1) {
    const text = tokens[j]?.text;
    if (text === "[") depth += 1;
    else if (text === "]") {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  return undefined;
}

/** `map[key]` becomes `case(key == "k1", v1, ..., null)`: indexing a dynamic literal is not a form Microsoft's queries use. */
function mapAsCase(tunable: Tunable, key: string): string {
  const subject = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : `(${key})`;
  const branches = tunable.keys.flatMap((k, i) => [`${subject} == ${k.text}`, tunable.items[i]?.text ?? "null"]);
  const sample = tunable.items[0]?.value;
  const none = typeof sample === "string" ? '""' : typeof sample === "boolean" ? "bool(null)" : tunable.items.every((item) => Number.isInteger(item.value)) ? "long(null)" : "real(null)";
  return `case(${[...branches, none].join(", ")})`;
}

function shiftForTrim(raw: string, segments: readonly Segment[]): Segment[] {
  const cut = raw.length - raw.trimStart().length;
  return segments.map((s) => ({ ...s, sentStart: s.sentStart - cut }));
}

function locate(segments: readonly Segment[]): (sentOffset: number) => number {
  return (offset) => {
    let found = segments[0];
    for (const segment of segments) {
      if (segment.sentStart > offset) break;
      found = segment;
    }
    if (found === undefined) return 0;
    return found.verbatim ? found.fileStart + Math.max(0, offset - found.sentStart) : found.fileStart;
  };
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  return { line, column: before.length - before.lastIndexOf("\n") };
}

/** The text to send for a rule file, or why it cannot be sent: the first problem at the file's line, and how many more. */
export function textToSend(file: QueryFile): { ok: true; text: string } | { ok: false; error: { code: string; message: string } } {
  const prepared = prepareQuery(file.text);
  if (prepared.ok) return { ok: true, text: prepared.query.text };
  const [first] = prepared.problems;
  const more = prepared.problems.length > 1 ? ` (and ${prepared.problems.length - 1} more problem(s); run check-queries)` : "";
  if (first === undefined) return { ok: false, error: { code: "QueryNotSendable", message: file.path } };
  const { line, column } = lineColumn(file.text, first.at);
  return { ok: false, error: { code: first.code, message: `${file.path}:${line}:${column}: ${first.message}${more}` } };
}
