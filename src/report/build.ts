import { OUTCOMES, type ActionReport, type Caps, type InvalidRow, type Outcome, type QueryReport, type Report, type ReportScope, type SubscriptionReport, type Totals, type Trigger } from "../core/index.ts";

function zeroCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

export interface BuildReportInput {
  runId: string;
  scope: ReportScope;
  rules: string[] | undefined;
  caps: Caps;
  trigger: Trigger;
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date;
  queries: QueryReport[];
  actions: ActionReport[];
  invalid: InvalidRow[];
}

/** Totals and per-subscription counts are derived here, never kept by hand elsewhere. */
export function buildReport(input: BuildReportInput): Report {
  const totals: Totals = { rows: 0, actions: input.actions.length, invalid: input.invalid.length, ...zeroCounts() };
  totals.rows = input.queries.reduce((sum, q) => sum + q.rows, 0);
  const bySubscription = new Map<string, SubscriptionReport>();
  for (const action of input.actions) {
    totals[action.outcome] += 1;
    let sub = bySubscription.get(action.subscriptionId);
    if (sub === undefined) {
      sub = { subscriptionId: action.subscriptionId, ...zeroCounts() };
      bySubscription.set(action.subscriptionId, sub);
    }
    sub[action.outcome] += 1;
  }
  return {
    runId: input.runId,
    scope: input.scope,
    rules: input.rules,
    caps: input.caps,
    trigger: input.trigger,
    dryRun: input.dryRun,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    queries: input.queries,
    totals,
    subscriptions: [...bySubscription.values()].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId)),
    actions: input.actions,
    invalid: input.invalid,
  };
}

/** The accounting rule of DESIGN.md: every row lands in exactly one action's sourceRows or in invalid. */
export function accountingHolds(report: Report): boolean {
  const accounted = report.actions.reduce((sum, a) => sum + a.sourceRows.length, 0) + report.invalid.length;
  return accounted === report.totals.rows;
}

/** Exit code of a run: 1 when any action or query failed, 0 otherwise. */
export function exitCodeOf(report: Report): 0 | 1 {
  return report.totals.failed > 0 || report.queries.some((q) => q.error !== undefined) ? 1 : 0;
}

