import { z } from "zod";
import { VaultKindSchema } from "./ids.ts";
import { BackupTypeSchema } from "./row.ts";
import { WorkloadSchema } from "./workloads.ts";

/** The report of a run: one object, every row accounted for (DESIGN.md's accounting rule). */

const OutcomeSchema = z.enum(["triggered", "dryRun", "alreadyInProgress", "postponed", "deferred", "failed", "exhausted", "cancelled"]);
export type Outcome = z.infer<typeof OutcomeSchema>;
export const OUTCOMES = OutcomeSchema.options;

const TriggerSchema = z.enum(["timer", "http", "cli"]);
export type Trigger = z.infer<typeof TriggerSchema>;

/**
 * Why a `postponed` item was not triggered this run. None is a failure, and each clears by itself:
 * a later run tries the item again (at `retryAfter` when it is known).
 */
const WaitReasonSchema = z.enum([
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

const ArmErrorSchema = z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() });
export type ArmError = z.infer<typeof ArmErrorSchema>;

const SourceRowSchema = z.object({
  query: z.string(),
  id: z.string(),
  /** Columns beyond the row contract, carried as the query returned them. */
  columns: z.record(z.string(), z.unknown()).optional(),
});
export type SourceRow = z.infer<typeof SourceRowSchema>;

const ActionReportSchema = z.object({
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

const QueryReportSchema = z.object({
  name: z.string(),
  rows: z.number().int(),
  pages: z.number().int(),
  error: ArmErrorSchema.optional(),
});
export type QueryReport = z.infer<typeof QueryReportSchema>;

const counts = Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int()])) as Record<Outcome, z.ZodNumber>;

const TotalsSchema = z.object({ rows: z.number().int(), actions: z.number().int(), invalid: z.number().int(), ...counts });
export type Totals = z.infer<typeof TotalsSchema>;

const SubscriptionReportSchema = z.object({ subscriptionId: z.string(), ...counts });
export type SubscriptionReport = z.infer<typeof SubscriptionReportSchema>;

const InvalidRowSchema = z.object({ query: z.string(), id: z.string().optional(), reason: z.string() });
export type InvalidRow = z.infer<typeof InvalidRowSchema>;

/** What a run ran under: its scope, its rules and its caps, so a report says how far it could reach. */
const CapsSchema = z.object({ maxBackups: z.number().int(), maxPerSubscription: z.number().int(), concurrency: z.number().int() });

export const ReportSchema = z.object({
  runId: z.string(),
  /** The subscription ids, the management groups, or "all visible" (every subscription the identity can read). */
  scope: z.union([z.object({ subscriptions: z.array(z.string()) }), z.object({ managementGroups: z.array(z.string()) }), z.literal("all visible")]),
  /** The rules the run was asked for; undefined: every rule in the folder. */
  rules: z.array(z.string()).optional(),
  caps: CapsSchema,
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
export type ReportScope = Report["scope"];
export type Caps = z.infer<typeof CapsSchema>;

