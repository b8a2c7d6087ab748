import { parseItemId, RECOVERY_SERVICES_WORKLOADS, RowSchema, workloadOf, type InvalidRow, type ItemRef, type Row, type SourceRow, type Verdict, type WaitReason, type Workload } from "../core/index.ts";

/** What one rule's query returned. */
interface RuleRows {
  rule: string;
  data: readonly unknown[];
}

export interface PlannedAction {
  ref: ItemRef;
  /** Undefined for a Backup vault instance until its datasource is known. */
  workload: Workload | undefined;
  sourceRows: SourceRow[];
  failedAt?: string;
  lastError?: { code?: string; message?: string };
  attempts?: number;
  expiryDays?: number;
  backupType?: Row["backupType"];
  ruleName?: string;
  retentionTag?: string;
  /** Every rule that returned the item, in the order they ran. */
  rules: string[];
  onDemandLast24h?: number;
  dailyAllowance?: number;
  retryAfter?: string;
  /** "trigger": send the on-demand backup; "exhausted": budget spent, report only; "postponed": wait (waitReason); "deferred": over a cap. */
  disposition: "trigger" | "exhausted" | "postponed" | "deferred";
  waitReason?: WaitReason;
  reason?: string;
}

interface PlanOptions {
  maxPerRun: number;
  maxPerSubscription: number;
  /** When set, rows of other subscriptions are reported invalid instead of acted on. */
  subscriptions?: readonly string[];
}

export interface Plan {
  /** Grouped by subscription (subscriptions in id order), oldest failure first within each. */
  actions: PlannedAction[];
  invalid: InvalidRow[];
}

const CONTRACT_KEYS = new Set(Object.keys(RowSchema.shape));

export function planActions(results: readonly RuleRows[], options: PlanOptions): Plan {
  const invalid: InvalidRow[] = [];
  const byItem = new Map<string, Entry>();
  const allowed = options.subscriptions === undefined || options.subscriptions.length === 0 ? undefined : new Set(options.subscriptions.map((s) => s.toLowerCase()));

  for (const { rule: query, data } of results) {
    for (const raw of data) {
      const checked = validateRow(raw, allowed);
      if (!checked.ok) {
        invalid.push({ query, id: checked.id, reason: checked.reason });
        continue;
      }
      const { row, ref } = checked;
      const source: SourceRow = { query, id: row.id, columns: extraColumns(row) };
      const key = ref.itemId.toLowerCase();
      const existing = byItem.get(key);
      if (existing === undefined) {
        byItem.set(key, { action: newAction(ref, row, source, query), latest: row, verdict: verdictOf(row), judgedBy: row });
      } else {
        existing.action.sourceRows.push(source);
        if (!existing.action.rules.includes(query)) existing.action.rules.push(query);
        mergeRow(existing, row);
      }
    }
  }

  const merged = [...byItem.values()].map(judge);
  applyCaps(merged, options);
  return { actions: groupBySubscription(merged), invalid };
}

interface Entry {
  action: PlannedAction;
  /** The row of the most recent failure: the item's current state. */
  latest: Row;
  /** The safest verdict any row gave, and the row that gave it. */
  verdict: Verdict;
  judgedBy: Row;
}

/** Safest first: when rules disagree about an item, the one that sends nothing wins. */
const SAFETY: Record<Verdict, number> = { exhausted: 3, serviceQuota: 2, dailyAllowance: 1, retry: 0 };

/** The row's own verdict; a "retry" at or over its daily allowance is a "dailyAllowance" whatever the rule says. */
function verdictOf(row: Row): Verdict {
  const said = row.verdict ?? (row.exhausted === true ? "exhausted" : "retry");
  if (said === "retry" && row.dailyAllowance !== undefined && row.onDemandLast24h !== undefined && row.onDemandLast24h >= row.dailyAllowance) return "dailyAllowance";
  return said;
}

function judge(entry: Entry): PlannedAction {
  const { action, verdict, judgedBy } = entry;
  const many = action.rules.length > 1 ? ` (${action.rules.join(", ")} disagree; the safest verdict wins)` : "";
  if (judgedBy.retryAfter !== undefined) action.retryAfter = new Date(judgedBy.retryAfter).toISOString();
  if (judgedBy.onDemandLast24h !== undefined) action.onDemandLast24h = judgedBy.onDemandLast24h;
  if (judgedBy.dailyAllowance !== undefined) action.dailyAllowance = judgedBy.dailyAllowance;
  switch (verdict) {
    case "exhausted":
      action.disposition = "exhausted";
      action.reason = `attempt budget exhausted${action.attempts === undefined ? "" : ` after ${action.attempts} failed on-demand attempt(s)`}: a person should look at the item${many}`;
      break;
    case "dailyAllowance":
      action.disposition = "postponed";
      action.waitReason = "dailyAllowance";
      action.reason = `${judgedBy.onDemandLast24h ?? "its"} on-demand backup(s) in the last 24 hours reach the daily allowance${judgedBy.dailyAllowance === undefined ? "" : ` of ${judgedBy.dailyAllowance}`}; tried again when one is older than 24 hours${many}`;
      break;
    case "serviceQuota":
      action.disposition = "postponed";
      action.waitReason = "serviceQuota";
      action.reason = `the last backup hit the service's 24-hour operation quota (${entry.judgedBy.errorCode ?? "CloudDos"}); tried again 24 hours after that failure, with no attempt spent${many}`;
      break;
    case "retry":
      action.disposition = "trigger";
  }
  return action;
}

type Checked = { ok: true; row: Row; ref: ItemRef } | { ok: false; id?: string; reason: string };

