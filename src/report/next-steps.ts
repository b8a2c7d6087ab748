import type { ActionReport, Report } from "../core/index.ts";

/** Below the table: one line per kind of problem, with what to do about it. */
export function nextSteps(report: Report): string[] {
  const steps: string[] = [];
  const by = (pick: (a: ActionReport) => boolean) => report.actions.filter(pick);
  const subs = (actions: ActionReport[]) => [...new Set(actions.map((a) => a.subscriptionId))].join(", ");

  const refused = by((a) => a.outcome === "failed" && (a.error?.code === "AuthorizationFailed" || a.error?.status === 403));
  if (refused.length > 0) {
    steps.push(`AuthorizationFailed (${refused.length} item(s)): grant the identity the Backup Operator role (or the app's custom role) on subscription(s) ${subs(refused)}: az role assignment create --assignee <principal> --role "Backup Operator" --scope /subscriptions/<id>`);
  }
  const failedCodes = new Map<string, number>();
  for (const a of by((x) => x.outcome === "failed" && !refused.includes(x))) failedCodes.set(a.error?.code ?? "unknown", (failedCodes.get(a.error?.code ?? "unknown") ?? 0) + 1);
  for (const [code, n] of failedCodes) steps.push(`${code} (${n} item(s)): read the detail above; the next run tries them again`);
  const exhausted = by((a) => a.outcome === "exhausted");
  if (exhausted.length > 0) {
    steps.push(`exhausted (${exhausted.length} item(s)): retries do not fix these; open the item's failed jobs in the vault and fix the cause, or raise attemptBudget in the rule file (${[...new Set(exhausted.flatMap((a) => a.rules))].map((r) => `${r}.kql`).join(", ")})`);
  }
  const daily = by((a) => a.waitReason === "dailyAllowance");
  if (daily.length > 0) steps.push(`daily allowance (${daily.length} item(s)): nothing to do; a later run tries them once their on-demand backups of the last 24 hours drop below the allowance`);
  const quota = by((a) => a.waitReason === "serviceQuota");
  if (quota.length > 0) steps.push(`service quota (${quota.length} item(s)): the service refuses more backups for 24 hours after the failure; a later run tries them at "retry after"`);
  const busy = by((a) => a.waitReason === "protectionOperation" || a.waitReason === "concurrencyLimit");
  if (busy.length > 0) steps.push(`busy vault or item (${busy.length} item(s)): another operation runs there; the next run tries again`);
  const deferred = by((a) => a.outcome === "deferred");
  if (deferred.length > 0) {
    steps.push(`deferred (${deferred.length} item(s)): over the caps (${report.caps.maxBackups} per run, ${report.caps.maxPerSubscription} per subscription); the next run takes them, or raise --max-retries / RETRY_MAX_PER_RUN / RETRY_MAX_PER_SUBSCRIPTION`);
  }
  const cancelled = by((a) => a.outcome === "cancelled");
  if (cancelled.length > 0) steps.push(`cancelled (${cancelled.length} item(s)): not sent because the run was stopped; the next run picks them up`);
  for (const q of report.queries.filter((x) => x.error !== undefined)) steps.push(`query ${q.name} failed (${q.error?.code ?? ""}): none of its items were acted on; check-queries and show-query ${q.name} help find why`);
  return steps;
}
