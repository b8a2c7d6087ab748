import { describeCaps, describeScope } from "../report/index.ts";
import type { PreparedSweep } from "../sweep.ts";

const FIRST_ITEMS = 10;

/** What a sweep is about to do, before anything is written: scope, rules, counts per outcome, caps, the first items. */
export function renderPlan(prepared: PreparedSweep): string {
  const { plan } = prepared;
  const count = (d: string) => plan.actions.filter((a) => a.disposition === d).length;
  const triggers = plan.actions.filter((a) => a.disposition === "trigger");
  const rules = prepared.queries.map((q) => `${q.name} (${q.error === undefined ? `${q.rows} row(s)` : `failed: ${q.error.code}`})`).join(", ");
  const lines = [
    "Plan (nothing has been sent yet)",
    `  scope:    ${describeScope({ scope: prepared.scope, rules: prepared.options.overrides?.rules })}`,
    `  rules:    ${rules || "none"}`,
    `  caps:     ${describeCaps(prepared)}`,
    `  outcomes: ${triggers.length} to trigger, ${count("postponed")} postponed, ${count("exhausted")} exhausted, ${count("deferred")} deferred; ${plan.invalid.length} invalid row(s)`,
  ];
  if (triggers.length > 0) {
    lines.push("  first items to trigger:");
    for (const a of triggers.slice(0, FIRST_ITEMS)) lines.push(`    ${(a.workload ?? (a.ref.kind === "dataProtection" ? "Backup vault" : "Recovery Services")).padEnd(17)} ${a.ref.itemId}`);
    if (triggers.length > FIRST_ITEMS) lines.push(`    ... and ${triggers.length - FIRST_ITEMS} more`);
  }
  return lines.join("\n") + "\n";
}

/** Backups the plan would send. */
export function triggersOf(prepared: PreparedSweep): number {
  return prepared.plan.actions.filter((a) => a.disposition === "trigger").length;
}
