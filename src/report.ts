import { z } from "zod";
import { BackupTypeSchema } from "./plan/row.ts";
import { VaultKindSchema, WorkloadSchema } from "./plan/ids.ts";

export const OutcomeSchema = z.enum(["triggered", "dryRun", "alreadyInProgress", "postponed", "deferred", "failed", "exhausted"]);
export type Outcome = z.infer<typeof OutcomeSchema>;
export const OUTCOMES = OutcomeSchema.options;

export const TriggerSchema = z.enum(["timer", "http", "cli"]);
export type Trigger = z.infer<typeof TriggerSchema>;

/**
 * Why a `postponed` item was not triggered this run. None is a failure, and each clears by itself:
 * a later run tries the item again (at `retryAfter` when it is known).
 */
export const WaitReasonSchema = z.enum([
  /** The item's on-demand backups in the last 24 hours reached the service's daily allowance. */
  "dailyAllowance",
  /** The service's 24-hour operation quota (CloudDos*LimitReached): wait 24 hours after the failure. */
  "serviceQuota",
  /** A configure-protection or policy operation is running on the item (BMSUserErrorConflictingProtectionOperation, BMSUserErrorObjectLocked). */
  "protectionOperation",
  /** The vault runs as many backups as it allows at once (UserErrorMaxConcurrentOperationLimitReached). */
  "concurrencyLimit",
]);
export type WaitReason = z.infer<typeof WaitReasonSchema>;

export const ArmErrorSchema = z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() });
export type ArmError = z.infer<typeof ArmErrorSchema>;

export const SourceRowSchema = z.object({
  query: z.string(),
  id: z.string(),
  /** Columns beyond the row contract, carried as the query returned them. */
  columns: z.record(z.string(), z.unknown()).optional(),
});
export type SourceRow = z.infer<typeof SourceRowSchema>;

export const ActionReportSchema = z.object({
  subscriptionId: z.string(),
  vaultId: z.string(),
  itemId: z.string(),
  vaultKind: VaultKindSchema,
  workload: WorkloadSchema,
  sourceRows: z.array(SourceRowSchema).min(1),
  outcome: OutcomeSchema,
  /** Every rule that returned the item. */
  rules: z.array(z.string()).min(1),
  waitReason: WaitReasonSchema.optional(),
  /** When a postponed item may be tried again, when that is known. */
  retryAfter: z.string().optional(),
  failedAt: z.string().optional(),
  lastError: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
  attempts: z.number().int().optional(),
  expiresAt: z.string().optional(),
  backupType: BackupTypeSchema.optional(),
  ruleName: z.string().optional(),
  retentionTag: z.string().optional(),
  jobId: z.string().optional(),
  error: ArmErrorSchema.optional(),
  /** On-demand backups of the item in the last 24 hours, and its daily allowance, as the rule counted them. */
  onDemandLast24h: z.number().int().optional(),
  dailyAllowance: z.number().int().optional(),
  /** Why the item was deferred or not triggered. */
  reason: z.string().optional(),
  durationMs: z.number().int().optional(),
});
export type ActionReport = z.infer<typeof ActionReportSchema>;

export const QueryReportSchema = z.object({
  name: z.string(),
  rows: z.number().int(),
  pages: z.number().int(),
  error: ArmErrorSchema.optional(),
});
export type QueryReport = z.infer<typeof QueryReportSchema>;

const counts = Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int()])) as Record<Outcome, z.ZodNumber>;

export const TotalsSchema = z.object({ rows: z.number().int(), actions: z.number().int(), invalid: z.number().int(), ...counts });
export type Totals = z.infer<typeof TotalsSchema>;

export const SubscriptionReportSchema = z.object({ subscriptionId: z.string(), ...counts });
export type SubscriptionReport = z.infer<typeof SubscriptionReportSchema>;

export const InvalidRowSchema = z.object({ query: z.string(), id: z.string().optional(), reason: z.string() });
export type InvalidRow = z.infer<typeof InvalidRowSchema>;

