import type { FullOperationResponse } from "@azure-rest/core-client";
import { retryAfterMs } from "../azure/retry.ts";
import { RetryBackupsError } from "../errors.ts";
import { dataProtectionWorkload, type DataProtectionInstanceRef, type Workload } from "../plan/ids.ts";
import type { PlannedAction } from "../plan/plan.ts";
import { classifyError, OperationFailedError, RunCancelledError } from "./classify.ts";
import type { BackupContext, PathResult } from "./context.ts";
import type { BackupPolicyResource, PolicyRule, TriggerBackupRequest } from "./dataProtectionClient.ts";
import { followOperation } from "./operation.ts";

const POLICY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DataProtection\/backupVaults\/([^/]+)\/backupPolicies\/([^/]+)$/i;

interface Initial {
  status: number;
  operation: boolean;
  retryAfterMs: number | undefined;
}

/** Resolve rule and tag (row, else instance + policy), POST .../backupInstances/{bi}/backup, poll to the job id. */
export async function triggerDataProtection(action: PlannedAction, ref: DataProtectionInstanceRef, ctx: BackupContext): Promise<PathResult> {
  const client = ctx.dataProtection(ref.subscriptionId);
  const signal = ctx.signal === undefined ? {} : { abortSignal: ctx.signal };
  const learned: { workload: Workload } = { workload: action.workload ?? "Other" };
  let rule: ResolvedRule;
  try {
    rule = await resolveRule(action, ref, ctx, learned);
  } catch (error) {
    if (ctx.signal?.aborted) return { outcome: "deferred", workload: learned.workload, reason: new RunCancelledError().message };
    return { workload: learned.workload, ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  const resolved: PathResult = {
    outcome: "triggered",
    workload: learned.workload,
    ruleName: rule.ruleName,
    ...(rule.retentionTag === undefined ? {} : { retentionTag: rule.retentionTag }),
  };
  if (ctx.dryRun) return { ...resolved, outcome: "dryRun" };
  const body: TriggerBackupRequest = {
    backupRuleOptions: { ruleName: rule.ruleName, triggerOption: rule.retentionTag === undefined ? {} : { retentionTagOverride: rule.retentionTag } },
  };

  let initial: Initial | undefined;
  let lastRetryAfterMs: number | undefined;
  const onResponse = (raw: FullOperationResponse) => {
    initial ??= {
      status: raw.status,
      operation: raw.headers.get("azure-asyncoperation") !== undefined || raw.headers.get("location") !== undefined,
      retryAfterMs: retryAfterMs(raw),
    };
    lastRetryAfterMs = retryAfterMs(raw);
  };
  let started;
  try {
    // Wrapped in an object: a poller is a thenable, and returning it bare would await the whole operation.
    started = await ctx.write(async () => {
      if (ctx.signal?.aborted) throw new RunCancelledError();
      const poller = client.backupInstances.adhocBackup(ref.resourceGroup, ref.vaultName, ref.backupInstance, body, { ...signal, onResponse });
      await poller.submitted();
      return { poller };
    });
  } catch (error) {
    if (error instanceof RunCancelledError) return { ...resolved, outcome: "deferred", reason: error.message };
    return { ...resolved, ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  const { poller } = started;
  ctx.logger.debug({ event: "backup.http", step: "trigger", itemId: ref.itemId, status: initial?.status, operation: initial?.operation });

  try {
    if (poller.isDone) {
      const jobId = poller.result?.jobId;
      if (jobId !== undefined) return { ...resolved, jobId };
      return {
        ...resolved,
        reason: initial?.operation === false && initial.status === 202
          ? "ARM accepted the backup (202) but sent neither Azure-AsyncOperation nor Location; find the job in the vault's backup jobs"
          : "ARM accepted the backup but named no job id; find the job in the vault's backup jobs",
      };
    }
    const followed = await followOperation({
      bounds: ctx.bounds,
      firstDelayMs: initial?.retryAfterMs,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      poll: () =>
        ctx.read(async () => {
          await poller.poll(signal);
          ctx.logger.debug({ event: "backup.http", step: "poll", itemId: ref.itemId, operationStatus: poller.operationState?.status });
          return poller.isDone ? { done: true as const, value: poller.result ?? {} } : { done: false as const, retryAfterMs: lastRetryAfterMs };
        }),
    });
    if (!followed.done) return { ...resolved, reason: followed.reason };
    const { jobId } = followed.value;
    return jobId === undefined ? { ...resolved, reason: "the operation succeeded but named no job id; find the job in the vault's backup jobs" } : { ...resolved, jobId };
  } catch (error) {
    const operationError = poller.operationState?.error;
    if (operationError instanceof OperationFailedError) return { ...resolved, ...classifyError(operationError, ctx.arm.retry, ctx.now()) };
    const classified = classifyError(error, ctx.arm.retry, ctx.now());
    return { ...resolved, reason: `the backup was accepted, but following its operation failed: ${classified.error.code}: ${classified.error.message}` };
  }
}

interface ResolvedRule {
  ruleName: string;
  retentionTag: string | undefined;
}

/**
 * Rule and tag from the row when it gives both; otherwise from the instance's policy: the named rule
 * (or the scheduled AzureBackupRule) and its default tagging criterion. Records the instance's workload.
 */
async function resolveRule(action: PlannedAction, ref: DataProtectionInstanceRef, ctx: BackupContext, learned: { workload: Workload }): Promise<ResolvedRule> {
  if (action.ruleName !== undefined && action.retentionTag !== undefined) return { ruleName: action.ruleName, retentionTag: action.retentionTag };
  const client = ctx.dataProtection(ref.subscriptionId);
  const instance = await ctx.read(() =>
    client.backupInstances.get(ref.resourceGroup, ref.vaultName, ref.backupInstance, ctx.signal === undefined ? {} : { abortSignal: ctx.signal }),
  );
  const fromInstance = dataProtectionWorkload(instance.properties.dataSourceInfo?.datasourceType);
  if (fromInstance !== "Other") learned.workload = fromInstance;
  const { policyId } = instance.properties.policyInfo;
  const policy = await policyOf(policyId, ctx);
  const rule = pickRule(policy, action.ruleName);
  const ruleName = action.ruleName ?? rule?.name;
  if (ruleName === undefined) {
    throw new RetryBackupsError(
      "NoBackupRule",
      `backup policy ${policy.name ?? policyId} has no AzureBackupRule with a schedule; fix the policy, or return ruleName and retentionTag columns from the query`,
    );
  }
  return { ruleName, retentionTag: action.retentionTag ?? (rule === undefined ? undefined : defaultTag(rule)) };
}

/** GET a policy once per run: concurrent instances of the same policy share the one request. */
function policyOf(policyId: string, ctx: BackupContext): Promise<BackupPolicyResource> {
  const key = policyId.toLowerCase();
  const cached = ctx.policies.get(key);
  if (cached !== undefined) return cached;
  const match = POLICY_ID.exec(policyId);
  const pending =
    match === null
      ? Promise.reject(new RetryBackupsError("InvalidPolicyId", `the backup instance names policy "${policyId}", which is not a Backup vault policy id`))
      : ctx.read(() =>
          ctx
            .dataProtection((match[1] ?? "").toLowerCase())
            .backupPolicies.get(match[2] ?? "", match[3] ?? "", match[4] ?? "", ctx.signal === undefined ? {} : { abortSignal: ctx.signal }),
        );
  ctx.policies.set(key, pending);
  return pending;
}

/** The named AzureBackupRule, or else the first one with a schedule (the rule on-demand backups run). */
function pickRule(policy: BackupPolicyResource, named: string | undefined): PolicyRule | undefined {
  const rules = policy.properties.policyRules.filter((r) => r.objectType === "AzureBackupRule");
  if (named !== undefined) return rules.find((r) => r.name.toLowerCase() === named.toLowerCase());
  return rules.find((r) => r.trigger?.objectType === "ScheduleBasedTriggerContext");
}

function defaultTag(rule: PolicyRule): string | undefined {
  return rule.trigger?.taggingCriteria?.find((c) => c.isDefault === true)?.tagInfo?.tagName;
}
