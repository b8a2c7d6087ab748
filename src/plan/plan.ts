import { RowSchema, type Row } from "./row.ts";
import { parseItemId, workloadOf, type ItemRef, type Workload } from "./ids.ts";
import type { InvalidRow, SourceRow } from "../report.ts";

export interface QueryRows {
  query: string;
  rows: readonly unknown[];
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
  /** "retry": trigger it; "exhausted": budget spent, report only; "deferred": over a cap. */
  disposition: "retry" | "exhausted" | "deferred";
  reason?: string;
}

export interface PlanOptions {
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

export function planActions(results: readonly QueryRows[], options: PlanOptions): Plan {
  const invalid: InvalidRow[] = [];
  const byItem = new Map<string, { action: PlannedAction; latest: Row; exhaustedOnly: boolean }>();
  const allowed = options.subscriptions === undefined || options.subscriptions.length === 0 ? undefined : new Set(options.subscriptions.map((s) => s.toLowerCase()));

  for (const { query, rows } of results) {
    for (const raw of rows) {
      const checked = validateRow(raw, allowed);
      if (!checked.ok) {
        invalid.push({ query, ...(checked.id === undefined ? {} : { id: checked.id }), reason: checked.reason });
        continue;
      }
      const { row, ref } = checked;
      const source: SourceRow = { query, id: row.id, ...extraColumns(row) };
      const key = ref.itemId.toLowerCase();
      const existing = byItem.get(key);
      if (existing === undefined) {
        byItem.set(key, { action: newAction(ref, row, source), latest: row, exhaustedOnly: row.exhausted === true });
      } else {
        existing.action.sourceRows.push(source);
        mergeRow(existing, row);
      }
    }
  }

  const merged = [...byItem.values()].map((entry) => {
    entry.action.disposition = entry.exhaustedOnly ? "exhausted" : "retry";
    if (entry.exhaustedOnly) entry.action.reason = "attempt budget exhausted: the query marked every row of this item exhausted";
    return entry.action;
  });
  applyCaps(merged, options);
  return { actions: groupBySubscription(merged), invalid };
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
    return withId(`cannot tell the workload of ${ref.ref.item} in ${ref.ref.container}: not an Azure VM, SQL, SAP HANA or Azure Files item; add a dataSourceType column`);
  }
  return { ok: true, row, ref: ref.ref };
}

function extraColumns(row: Row): { columns?: Record<string, unknown> } {
  const extra = Object.entries(row).filter(([k]) => !CONTRACT_KEYS.has(k));
  return extra.length === 0 ? {} : { columns: Object.fromEntries(extra) };
}

function newAction(ref: ItemRef, row: Row, source: SourceRow): PlannedAction {
  const action: PlannedAction = { ref, workload: workloadOf(ref, row.dataSourceType), sourceRows: [source], disposition: "retry" };
  applyLatest(action, row);
  if (row.failedAt !== undefined) action.failedAt = new Date(row.failedAt).toISOString();
  if (row.expiryDays !== undefined) action.expiryDays = row.expiryDays;
  return action;
}

/** Fields that describe the item's current state come from its most recent failed job. */
function applyLatest(action: PlannedAction, row: Row): void {
  if (row.errorCode !== undefined || row.errorMessage !== undefined) {
    action.lastError = { ...(row.errorCode === undefined ? {} : { code: row.errorCode }), ...(row.errorMessage === undefined ? {} : { message: row.errorMessage }) };
  }
  if (row.attempts !== undefined) action.attempts = row.attempts;
  if (row.backupType !== undefined) action.backupType = row.backupType;
  if (row.ruleName !== undefined) action.ruleName = row.ruleName;
  if (row.retentionTag !== undefined) action.retentionTag = row.retentionTag;
}

function mergeRow(entry: { action: PlannedAction; latest: Row; exhaustedOnly: boolean }, row: Row): void {
  const { action } = entry;
  if (row.exhausted !== true) entry.exhaustedOnly = false;
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
  for (const action of actions.filter((a) => a.disposition === "retry").sort(byAge)) {
    const used = perSubscription.get(action.ref.subscriptionId) ?? 0;
    if (used >= options.maxPerSubscription) {
      action.disposition = "deferred";
      action.reason = `over the per-subscription cap of ${options.maxPerSubscription} (RETRY_MAX_PER_SUBSCRIPTION); older failures went first`;
    } else if (taken >= options.maxPerRun) {
      action.disposition = "deferred";
      action.reason = `over the per-run cap of ${options.maxPerRun} (RETRY_MAX_PER_RUN or maxRetries); older failures went first`;
    } else {
      perSubscription.set(action.ref.subscriptionId, used + 1);
      taken += 1;
    }
  }
}

function groupBySubscription(actions: PlannedAction[]): PlannedAction[] {
  return [...actions].sort((a, b) => a.ref.subscriptionId.localeCompare(b.ref.subscriptionId) || byAge(a, b));
}