function validateRow(raw: unknown, allowed: Set<string> | undefined): Checked {
  const id = typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "string" ? ((raw as { id: string }).id.slice(0, 2048)) : undefined;
  const withId = (reason: string): Checked => (id === undefined ? { ok: false, reason } : { ok: false, id, reason });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return withId("row is not an object with columns");
  const parsed = RowSchema.safeParse(raw);
  if (!parsed.success) {
    return withId(parsed.error.issues.map((i) => `${i.path.join(".") || "row"}: ${i.message}`).join("; "));
  }
  const row = parsed.data;
  const ref = parseItemId(row.itemId);
  if (!ref.ok) return withId(ref.reason);
  if (ref.ref.subscriptionId !== row.subscriptionId.toLowerCase()) {
    return withId(`subscriptionId ${row.subscriptionId} does not match the subscription in itemId (${ref.ref.subscriptionId})`);
  }
  if (allowed !== undefined && !allowed.has(ref.ref.subscriptionId)) {
    return withId(`subscription ${ref.ref.subscriptionId} is outside the subscriptions asked for in this run`);
  }
  if (ref.ref.kind === "recoveryServices" && workloadOf(ref.ref, row.dataSourceType) === undefined) {
    return withId(`cannot tell the workload of ${ref.ref.item} in ${ref.ref.container}: not one of ${RECOVERY_SERVICES_WORKLOADS.join(", ")}; add a dataSourceType column naming one`);
  }
  return { ok: true, row, ref: ref.ref };
}

/** The columns a rule adds beyond the contract, kept with the row in the report; undefined when there are none. */
function extraColumns(row: Row): Record<string, unknown> | undefined {
  const extra = Object.entries(row).filter(([k]) => !CONTRACT_KEYS.has(k));
  return extra.length === 0 ? undefined : Object.fromEntries(extra);
}

function newAction(ref: ItemRef, row: Row, source: SourceRow, query: string): PlannedAction {
  const action: PlannedAction = { ref, workload: workloadOf(ref, row.dataSourceType), sourceRows: [source], rules: [query], disposition: "trigger" };
  applyLatest(action, row);
  if (row.failedAt !== undefined) action.failedAt = new Date(row.failedAt).toISOString();
  if (row.expiryDays !== undefined) action.expiryDays = row.expiryDays;
  return action;
}

/** Fields that describe the item's current state come from its most recent failed job. */
function applyLatest(action: PlannedAction, row: Row): void {
  if (row.errorCode !== undefined || row.errorMessage !== undefined) {
    action.lastError = { code: row.errorCode, message: row.errorMessage };
  }
  if (row.attempts !== undefined) action.attempts = row.attempts;
  if (row.backupType !== undefined) action.backupType = row.backupType;
  if (row.ruleName !== undefined) action.ruleName = row.ruleName;
  if (row.retentionTag !== undefined) action.retentionTag = row.retentionTag;
}

function mergeRow(entry: Entry, row: Row): void {
  const { action } = entry;
  const verdict = verdictOf(row);
  // The smaller daily allowance is the safer one: with equal verdicts, keep the row that allows fewer.
  if (SAFETY[verdict] > SAFETY[entry.verdict] || (verdict === entry.verdict && (row.dailyAllowance ?? Infinity) < (entry.judgedBy.dailyAllowance ?? Infinity))) {
    entry.verdict = verdict;
    entry.judgedBy = row;
  }
  if (row.expiryDays !== undefined) action.expiryDays = Math.max(action.expiryDays ?? 0, row.expiryDays);
  if (row.failedAt !== undefined) {
    const at = new Date(row.failedAt).toISOString();
    if (action.failedAt === undefined || at < action.failedAt) action.failedAt = at;
  }
  if (action.workload === undefined) action.workload = workloadOf(action.ref, row.dataSourceType);
  const latestAt = entry.latest.failedAt === undefined ? -Infinity : Date.parse(entry.latest.failedAt);
  const rowAt = row.failedAt === undefined ? -Infinity : Date.parse(row.failedAt);
  if (rowAt > latestAt) {
    entry.latest = row;
    applyLatest(action, row);
  }
}

/** Oldest failure first; a row without failedAt goes last. Ties break on the id so runs are repeatable. */
function byAge(a: PlannedAction, b: PlannedAction): number {
  if (a.failedAt !== b.failedAt) {
    if (a.failedAt === undefined) return 1;
    if (b.failedAt === undefined) return -1;
    return a.failedAt < b.failedAt ? -1 : 1;
  }
  return a.ref.itemId.toLowerCase().localeCompare(b.ref.itemId.toLowerCase());
}

function applyCaps(actions: PlannedAction[], options: PlanOptions): void {
  const perSubscription = new Map<string, number>();
  let taken = 0;
  for (const action of actions.filter((a) => a.disposition === "trigger").sort(byAge)) {
    const used = perSubscription.get(action.ref.subscriptionId) ?? 0;
    if (used >= options.maxPerSubscription) {
      action.disposition = "deferred";
      action.reason = `over the per-subscription cap of ${options.maxPerSubscription} (RETRY_MAX_PER_SUBSCRIPTION); older failures went first`;
    } else if (taken >= options.maxPerRun) {
      action.disposition = "deferred";
      action.reason = `over the per-run cap of ${options.maxPerRun} (RETRY_MAX_PER_RUN or maxBackups); older failures went first`;
    } else {
      perSubscription.set(action.ref.subscriptionId, used + 1);
      taken += 1;
    }
  }
}

function groupBySubscription(actions: PlannedAction[]): PlannedAction[] {
  return [...actions].sort((a, b) => a.ref.subscriptionId.localeCompare(b.ref.subscriptionId) || byAge(a, b));
}
