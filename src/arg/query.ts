import type { ResourceGraphClient, QueryResponse } from "@azure/arm-resourcegraph";
import { toArmError, type ArmError } from "../core/index.ts";
import type { Logger } from "../log.ts";
import type { QuotaGate } from "./quota.ts";

/** Docs advise batches under 300 subscriptions per request. */
const SUBSCRIPTION_BATCH = 300;
/** ARG's largest page. */
const MAX_PAGE_SIZE = 1000;

export type ArgScope = { subscriptions: string[] } | { managementGroups: string[] } | { tenant: true };

export interface RunQueryOptions {
  client: ResourceGraphClient;
  /** The rule's name and the text to send (its tunables already written in). */
  query: { name: string; text: string };
  scope: ArgScope;
  quota: QuotaGate;
  logger: Logger;
  /** Hears each page as it is read (1, 2, ...). */
  onPage?: (page: number) => void;
}

/** Bound on pages per batch, so a misbehaving service cannot keep a run going forever. */
const MAX_PAGES = 10_000;

export interface QueryResult {
  name: string;
  /** Every row the query returned, over all its pages. */
  data: unknown[];
  pages: number;
  error?: ArmError;
}

class QueryFailure extends Error {
  readonly armError: ArmError;
  constructor(armError: ArmError) {
    super(armError.message);
    this.armError = armError;
  }
}

/**
 * Runs one query over the whole scope, every page of every batch. A failure anywhere makes the whole
 * query an error with no rows: acting on some pages of a result would retry an arbitrary subset silently.
 */
export async function runQuery(options: RunQueryOptions): Promise<QueryResult> {
  const { query, logger } = options;
  const batches = "subscriptions" in options.scope ? chunk(options.scope.subscriptions, SUBSCRIPTION_BATCH).map((subscriptions) => ({ subscriptions })) : "managementGroups" in options.scope ? [{ managementGroups: options.scope.managementGroups }] : [{}];
  const rows: unknown[] = [];
  // Counted as pages arrive, so a failure mid-batch still says how far the query got.
  const read = { pages: 0 };
  const started = Date.now();
  try {
    for (const batch of batches) {
      await readBatch(options, batch, rows, read);
    }
  } catch (error) {
    const { pages } = read;
    const armError = error instanceof QueryFailure ? error.armError : toArmError(error);
    const message = `${armError.message}${pages > 0 ? ` (after ${pages} page(s) and ${rows.length} row(s) were read; none of this query's rows were acted on)` : ""}`;
    logger.error({ event: "query.failed", query: query.name, pages, error: { ...armError, message } }, `query ${query.name} failed`);
    return { name: query.name, data: [], pages, error: { ...armError, message } };
  }
  const { pages } = read;
  logger.info({ event: "query.completed", query: query.name, rows: rows.length, pages, durationMs: Date.now() - started }, `query ${query.name}: ${rows.length} row(s)`);
  return { name: query.name, data: rows, pages };
}

async function readBatch(options: RunQueryOptions, scope: { subscriptions?: string[]; managementGroups?: string[] }, rows: unknown[], read: { pages: number }): Promise<void> {
  const seenTokens = new Set<string>();
  let skipToken: string | undefined;
  let pages = 0;
  do {
    if (pages >= MAX_PAGES) throw new QueryFailure({ code: "TooManyPages", message: `stopped after ${MAX_PAGES} pages; narrow the query (look-back, workloads) or raise the bound` });
    await options.quota.ready();
    const response: QueryResponse = await options.client.resources(
      { query: options.query.text, ...scope, options: { top: MAX_PAGE_SIZE, resultFormat: "objectArray", skipToken } },
      { onResponse: (raw) => options.quota.update(raw.headers) },
    );
    pages += 1;
    read.pages += 1;
    options.onPage?.(read.pages);
    const data = toObjects(response.data);
    for (const row of data) rows.push(row);
    options.logger.debug({ event: "query.page", query: options.query.name, page: pages, rows: data.length, totalRecords: response.totalRecords }, "page read");
    const next = response.skipToken;
    if (next === undefined || next === "") {
      if (String(response.resultTruncated) === "true") {
        throw new QueryFailure({
          code: "ResultTruncated",
          message: "Resource Graph truncated the result and gave no skipToken, so it cannot be paged: remove limit/take/sample from the query and make sure it projects the id column",
        });
      }
      skipToken = undefined;
    } else {
      if (seenTokens.has(next)) throw new QueryFailure({ code: "RepeatedSkipToken", message: "Resource Graph returned a skipToken it had already returned; stopped paging to avoid an endless loop" });
      seenTokens.add(next);
      skipToken = next;
    }
  } while (skipToken !== undefined);
}

/** objectArray is asked for; a table-format answer ({columns, rows}) is turned into objects all the same. */
function toObjects(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (typeof data === "object" && data !== null && Array.isArray((data as { columns?: unknown }).columns) && Array.isArray((data as { rows?: unknown }).rows)) {
    const { columns, rows } = data as { columns: { name: string }[]; rows: unknown[][] };
    return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));
  }
  throw new QueryFailure({ code: "UnexpectedResponse", message: "Resource Graph answered with data that is neither a list of rows nor a table" });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