export const ReportSchema = z.object({
  runId: z.string(),
  trigger: TriggerSchema,
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  queries: z.array(QueryReportSchema),
  totals: TotalsSchema,
  subscriptions: z.array(SubscriptionReportSchema),
  actions: z.array(ActionReportSchema),
  invalid: z.array(InvalidRowSchema),
});
export type Report = z.infer<typeof ReportSchema>;

function zeroCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

export interface BuildReportInput {
  runId: string;
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

const COUNT_COLUMNS: [Outcome, string][] = [
  ["triggered", "triggered"], ["dryRun", "dry-run"], ["alreadyInProgress", "in-progress"], ["postponed", "postponed"], ["deferred", "deferred"], ["failed", "failed"], ["exhausted", "exhausted"],
];

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

function shortItem(action: ActionReport): string {
  const parts = action.itemId.split("/");
  const vault = action.vaultId.split("/").pop() ?? "";
  return `${vault}/${parts[parts.length - 1] ?? ""}`;
}

/** Table cells stay one screen line or so; the JSON report keeps every word. */
const MAX_DETAIL = 160;

function detail(action: ActionReport): string {
  const text = detailText(action);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function detailText(action: ActionReport): string {
  if (action.error !== undefined) return `${action.error.code}: ${action.error.message}`;
  const bits: string[] = [];
  if (action.jobId !== undefined) bits.push(`job ${action.jobId}`);
  if (action.backupType !== undefined) bits.push(action.backupType);
  if (action.expiresAt !== undefined) bits.push(`expires ${action.expiresAt.slice(0, 10)}`);
  if (action.ruleName !== undefined) bits.push(`rule ${action.ruleName}${action.retentionTag === undefined ? "" : `/${action.retentionTag}`}`);
  if (action.retryAfter !== undefined) bits.push(`retry after ${action.retryAfter.slice(0, 16).replace("T", " ")} UTC`);
  if (action.lastError?.code !== undefined && (action.outcome === "exhausted" || action.outcome === "deferred" || action.outcome === "postponed")) bits.push(`last error ${action.lastError.code}`);
  if (action.reason !== undefined) bits.push(action.reason);
  return bits.join(", ");
}

/** Human-readable report: queries, a per-subscription summary, every action and every invalid row. */
export function renderReport(report: Report): string {
  const seconds = ((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000).toFixed(1);
  const out: string[] = [`Sweep ${report.runId} (${report.trigger}${report.dryRun ? ", dry run: nothing was written" : ""}) took ${seconds} s`, ""];
  out.push("Queries", ...table(["name", "rows", "pages", "error"], report.queries.map((q) => [q.name, String(q.rows), String(q.pages), q.error === undefined ? "" : `${q.error.code}: ${q.error.message}`])).map((l) => `  ${l}`), "");
  if (report.subscriptions.length > 0) {
    out.push("Subscriptions", ...table(["subscription", ...COUNT_COLUMNS.map(([, h]) => h)], report.subscriptions.map((s) => [s.subscriptionId, ...COUNT_COLUMNS.map(([o]) => String(s[o]))])).map((l) => `  ${l}`), "");
  }
  if (report.actions.length > 0) {
    out.push("Actions", ...table(["outcome", "workload", "item", "detail"], report.actions.map((a) => [a.outcome, a.workload, shortItem(a), detail(a)])).map((l) => `  ${l}`), "");
  }
  if (report.invalid.length > 0) {
    out.push("Invalid rows", ...report.invalid.map((r) => `  ${r.query}: ${r.id ?? "(no id)"}: ${r.reason}`), "");
  }
  const t = report.totals;
  out.push(`Total: ${t.rows} row(s) -> ${t.actions} item(s): ${COUNT_COLUMNS.map(([o, h]) => `${t[o]} ${h}`).join(", ")}; ${t.invalid} invalid row(s)`);
  return out.join("\n");
}
