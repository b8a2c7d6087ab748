import { z } from "zod";
import { GUID } from "./ids.ts";

/** Backup types an on-demand SQL / SAP HANA backup accepts that a retry may ask for. */
const BACKUP_TYPES = ["Full", "Differential", "Log", "CopyOnlyFull", "Incremental"] as const;
export const BackupTypeSchema = z.enum(BACKUP_TYPES);
export type BackupType = z.infer<typeof BackupTypeSchema>;

/**
 * What a rule says of an item: trigger it; report it for a person (attempt budget spent); or wait,
 * because the item is at its daily on-demand allowance or inside the service's 24-hour quota window.
 */
const VerdictSchema = z.enum(["retry", "exhausted", "dailyAllowance", "serviceQuota"]);
export type Verdict = z.infer<typeof VerdictSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) =>
  z.preprocess((v) => (v === null || v === "" ? undefined : v), z.union([z.string().max(max), z.number()]).transform(String).optional());
const optionalBool = z.preprocess((v) => {
  if (v === null || v === "" || v === undefined) return undefined;
  if (typeof v === "string") return v.toLowerCase() === "true" ? true : v.toLowerCase() === "false" ? false : v;
  return v;
}, z.boolean().optional());

/**
 * The row contract of DESIGN.md: what a query's final `project` must produce.
 * Required: id, subscriptionId, itemId. Everything else is optional; extra columns are kept for the report.
 */
export const RowSchema = z
  .object({
    id: text(2048),
    subscriptionId: z.string().trim().regex(GUID, "must be a subscription GUID"),
    itemId: text(2048),
    failedAt: z.preprocess(
      (v) => (v === null || v === "" ? undefined : v),
      z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time").optional(),
    ),
    errorCode: optionalText(256),
    errorMessage: optionalText(4096),
    expiryDays: z.preprocess((v) => (v === null || v === "" ? undefined : typeof v === "string" ? Number(v) : v), z.number().int().min(1).max(36135).optional()),
    backupType: z.preprocess((v) => (v === null || v === "" ? undefined : v), BackupTypeSchema.optional()),
    ruleName: optionalText(256),
    retentionTag: optionalText(256),
    dataSourceType: optionalText(256),
    /** True when the item's attempt budget is spent: report it for a human, never trigger it. */
    exhausted: optionalBool,
    /** The rule's judgement; `exhausted: true` means "exhausted" too. Absent: "retry". */
    verdict: z.preprocess((v) => (v === null || v === "" ? undefined : v), VerdictSchema.optional()),
    /** When a postponed item may be tried again. */
    retryAfter: z.preprocess(
      (v) => (v === null || v === "" ? undefined : v),
      z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time").optional(),
    ),
    onDemandLast24h: z.preprocess((v) => (v === null || v === "" ? undefined : typeof v === "string" ? Number(v) : v), z.number().int().min(0).optional()),
    dailyAllowance: z.preprocess((v) => (v === null || v === "" ? undefined : typeof v === "string" ? Number(v) : v), z.number().int().min(0).optional()),
    attempts: z.preprocess((v) => (v === null || v === "" ? undefined : typeof v === "string" ? Number(v) : v), z.number().int().min(0).optional()),
  })
  .catchall(z.unknown());

export type Row = z.infer<typeof RowSchema>;

/** The contract columns, for documentation and the offline query check. */
export const ROW_CONTRACT = [
  { column: "id", required: true, types: ["string"], meaning: "the row's resource id (the failed job's id); ARG needs it to page" },
  { column: "subscriptionId", required: true, types: ["string", "guid"], meaning: "subscription of the vault" },
  { column: "itemId", required: true, types: ["string"], meaning: "protected item id (RS) or backup instance id (DP), full ARM id" },
  { column: "failedAt", required: false, types: ["datetime", "string"], meaning: "when the failed job started; oldest first when a cap defers work" },
  { column: "errorCode", required: false, types: ["string", "int", "long"], meaning: "the failed job's error code, for the report" },
  { column: "errorMessage", required: false, types: ["string"], meaning: "the failed job's error message, for the report" },
  { column: "expiryDays", required: false, types: ["int", "long", "real", "decimal"], meaning: "per-row expiry in days (Recovery Services)" },
  { column: "backupType", required: false, types: ["string"], meaning: "Full / Differential / Log / CopyOnlyFull (SQL, HANA)" },
  { column: "ruleName", required: false, types: ["string"], meaning: "backup policy rule to run (Backup vault)" },
  { column: "retentionTag", required: false, types: ["string"], meaning: "retention tag of the recovery point (Backup vault)" },
  { column: "dataSourceType", required: false, types: ["string"], meaning: "workload of the item, for the report" },
  { column: "exhausted", required: false, types: ["bool", "string"], meaning: "true: attempt budget spent; report, do not trigger" },
  { column: "verdict", required: false, types: ["string"], meaning: "retry, exhausted, dailyAllowance or serviceQuota (default retry)" },
  { column: "retryAfter", required: false, types: ["datetime", "string"], meaning: "when a postponed item may be tried again" },
  { column: "onDemandLast24h", required: false, types: ["int", "long"], meaning: "on-demand backup jobs of the item in the last 24 hours" },
  { column: "dailyAllowance", required: false, types: ["int", "long"], meaning: "on-demand backups the service allows the item per day" },
  { column: "attempts", required: false, types: ["int", "long"], meaning: "failed on-demand attempts since the last success" },
] as const;
