import { type ActionReport, type Outcome, type Report } from "../core/index.ts";

const COUNT_COLUMNS: [Outcome, string][] = [
  ["triggered", "triggered"], ["dryRun", "dry-run"], ["alreadyInProgress", "in-progress"], ["postponed", "postponed"], ["deferred", "deferred"], ["failed", "failed"], ["exhausted", "exhausted"], ["cancelled", "cancelled"],
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
