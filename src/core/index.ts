// The shared vocabulary at the bottom of the house: every step imports it, it imports none of them.
export { closest } from "./closest.ts";
export { codeOfStatus, tidyMessage, toArmError } from "./arm-error.ts";
export { messageOf, OperationFailedError, QueryFileError, RetryBackupsError, SettingsError } from "./errors.ts";
export { GUID, parseItemId, type DataProtectionInstanceRef, type ItemRef, type RecoveryServicesItemRef } from "./ids.ts";
export { MAX_RULES, RULE_NAME, RunOverridesSchema, type RunOverrides } from "./overrides.ts";
export {
  OUTCOMES,
  ReportSchema,
  type ActionReport,
  type ArmError,
  type Caps,
  type InvalidRow,
  type Outcome,
  type QueryReport,
  type Report,
  type ReportScope,
  type SourceRow,
  type SubscriptionReport,
  type Totals,
  type Trigger,
  type WaitReason,
} from "./report.ts";
export { ROW_CONTRACT, RowSchema, type BackupType, type Row, type Verdict } from "./row.ts";
export { identitySecrets, scrubber } from "./secrets.ts";
export { dataProtectionWorkload, isWorkloadName, RECOVERY_SERVICES_WORKLOADS, WORKLOADS, workloadOf, type Workload } from "./workloads.ts";
