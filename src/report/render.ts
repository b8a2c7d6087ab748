import { type ActionReport, type Outcome, type Report } from "../core/index.ts";
import { nextSteps } from "./next-steps.ts";

const COUNT_COLUMNS: [Outcome, string][] = [
  ["triggered", "triggered"], ["dryRun", "dry-run"], ["alreadyInProgress", "in-progress"], ["postponed", "postponed"], ["deferred", "deferred"], ["failed", "failed"], ["exhausted", "exhausted"], ["cancelled", "cancelled"],
];

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** The last column may hold several lines (a wrapped detail): they continue under it. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === r.length - 1 ? 0 : (r[i] ?? "").length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join("  ").trimEnd();
  const indent = " ".repeat(widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0));
  return [line(header), ...rows.flatMap((r) => {
    const [first = "", ...more] = (r[r.length - 1] ?? "").split("\n");
    return [line([...r.slice(0, -1), first]), ...more.map((m) => indent + m)];
  })];
}

/** Wraps at word boundaries; a word longer than the width stays whole. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === "" ? word : `${current} ${word}`;
  }
  if (current !== "") lines.push(current);
  return lines.join("\n");
}

function shortItem(action: ActionReport): string {
  const parts = action.itemId.split("/");
  const vault = action.vaultId.split("/").pop() ?? "";
  return `${vault}/${parts[parts.length - 1] ?? ""}`;
}

/** Details wrap at this width, under their column. */
const DETAIL_WIDTH = 72;

const COLORS: Partial<Record<Outcome, number>> = { triggered: 32, dryRun: 36, alreadyInProgress: 36, postponed: 33, deferred: 33, failed: 31, exhausted: 35, cancelled: 33 };

export interface RenderOptions {
  /** ANSI colours on the outcomes (a terminal without NO_COLOR). */
  color?: boolean;
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
export function renderReport(report: Report, options: RenderOptions = {}): string {
  const seconds = ((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000).toFixed(1);
  const out: string[] = [`Sweep ${report.runId} (${report.trigger}${report.dryRun ? ", dry run: nothing was written" : ""}) took ${seconds} s`, `  scope: ${describeScope(report)}; caps: ${describeCaps(report)}`, ""];
  out.push("Queries", ...table(["name", "rows", "pages", "error"], report.queries.map((q) => [q.name, String(q.rows), String(q.pages), q.error === undefined ? "" : `${q.error.code}: ${q.error.message}`])).map((l) => `  ${l}`), "");
  if (report.subscriptions.length > 0) {
    out.push("Subscriptions", ...table(["subscription", ...COUNT_COLUMNS.map(([, h]) => h)], report.subscriptions.map((s) => [s.subscriptionId, ...COUNT_COLUMNS.map(([o]) => String(s[o]))])).map((l) => `  ${l}`), "");
  }
  if (report.actions.length > 0) {
    const lines = table(["outcome", "workload", "item", "detail"], report.actions.map((a) => [a.outcome, a.workload, shortItem(a), wrap(detailText(a), DETAIL_WIDTH)]));
    const paint = (l: string) => {
      const outcome = /^\w+/.exec(l)?.[0] as Outcome | undefined;
      const code = outcome === undefined ? undefined : COLORS[outcome];
      return options.color !== true || code === undefined ? l : `\x1b[${code}m${outcome}\x1b[0m${l.slice(outcome?.length ?? 0)}`;
    };
    out.push("Actions", ...[lines[0] ?? "", ...lines.slice(1).map(paint)].map((l) => `  ${l}`), "");
  }
  if (report.invalid.length > 0) {
    out.push("Invalid rows", ...report.invalid.map((r) => `  ${r.query}: ${r.id ?? "(no id)"}: ${r.reason}`), "");
  }
  const t = report.totals;
  const steps = nextSteps(report);
  if (steps.length > 0) out.push("Next steps", ...steps.map((l) => `  - ${l}`), "");
  out.push(`Total: ${t.rows} row(s) -> ${t.actions} item(s): ${COUNT_COLUMNS.map(([o, h]) => `${t[o]} ${h}`).join(", ")}; ${t.invalid} invalid row(s)`);
  return out.join("\n");
}

export function describeScope(report: Pick<Report, "scope" | "rules">): string {
  const where = report.scope === "all visible" ? "all visible subscriptions (every one the identity can read)" : "subscriptions" in report.scope ? `subscription(s) ${report.scope.subscriptions.join(", ")}` : `management group(s) ${report.scope.managementGroups.join(", ")}`;
  return `${where}; rules: ${report.rules === undefined ? "every rule in the folder" : report.rules.join(", ")}`;
}

export function describeCaps(report: Pick<Report, "caps">): string {
  return `at most ${report.caps.maxBackups} backups this run, ${report.caps.maxPerSubscription} per subscription, ${report.caps.concurrency} writes at once`;
}
