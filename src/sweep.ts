import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import type { Settings } from "./settings.ts";
import { SettingsError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { loadQueries, type QueryFile } from "./queries/load.ts";
import { lineColumn, prepareQuery, type PrepareProblem } from "./queries/prepare.ts";
import { runQuery, type ArgScope, type QueryResult } from "./arg/query.ts";
import { createQuotaGate } from "./arg/quota.ts";
import { planActions } from "./plan/plan.ts";
import { executeActions, type ExecuteOptions } from "./backup/execute.ts";
import { armScope, createResourceGraphClient, type ArmConnection } from "./azure/clients.ts";
import { RetryOptionsSchema, type RetryOptionsInput } from "./azure/retry.ts";
import { accountingHolds, buildReport, type ArmError, type QueryReport, type Report, type Trigger } from "./report.ts";

export interface SweepOptions {
  trigger: Trigger;
  settings: Settings;
  credential: TokenCredential;
  logger: Logger;
  /** Per-run overrides from the HTTP body or CLI flags. */
  dryRun?: boolean;
  queries?: readonly string[];
  subscriptions?: readonly string[];
  maxRetries?: number;
  queriesDir?: string;
  /** Extra CA for a local ARM (the emulator); never needed in Azure. */
  tlsCa?: string;
  retry?: RetryOptionsInput;
  operation?: ExecuteOptions["operation"];
  pageSize?: number;
  runId?: string;
  signal?: AbortSignal;
}

/** The one flow: queries -> Resource Graph -> plan -> on-demand backups -> report. */
export async function sweep(options: SweepOptions): Promise<Report> {
  const { settings } = options;
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  const dryRun = options.dryRun ?? settings.dryRun;
  const logger = options.logger.child({ runId });
  const filter = normaliseSubscriptions(options.subscriptions, settings);
  const scope = scopeOf(settings, filter);
  logger.info({ event: "sweep.started", trigger: options.trigger, dryRun, scope: describeScope(scope) }, "sweep started");

  const arm: ArmConnection = {
    credential: options.credential,
    endpoint: settings.armEndpoint,
    scope: armScope(settings.armEndpoint),
    retry: RetryOptionsSchema.parse(options.retry ?? {}),
    ...(options.tlsCa === undefined ? {} : { tlsCa: options.tlsCa }),
  };

  const loaded = await loadQueries({ dir: options.queriesDir ?? settings.queriesDir, ...(options.queries === undefined ? {} : { names: options.queries }) });
  const queryReports: QueryReport[] = loaded.errors.map((e) => {
    logger.error({ event: "query.failed", query: e.file, error: { code: e.code, message: e.message } }, e.message);
    return { name: nameOfFile(e.file), rows: 0, pages: 0, error: { code: e.code, message: e.message } };
  });

  const results: QueryResult[] = [];
  if (loaded.queries.length > 0) {
    const client = createResourceGraphClient(arm);
    const quota = createQuotaGate();
    for (const query of loaded.queries) {
      const prepared = prepareQuery(query.text);
      if (!prepared.ok) {
        const error = unsendable(query, prepared.problems);
        logger.error({ event: "query.failed", query: query.name, error }, error.message);
        queryReports.push({ name: query.name, rows: 0, pages: 0, error });
        continue;
      }
      results.push(await runQuery({ client, query: { name: query.name, text: prepared.query.text }, scope, quota, logger, ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }), ...(options.signal === undefined ? {} : { signal: options.signal }) }));
    }
  }

  // Resource Graph scopes the jobs, not the columns a query projects: act only inside the subscriptions allowed.
  const allowed = filter ?? (settings.subscriptions.length > 0 ? settings.subscriptions : undefined);
  const plan = planActions(
    results.map((r) => ({ query: r.name, rows: r.rows })),
    {
      maxPerRun: options.maxRetries ?? settings.maxPerRun,
      maxPerSubscription: settings.maxPerSubscription,
      ...(allowed === undefined ? {} : { subscriptions: allowed }),
    },
  );
  for (const invalid of plan.invalid) logger.warn({ event: "row.invalid", ...invalid }, `invalid row from ${invalid.query}: ${invalid.reason}`);

  const actions = await executeActions(plan.actions, {
    arm,
    concurrency: settings.concurrency,
    expiryDays: settings.expiryDays,
    dryRun,
    logger,
    ...(options.operation === undefined ? {} : { operation: options.operation }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });

  const report = buildReport({
    runId,
    trigger: options.trigger,
    dryRun,
    startedAt,
    finishedAt: new Date(),
    queries: [...queryReports, ...results.map(({ name, rows, pages, error }) => ({ name, rows: rows.length, pages, ...(error === undefined ? {} : { error }) }))],
    actions,
    invalid: plan.invalid,
  });
  // Never expected; if a change ever loses a row, the run says so loudly instead of silently.
  if (!accountingHolds(report)) logger.error({ event: "sweep.accountingMismatch", totals: report.totals }, "rows and actions do not add up; please report this");
  logger.info(
    { event: "sweep.completed", trigger: options.trigger, dryRun, totals: report.totals, queries: report.queries.length, failedQueries: report.queries.filter((q) => q.error).length, durationMs: Date.parse(report.finishedAt) - startedAt.getTime() },
    "sweep completed",
  );
  return report;
}

/** A rule whose text cannot be sent is an error on that rule alone, pointing at the file's line. */
function unsendable(query: QueryFile, problems: readonly PrepareProblem[]): ArmError {
  const [first] = problems;
  const where = (p: PrepareProblem) => {
    const { line, column } = lineColumn(query.text, p.at);
    return `${query.path}:${line}:${column}: ${p.message}`;
  };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s); run check-queries)` : "";
  return { code: first?.code ?? "QueryNotSendable", message: `${first === undefined ? query.path : where(first)}${more}` };
}

function nameOfFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.endsWith(".kql") ? base.slice(0, -4) : base;
}

/** A run may narrow the configured subscriptions, never widen them. */
function normaliseSubscriptions(requested: readonly string[] | undefined, settings: Settings): string[] | undefined {
  if (requested === undefined || requested.length === 0) return undefined;
  const wanted = [...new Set(requested.map((s) => s.toLowerCase()))];
  if (settings.subscriptions.length > 0) {
    const outside = wanted.filter((s) => !settings.subscriptions.includes(s));
    if (outside.length > 0) {
      throw new SettingsError([`subscription(s) ${outside.join(", ")} are outside RETRY_SUBSCRIPTIONS; a run may only narrow the configured scope`]);
    }
  }
  return wanted;
}

function scopeOf(settings: Settings, filter: string[] | undefined): ArgScope {
  // Under a management-group scope a filter only narrows the rows, so it cannot reach outside the groups.
  if (settings.managementGroups.length > 0) return { managementGroups: settings.managementGroups };
  if (filter !== undefined) return { subscriptions: filter };
  if (settings.subscriptions.length > 0) return { subscriptions: settings.subscriptions };
  return { tenant: true };
}

function describeScope(scope: ArgScope): string {
  if ("subscriptions" in scope) return `${scope.subscriptions.length} subscription(s)`;
  if ("managementGroups" in scope) return `management group(s) ${scope.managementGroups.join(", ")}`;
  return "every subscription the identity can read";
}
