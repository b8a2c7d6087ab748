import type { BackupPolicyResource, PolicyRule, TriggerBackupRequest } from "../azure/index.ts";
import { dataProtectionWorkload, RetryBackupsError, type DataProtectionInstanceRef, type Workload } from "../core/index.ts";
import type { PlannedAction } from "../plan/index.ts";
import { classifyError } from "./classify.ts";
import type { BackupContext, PathResult } from "./context.ts";
import { triggerAndFollow } from "./trigger.ts";

const POLICY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DataProtection\/backupVaults\/([^/]+)\/backupPolicies\/([^/]+)$/i;


/** Resolve rule and tag (row, else instance + policy), POST .../backupInstances/{bi}/backup, follow it to the job id. */
export async function triggerDataProtection(action: PlannedAction, ref: DataProtectionInstanceRef, ctx: BackupContext): Promise<PathResult> {
  const client = ctx.dataProtection(ref.subscriptionId);
  const learned: { workload: Workload } = { workload: action.workload ?? "Other" };
  let rule: ResolvedRule;
  try {
    rule = await resolveRule(action, ref, ctx, learned);
  } catch (error) {
    return { workload: learned.workload, ...classifyError(error, ctx.arm.retry, ctx.now()) };
  }
  const body: TriggerBackupRequest = {
    backupRuleOptions: { ruleName: rule.ruleName, triggerOption: { retentionTagOverride: rule.retentionTag } },
  };
  return triggerAndFollow(
    {
      itemId: ref.itemId,
      sent: { outcome: "triggered", workload: learned.workload, ruleName: rule.ruleName, retentionTag: rule.retentionTag },
      start: (seen) =>
        client.backupInstances.adhocBackup(ref.resourceGroup, ref.vaultName, ref.backupInstance, body, {
          onResponse: (raw) => seen({ status: raw.status, headers: raw.headers.toJSON(), body: raw.parsedBody, request: { method: raw.request.method, url: raw.request.url } }),
        }),
    },
    ctx,
  );
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
  const instance = await ctx.read(() => client.backupInstances.get(ref.resourceGroup, ref.vaultName, ref.backupInstance));
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
            .backupPolicies.get(match[2] ?? "", match[3] ?? "", match[4] ?? ""),
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
