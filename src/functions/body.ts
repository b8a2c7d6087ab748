import type { HttpRequest } from "@azure/functions";
import { z } from "zod";
import { QUERY_NAME } from "../queries/load.ts";
import type { Problem } from "./problem.ts";

/** Far above any real request (1000 subscription ids are ~40 KB); the rest is refused unread. */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_SUBSCRIPTIONS = 1000;
export const MAX_QUERIES = 100;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const quoted = (value: unknown) => JSON.stringify(typeof value === "string" && value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** The optional POST /api/sweep body: each field narrows one run, like the CLI's flags. */
export const SweepRequestSchema = z.strictObject({
  dryRun: z.boolean({ error: "must be true or false" }).optional(),
  queries: z
    .array(
      z.string({ error: "must be a query name (a string)" }).regex(QUERY_NAME, {
        error: (issue) => `${quoted(issue.input)} is not a query name (letters, digits, '.', '_' and '-', at most 100, the .kql file name without .kql)`,
      }),
      { error: "must be a list of query names" },
    )
    .min(1, "must name at least one query; leave it out to run every query")
    .max(MAX_QUERIES, `may name at most ${MAX_QUERIES} queries`)
    .optional(),
  subscriptions: z
    .array(
      z.string({ error: "must be a subscription id (a string)" }).regex(GUID, { error: (issue) => `${quoted(issue.input)} is not a subscription id (GUID)` }),
      { error: "must be a list of subscription ids" },
    )
    .min(1, "must name at least one subscription; leave it out to sweep the configured scope")
    .max(MAX_SUBSCRIPTIONS, `may name at most ${MAX_SUBSCRIPTIONS} subscriptions`)
    .optional(),
  maxRetries: z.int({ error: "must be a whole number from 1 to 100000" }).min(1).max(100_000).optional(),
});
export type SweepRequest = z.infer<typeof SweepRequestSchema>;

export type ParsedBody = { ok: true; value: SweepRequest } | { ok: false; problems: Problem[] };

export interface ParseBodyOptions {
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
  problems.push(...(await unknownQueries(raw, options)));
  return parsed.success && problems.length === 0 ? { ok: true, value: parsed.data } : fail(problems);
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
async function unknownQueries(raw: object, options: ParseBodyOptions): Promise<Problem[]> {
  const queries = (raw as { queries?: unknown }).queries;
  if (!Array.isArray(queries)) return [];
  const candidates = queries.map((name: unknown, index) => ({ name, index })).filter((q): q is { name: string; index: number } => typeof q.name === "string" && QUERY_NAME.test(q.name));
  if (candidates.length === 0) return [];
  const known = await options.knownQueries();
  if (known === undefined) return [];
  return candidates
    .filter((q) => !known.includes(q.name))
    .map((q) => ({ field: `queries[${q.index}]`, message: `${quoted(q.name)} is not a query in the queries folder; known queries: ${known.join(", ") || "none"}` }));
}
