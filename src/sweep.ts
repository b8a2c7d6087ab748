import { randomUUID } from "node:crypto";
import { createQuotaGate, runQuery, type ArgScope, type QueryResult } from "./arg/index.ts";
import { createResourceGraphClient, type ArmConnection } from "./azure/index.ts";
import { executeActions } from "./backup/index.ts";
import { SettingsError, type Caps, type QueryReport, type Report, type ReportScope, type RunOverrides, type Trigger } from "./core/index.ts";
import type { Logger } from "./log.ts";
import { planActions, type Plan } from "./plan/index.ts";
import { loadQueries, textToSend } from "./queries/index.ts";
import { accountingHolds, buildReport } from "./report/index.ts";
import type { Settings } from "./settings.ts";

/** What a caller of a sweep chooses; the connection to ARM is built by the adapter and handed in. */
export interface SweepOptions {
  trigger: Trigger;
  settings: Settings;
  arm: ArmConnection;
  logger: Logger;
  /** What this run narrows (HTTP body, CLI flags). */
  overrides?: RunOverrides;
  /** Given by a caller that must name the run before it starts (the function app's lock); a new one otherwise. */
  runId?: string;
  /** Aborted (Ctrl-C): no new trigger is admitted; writes in flight finish; the rest is reported `cancelled`. */
  signal?: AbortSignal;
  /** Hears each page read and each trigger settled (the command line's progress line). */
  progress?: SweepProgress;
}

export interface SweepProgress {
  page: (rule: string, page: number) => void;
  settled: (done: number, total: number) => void;
}

/** A run read and planned, nothing written yet: what the command line shows before it asks. */
export interface PreparedSweep {
  options: SweepOptions;
  runId: string;
  startedAt: Date;
  dryRun: boolean;
  scope: ReportScope;
  caps: Caps;
  queries: QueryReport[];
  plan: Plan;
  logger: Logger;
}

/** The one flow: queries -> Resource Graph -> plan -> on-demand backups -> report. */
export async function sweep(options: SweepOptions): Promise<Report> {
  return executeSweep(await prepareSweep(options));
}

/** Queries -> Resource Graph -> plan: every read, no write. */
export async function prepareSweep(options: SweepOptions): Promise<PreparedSweep> {
  const { settings, arm } = options;
  const overrides = options.overrides ?? {};
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  // A run may turn a dry run on, never off: RETRY_DRY_RUN=true is the admin's safety switch.
  const dryRun = settings.dryRun || overrides.dryRun === true;
  const logger = options.logger.child({ runId });
  const filter = normaliseSubscriptions(overrides.subscriptions, settings);
  const scope = scopeOf(settings, filter);
  logger.info({ event: "sweep.started", trigger: options.trigger, dryRun, scope: describeScope(scope) }, "sweep started");

  const loaded = await loadQueries({ dir: settings.queriesDir, names: overrides.rules });
  const queryReports: QueryReport[] = loaded.errors.map((e) => {
    logger.error({ event: "query.failed", query: e.file, error: { code: e.code, message: e.message } }, e.message);
    return { name: nameOfFile(e.file), rows: 0, pages: 0, error: { code: e.code, message: e.message } };
  });

  const results: QueryResult[] = [];
  if (loaded.queries.length > 0) {
    const client = createResourceGraphClient(arm);
    const quota = createQuotaGate();
    for (const query of loaded.queries) {
      const sendable = textToSend(query);
      if (!sendable.ok) {
        logger.error({ event: "query.failed", query: query.name, error: sendable.error }, sendable.error.message);
        queryReports.push({ name: query.name, rows: 0, pages: 0, error: sendable.error });
        continue;
      }
      const onPage = options.progress === undefined ? undefined : (page: number) => options.progress?.page(query.name, page);
      results.push(await runQuery({ client, query: { name: query.name, text: sendable.text }, scope, quota, logger, onPage }));
    }
  }

  // Resource Graph scopes the jobs, not the columns a query projects: act only inside the subscriptions allowed.
  const allowed = filter ?? (settings.subscriptions.length > 0 ? settings.subscriptions : undefined);
  const caps: Caps = { maxBackups: overrides.maxBackups ?? settings.maxPerRun, maxPerSubscription: settings.maxPerSubscription, concurrency: settings.concurrency };
  const plan = planActions(
    results.map((r) => ({ rule: r.name, data: r.data })),
    { maxPerRun: caps.maxBackups, maxPerSubscription: caps.maxPerSubscription, subscriptions: allowed },
  );
  for (const invalid of plan.invalid) logger.warn({ event: "row.invalid", ...invalid }, `invalid row from ${invalid.query}: ${invalid.reason}`);
  return {
    options,
    runId,
    startedAt,
    dryRun,
    scope: "tenant" in scope ? "all visible" : scope,
    caps,
    queries: [...queryReports, ...results.map(({ name, data, pages, error }) => ({ name, rows: data.length, pages, error }))],
    plan,
    logger,
  };
}

/** Plan -> on-demand backups -> report. */
export async function executeSweep(prepared: PreparedSweep): Promise<Report> {
  const { options, logger, plan, dryRun, startedAt } = prepared;
  const { settings, arm } = options;
  const actions = await executeActions(plan.actions, { arm, concurrency: settings.concurrency, expiryDays: settings.expiryDays, dryRun, logger, signal: options.signal, onSettled: options.progress?.settled });

  const report = buildReport({
    runId: prepared.runId,
    scope: prepared.scope,
    rules: options.overrides?.rules,
    caps: prepared.caps,
    trigger: options.trigger,
    dryRun,
    startedAt,
    finishedAt: new Date(),
    queries: prepared.queries,
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
