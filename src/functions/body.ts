import type { HttpRequest } from "@azure/functions";
import type { z } from "zod";
import { RULE_NAME, RunOverridesSchema, type RunOverrides } from "../core/index.ts";
import type { Problem } from "./problem.ts";

/** Far above any real request (1000 subscription ids are ~40 KB); the rest is refused unread. */
export const MAX_BODY_BYTES = 64 * 1024;

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const quoted = (value: unknown) => JSON.stringify(typeof value === "string" && value.length > 100 ? `${value.slice(0, 100)}…` : value);

/**
 * The optional POST /api/sweep body: the run's overrides (RunOverridesSchema, the CLI's and sweep()'s too), and the
 * names the body had before them, `queries` and `maxRetries`, still accepted so existing scripts keep working.
 */
const SweepRequestSchema = RunOverridesSchema.extend({ queries: RunOverridesSchema.shape.rules, maxRetries: RunOverridesSchema.shape.maxBackups });

type ParsedBody = { ok: true; value: RunOverrides } | { ok: false; problems: Problem[] };

interface ParseBodyOptions {
  /** Query names in the queries folder; undefined when the folder cannot be read (the sweep then reports that). */
  knownQueries: () => Promise<string[] | undefined>;
}

/** Reads and validates the body, naming every problem at once; an empty body means every default. */
export async function parseSweepRequest(request: Pick<HttpRequest, "headers" | "arrayBuffer">, options: ParseBodyOptions): Promise<ParsedBody> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return tooLarge(declared);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) return tooLarge(bytes.byteLength);

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail([{ field: "body", message: "is not UTF-8 text; send a JSON object" }]);
  }
  if (text.trim() === "") return { ok: true, value: {} };

  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== "application/json") {
    return fail([{ field: "Content-Type", message: `must be application/json when a body is sent, got ${mediaType === "" ? "none" : quoted(mediaType)} (curl: -H "Content-Type: application/json")` }]);
  }

  const problems: Problem[] = [];
  let raw: unknown;
  try {
    // The reviver drops prototype-bending keys before any object holding them is handed on.
    raw = JSON.parse(text, (key, value: unknown) => {
      if (!FORBIDDEN_KEYS.has(key)) return value;
      problems.push({ field: key, message: "is not allowed in a request body" });
      return undefined;
    });
  } catch (error) {
    return fail([{ field: "body", message: `is not valid JSON (${(error as Error).message})` }]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail([...problems, { field: "body", message: `must be a JSON object such as {"dryRun": true}, got ${Array.isArray(raw) ? "an array" : raw === null ? "null" : typeof raw}` }]);
  }

  const parsed = SweepRequestSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap(problemsOfIssue));
  for (const [name, alias] of [["rules", "queries"], ["maxBackups", "maxRetries"]] as const) {
    if (name in raw && alias in raw) problems.push({ field: alias, message: `is the old name of ${name}; send one of them` });
  }
  problems.push(...(await unknownRules(raw, options)));
  if (!parsed.success || problems.length > 0) return fail(problems);
  const { queries, maxRetries, ...overrides } = parsed.data;
  return { ok: true, value: { ...overrides, rules: overrides.rules ?? queries, maxBackups: overrides.maxBackups ?? maxRetries } };
}

function tooLarge(bytes: number): ParsedBody {
  return fail([{ field: "body", message: `is ${bytes} bytes; a request body may hold at most ${MAX_BODY_BYTES} bytes` }]);
}

/** Enough to fix a request; a hostile body with thousands of bad entries must not get a megabyte back. */
export const MAX_PROBLEMS = 50;

function fail(problems: Problem[]): ParsedBody {
  if (problems.length <= MAX_PROBLEMS) return { ok: false, problems };
  const more = problems.length - MAX_PROBLEMS;
  return { ok: false, problems: [...problems.slice(0, MAX_PROBLEMS), { field: "body", message: `and ${more} more problem(s) like these` }] };
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? String(part) : `${out}.${String(part)}`), "") || "body";
}

function problemsOfIssue(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(SweepRequestSchema.shape).join(", ");
    return issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: `is not a known field; the body may hold ${known}` }));
  }
  return [{ field: fieldOf(issue.path), message: issue.message }];
}

/** Well-formed names that match no file: checked apart from the schema so one response names every problem. */
async function unknownRules(raw: object, options: ParseBodyOptions): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const field of ["rules", "queries"] as const) {
    const names = (raw as Record<string, unknown>)[field];
    if (!Array.isArray(names)) continue;
    const candidates = names.map((name: unknown, index) => ({ name, index })).filter((q): q is { name: string; index: number } => typeof q.name === "string" && RULE_NAME.test(q.name));
    if (candidates.length === 0) continue;
    const known = await options.knownQueries();
    if (known === undefined) return problems;
    for (const q of candidates.filter((c) => !known.includes(c.name))) {
      problems.push({ field: `${field}[${q.index}]`, message: `${quoted(q.name)} is not a query in the queries folder; known queries: ${known.join(", ") || "none"}` });
    }
  }
  return problems;
}
