/**
 * Kusto's regular expressions are RE2 (https://learn.microsoft.com/kusto/query/regex); the evaluator runs them as
 * JavaScript RegExps. The common subset translates one to one; flags set at the very start (`(?i)`, `(?s)`, `(?m)`,
 * `(?U)`), `(?P<name>...)`, `\A`, `\z` and the ASCII classes (`[[:digit:]]`) are rewritten; what would behave
 * differently (flags set mid-pattern, class set operations, `\b{start}`, ...) is refused, never approximated.
 */

class RegexUnsupported extends Error {}

const POSIX: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

const cache = new Map<string, RegExp>();

/** The RegExp for a Kusto pattern (compiled once per pattern and extra flags). */
export function kustoRegex(pattern: string, extraFlags = ""): RegExp {
  const key = `${extraFlags}\u0000${pattern}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const { source, flags } = translate(pattern, extraFlags);
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (error) {
    throw new RegexUnsupported(`the regular expression ${JSON.stringify(pattern)} is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, regex);
  return regex;
}

/** Kusto flags (i, m, s, U) to a JavaScript source and flags. */
function translate(pattern: string, extraFlags = ""): { source: string; flags: string } {
  let rest = pattern;
  const wanted = new Set(extraFlags.split(""));
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (leading !== null) {
    for (const flag of leading[1]!) wanted.add(flag);
    rest = rest.slice(leading[0].length);
  }
  for (const flag of wanted) {
    if (!"imsU".includes(flag)) throw new RegexUnsupported(`the regex flag '${flag}' is not supported (supported: i, m, s, U)`);
  }
  let source = "";
  let unicode = false;
  let i = 0;
  const ungreedy = wanted.has("U");
  while (i < rest.length) {
    const c = rest[i]!;
    if (c === "\\") {
      const next = rest[i + 1];
      if (next === undefined) throw new RegexUnsupported("the regular expression ends with a lone backslash");
      if (next === "A") source += wanted.has("m") ? unsupported("\\A in multi-line mode") : "^";
      else if (next === "z") source += wanted.has("m") ? unsupported("\\z in multi-line mode") : "$";
      else if (next === "p" || next === "P") {
        unicode = true;
        if (rest[i + 2] === "{") {
          const end = rest.indexOf("}", i + 2);
          if (end < 0) unsupported("an unterminated \\p{...}");
          source += rest.slice(i, end + 1);
          i = end + 1;
          continue;
        }
        source += `\\${next}{${rest[i + 2] ?? ""}}`;
        i += 3;
        continue;
      } else if (next === "<" || next === ">" || (next === "b" && rest[i + 2] === "{")) unsupported("word-boundary variants (\\<, \\>, \\b{...})");
      else if (next === "x" && rest[i + 2] === "{") unsupported("\\x{...} code points");
      else if (next === "U") unsupported("\\U code points");
      else if (next === "Q") unsupported("\\Q...\\E quoting");
      else source += `\\${next}`;
      i += 2;
      continue;
    }
    if (c === "[") {
      const end = classEnd(rest, i);
      source += characterClass(rest.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    if (c === "(" && rest[i + 1] === "?") {
      const group = /^\(\?(P?<[A-Za-z_][A-Za-z0-9_]*>|:|=|!)/.exec(rest.slice(i));
      if (group === null) unsupported("flags set in the middle of a pattern, or a group of this kind");
      const opener = group![0];
      source += opener.replace("(?P<", "(?<");
      i += opener.length;
      continue;
    }
    source += c;
    i += 1;
    if (ungreedy && (c === "*" || c === "+" || c === "?" || c === "}") && isQuantifier(rest, i - 1)) {
      if (rest[i] === "?") i += 1;
      else source += "?";
    }
  }
  const flags = `${wanted.has("i") ? "i" : ""}${wanted.has("m") ? "m" : ""}${wanted.has("s") ? "s" : ""}${unicode ? "u" : ""}`;
  return { source, flags };
}

function unsupported(what: string): never {
  throw new RegexUnsupported(`the regular expression uses ${what}, which the emulator does not translate`);
}

/** A `?` right after `(` is a group marker, and `}` closes a quantifier only after `{n}`, `{n,}` or `{n,m}`. */
function isQuantifier(text: string, at: number): boolean {
  const c = text[at];
  if (c === "?") return text[at - 1] !== "(";
  if (c === "}") return /\{\d+(,\d*)?\}$/.test(text.slice(0, at + 1));
  return true;
}

function classEnd(text: string, start: number): number {
  let i = start + 1;
  if (text[i] === "^") i += 1;
  if (text[i] === "]") i += 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[" && text[i + 1] === ":") {
      const end = text.indexOf(":]", i + 2);
      if (end < 0) unsupported("an unterminated [:class:]");
      i = end + 2;
      continue;
    }
    if (c === "[") unsupported("nested character classes");
    if (c === "]") return i;
    i += 1;
  }
  return unsupported("an unterminated character class");
}

function characterClass(text: string): string {
  if (/&&|--|~~/.test(text)) unsupported("character class set operations (&&, --, ~~)");
  return text.replace(/\[:(\^?)([a-z]+):\]/g, (_, negated: string, name: string) => {
    const ranges = POSIX[name];
    if (ranges === undefined) unsupported(`the ASCII class [:${name}:]`);
    if (negated === "^") unsupported("a negated ASCII class inside a character class");
    return ranges!;
  });
}
