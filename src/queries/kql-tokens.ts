/**
 * A small, exact KQL tokenizer: just enough to tell names from strings, comments, numbers and
 * punctuation. It runs in the function bundle, where the Kusto parser (31 MB) is not shipped.
 * Lexical rules: learn.microsoft.com/kusto/query/scalar-data-types/string (string literals),
 * .../timespan (timespan literals), .../entity-names (identifiers).
 */

/** `literal`: a typed literal whose content is not KQL tokens, such as datetime(2024-01-01T00:00:00Z) or time(1.02:00:00). */
type TokenKind = "space" | "comment" | "string" | "name" | "number" | "literal" | "punct";

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the source. */
  start: number;
}

export class KqlSyntaxError extends Error {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.at = at;
  }
}

// Keywords spelled with a hyphen are one token, so a tunable named `away` never matches `project-away`.
const HYPHENATED = /^(project-away|project-keep|project-rename|project-reorder|project-smart|mv-expand|mv-apply|make-series|top-nested|top-hitters|parse-where|parse-kv)\b/;
const NAME = /^\$?[A-Za-z_][A-Za-z0-9_]*/;
// A number, optionally with a timespan unit (2d, 1.5h, 30min, 100ms, 10tick ...).
const NUMBER = /^(0[xX][0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?(days?|d|hours?|hrs?|hr|h|minutes?|min|m|seconds?|sec|s|milliseconds?|millis?|ms|microseconds?|micros?|nanoseconds?|ticks?)?)(?![A-Za-z0-9_])/;
const TYPED_LITERAL = /^(datetime|date|time|timespan|guid)\([^()\n]*\)/;
const PUNCT = /^(==|!=|=~|!~|<=|>=|<>|=>|\.\.|[-+*/%<>=!~.,;:()[\]{}|@#?^&$`\\])/;

/** Every character of the source lands in exactly one token, so joining the texts gives the source back. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const rest = source.slice(at);
    const token = readToken(rest, at);
    tokens.push(token);
    at += token.text.length;
  }
  return tokens;
}

function readToken(rest: string, at: number): Token {
  const space = /^\s+/.exec(rest);
  if (space) return { kind: "space", text: space[0], start: at };
  if (rest.startsWith("//")) {
    const end = rest.indexOf("\n");
    return { kind: "comment", text: end === -1 ? rest : rest.slice(0, end), start: at };
  }
  const string = readString(rest, at);
  if (string !== undefined) return { kind: "string", text: string, start: at };
  const typed = TYPED_LITERAL.exec(rest);
  if (typed) return { kind: "literal", text: typed[0], start: at };
  const hyphenated = HYPHENATED.exec(rest);
  if (hyphenated) return { kind: "name", text: hyphenated[0], start: at };
  const number = NUMBER.exec(rest);
  if (number) return { kind: "number", text: number[0], start: at };
  const name = NAME.exec(rest);
  if (name) return { kind: "name", text: name[0], start: at };
  const punct = PUNCT.exec(rest);
  if (punct) return { kind: "punct", text: punct[0], start: at };
  throw new KqlSyntaxError(`unexpected character ${JSON.stringify(rest[0])}`, at);
}

/** String literals: "..." and '...' with backslash escapes, @"..." verbatim, h/H obfuscated, ```...``` and ~~~...~~~ multi-line. */
function readString(rest: string, at: number): string | undefined {
  for (const fence of ["```", "~~~"]) {
    if (rest.startsWith(fence)) {
      const end = rest.indexOf(fence, 3);
      if (end === -1) throw new KqlSyntaxError(`the multi-line string opened with ${fence} is never closed`, at);
      return rest.slice(0, end + 3);
    }
  }
  const prefix = /^([hH]?@?)(?=["'])/.exec(rest);
  if (prefix === null) return undefined;
  const lead = prefix[1] ?? "";
  const verbatim = lead.endsWith("@");
  const quote = rest[lead.length];
  let i = lead.length + 1;
  while (i < rest.length) {
    const c = rest[i];
    if (c === "\n") break;
    if (!verbatim && c === "\\") {
      i += 2;
      continue;
    }
    if (c === quote) {
      // In a verbatim string a doubled quote stands for one quote.
      if (verbatim && rest[i + 1] === quote) {
        i += 2;
        continue;
      }
      return rest.slice(0, i + 1);
    }
    i += 1;
  }
  throw new KqlSyntaxError("this string is never closed on its line", at);
}

export function isTrivia(token: Token): boolean {
  return token.kind === "space" || token.kind === "comment";
}
