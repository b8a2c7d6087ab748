// Figures per run, the lower bound, the issue's targets, and the markdown tables that show them.
import type { RecordedRequest } from "../emulator/index.ts";
import type { EstateSpec } from "./estate.ts";
import type { WireStats } from "./requests.ts";
import type { BaselineRunResult, SweepResult } from "./result.ts";

export interface Limits {
  latencyMs: number;
  burst: number;
  refillPerSecond: number;
}

/** When the run's requests happened, relative to its first request (ms). */
export interface Phases {
  argEndMs: number;
  firstWriteMs: number;
  lastWriteMs: number;
  lastRequestMs: number;
}

export interface OursRun {
  /** Column title: what ran (bundle or sources), at which concurrency and time scale. */
  label: string;
  /** Time scale k: the emulator and the product's bounds ran k times faster; times here are already × k. */
  scale: number;
  concurrency: number;
  result: SweepResult;
  wire: WireStats;
  phases: Phases;
  /** Time the emulator spent evaluating the rules' KQL, summed over the Resource Graph requests: not the sweep's. */
  evaluationMs: number;
  logLines: number;
  firstLogLines: string[];
}

export interface BaselineRun {
  result: BaselineRunResult;
  wire: WireStats;
  /** Whole-estate time: measured when every item was processed, else ARG time + per-item time × items. */
  estimatedMs: number;
  extrapolated: boolean;
}

export interface EstateRun {
  spec: EstateSpec;
  items: { recoveryServices: number; dataProtection: number };
  itemsPerSubscription: number[];
  ours: OursRun[];
  baseline?: BaselineRun;
}

const TARGETS = {
  speedUp: 30,
  lowerBoundRatio: 1.3,
  readsPerItem: 3,
  share429: 0.01,
  rssMb: 200,
  /** The speed targets are stated for 10,000 items over 100 subscriptions. */
  speedTargetItems: 10_000,
};

/** Phases × the time scale, in the units of the services' own pace. */
export function phasesOf(requests: readonly RecordedRequest[], scale: number): Phases {
  const start = requests.reduce((min, r) => Math.min(min, r.at), Infinity);
  let argEnd = start;
  let firstWrite = Infinity;
  let lastWrite = start;
  let last = start;
  for (const r of requests) {
    if (r.kind === "arg") argEnd = Math.max(argEnd, r.at);
    if (r.kind === "rs.trigger" || r.kind === "dp.trigger") {
      firstWrite = Math.min(firstWrite, r.at);
      lastWrite = Math.max(lastWrite, r.at);
    }
    last = Math.max(last, r.at);
  }
  return { argEndMs: (argEnd - start) * scale, firstWriteMs: ((Number.isFinite(firstWrite) ? firstWrite : start) - start) * scale, lastWriteMs: (lastWrite - start) * scale, lastRequestMs: (last - start) * scale };
}

/**
 * The lower bound (README "Lower bound"): every item needs one write that takes at least the latency, with at
 * most `concurrency` writes in flight; and a subscription's writes beyond the bucket's burst come no faster
 * than its refill rate.
 */
function lowerBoundMs(run: EstateRun, concurrency: number, limits: Limits): number {
  const latencyTerm = (limits.latencyMs * run.spec.items) / concurrency;
  const bucketTerm = Math.max(0, ...run.itemsPerSubscription.map((n) => Math.max(0, n - limits.burst))) / limits.refillPerSecond * 1000;
  return Math.max(latencyTerm, bucketTerm);
}

export const int = (n: number) => Math.round(n).toLocaleString("en-US");
export const seconds = (ms: number, digits = 1) => (ms >= 100_000 ? `${int(ms / 1000)} s` : `${(ms / 1000).toFixed(digits)} s`);
const ratio = (n: number) => (n >= 100 ? `${int(n)}×` : `${n.toFixed(n >= 10 ? 1 : 2)}×`);
export const mark = (ok: boolean) => (ok ? "✓" : "✗");
const perItem = (n: number, items: number) => (items === 0 ? "–" : (n / items).toFixed(2));

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

export function table(header: string[], rows: string[][]): string[] {
  return [row(header), row(header.map(() => "---")), ...rows.map(row)];
}

export function estateTitle(spec: EstateSpec): string {
  return `${int(spec.items)} items over ${int(spec.subscriptions)} subscription${spec.subscriptions === 1 ? "" : "s"}`;
}

/** Per item the service accepted: writes (1 unless triggered twice) + reads to learn the job id. */
export function kindCell(run: OursRun, kind: "recoveryServices" | "dataProtection"): string {
  const k = run.wire.byKind[kind];
  if (k.triggeredItems === 0) return "–";
  const ok = k.acceptedWrites === k.triggeredItems && k.reads / k.triggeredItems <= TARGETS.readsPerItem;
  return `${perItem(k.acceptedWrites, k.triggeredItems)} + ${perItem(k.reads, k.triggeredItems)} ${mark(ok)}`;
}

function baselineKindCell(baseline: BaselineRun, kind: "recoveryServices" | "dataProtection"): string {
  const k = baseline.wire.byKind[kind];
  return k.triggeredItems === 0 ? "–" : `${perItem(k.acceptedWrites, k.triggeredItems)} + ${perItem(k.reads, k.triggeredItems)}`;
}

/** Items the service never accepted a trigger for (the report's own outcome for them), and rows the report does not account for. */
function lostCell(o: OursRun): string {
  const ok = o.wire.lost === 0 && o.wire.duplicates === 0 && o.result.unaccountedRows === 0;
  const twice = o.wire.duplicates > 0 ? `, ${int(o.wire.duplicates)} triggered twice` : "";
  const reported = o.wire.lost > 0 ? ` (report: ${int(o.result.totals.failed ?? 0)} failed)` : "";
  return `${int(o.wire.lost)} not triggered${reported}${twice}, ${int(o.result.unaccountedRows)} rows unaccounted ${mark(ok)}`;
}

/** One table per estate: a row per figure, the target, then our sweep per concurrency and the runbook. */
export function estateTable(run: EstateRun, limits: Limits): string[] {
  const speedApplies = run.spec.items >= TARGETS.speedTargetItems;
  const speedTarget = (text: string) => (speedApplies ? text : `(${text} at 10k)`);
  const base = run.baseline;
  const header = ["figure", "target", ...run.ours.map((o) => o.label), "runbook (sequential)"];
  const cells = (f: (o: OursRun) => string, b: string) => [...run.ours.map(f), b];
  const speedUp = (o: OursRun) => (base === undefined ? undefined : base.estimatedMs / o.result.wallMs);
  const lb = (o: OursRun) => lowerBoundMs(run, o.concurrency, limits);
  const triggered = (o: OursRun) => o.result.totals.triggered ?? 0;
  const rows: string[][] = [
    ["wall time", "", ...cells((o) => seconds(o.result.wallMs), base === undefined ? "not run" : `${seconds(base.estimatedMs)}${base.extrapolated ? ` (extrapolated from ${int(base.result.processed)} items)` : ""}`)],
    ["items triggered / s", "", ...cells((o) => (triggered(o) / (o.result.wallMs / 1000)).toFixed(1), base === undefined ? "" : (run.spec.items / (base.estimatedMs / 1000)).toFixed(1))],
    ["× faster than the runbook", speedTarget(`≥ ${TARGETS.speedUp}×`), ...cells((o) => {
      const s = speedUp(o);
      return s === undefined ? "–" : `${ratio(s)}${speedApplies ? ` ${mark(s >= TARGETS.speedUp)}` : ""}`;
    }, "1×")],
    ["lower bound", "", ...cells((o) => seconds(lb(o)), "")],
    ["× lower bound", speedTarget(`≤ ${TARGETS.lowerBoundRatio}×`), ...cells((o) => {
      const r = o.result.wallMs / lb(o);
      const gaveUp = o.wire.lost > 0 ? ` (${int(o.wire.lost)} items given up)` : "";
      return `${ratio(r)}${speedApplies ? ` ${mark(r <= TARGETS.lowerBoundRatio && o.wire.lost === 0)}` : ""}${gaveUp}`;
    }, "")],
    ["phases: ARG done / last write / last request", "", ...cells((o) => `${seconds(o.phases.argEndMs)} / ${seconds(o.phases.lastWriteMs)} / ${seconds(o.phases.lastRequestMs)}`, "")],
    ["of which the emulator evaluating the rules' KQL", "", ...cells((o) => seconds(o.evaluationMs), "")],
    [`RS requests / triggered item (writes + reads), ${int(run.items.recoveryServices)} items`, `1 + ≤ ${TARGETS.readsPerItem}`, ...cells((o) => kindCell(o, "recoveryServices"), base === undefined ? "" : baselineKindCell(base, "recoveryServices"))],
    [`DP requests / triggered item (writes + reads), ${int(run.items.dataProtection)} items`, `1 + ≤ ${TARGETS.readsPerItem}`, ...cells((o) => kindCell(o, "dataProtection"), base === undefined ? "" : baselineKindCell(base, "dataProtection"))],
    ["429s received / writes sent", `≤ ${TARGETS.share429 * 100} %`, ...cells((o) => {
      const share = o.wire.writes === 0 ? 0 : o.wire.writes429 / o.wire.writes;
      return `${int(o.wire.writes429)} / ${int(o.wire.writes)} (${(share * 100).toFixed(1)} %) ${mark(share <= TARGETS.share429)}`;
    }, base === undefined ? "" : `${int(base.wire.writes429)} / ${int(base.wire.writes)}`)],
    ["ARG requests (429s)", "", ...cells((o) => `${int(o.wire.arg)} (${int(o.wire.arg429)})`, base === undefined ? "" : `${int(base.wire.arg)} (${int(base.wire.arg429)})`)],
    ["lost items", "0", ...cells(lostCell, base === undefined ? "" : `${int(base.result.failed)} failed of ${int(base.result.processed)} sampled`)],
    ["job id learnt", "", ...cells((o) => `${int(o.result.withJobId)} of ${int(run.spec.items)}`, "not followed")],
    ["peak RSS of the process", `< ${TARGETS.rssMb} MB`, ...cells((o) => `${int(o.result.maxRssMb)} MB ${mark(o.result.maxRssMb < TARGETS.rssMb)}`, base === undefined ? "" : `${int(base.result.maxRssMb)} MB`)],
    ["before the sweep: RSS / heap; after it: heap held (full GC, report kept)", "", ...cells((o) => `${int(o.result.startRssMb)} / ${int(o.result.startHeapMb)} MB; ${int(o.result.retainedHeapMb)} MB`, "")],
  ];
  return table(header, rows);
}

/** Anything the runs reported besides clean triggers, so a miss comes with its cause. */
export function estateNotes(run: EstateRun): string[] {
  const notes: string[] = [];
  for (const o of run.ours) {
    for (const [problem, count] of Object.entries(o.result.problems)) notes.push(`- ${o.label}: ${int(count)} × ${problem}`);
    const reported = Object.values(o.result.problems).reduce((sum, n) => sum + n, 0);
    if (o.logLines > reported) notes.push(`- ${o.label}: ${int(o.logLines)} log line(s) at warn or above, e.g. \`${(o.firstLogLines[0] ?? "").slice(0, 200)}\``);
  }
  if (run.baseline !== undefined) {
    for (const [error, count] of Object.entries(run.baseline.result.errors)) notes.push(`- runbook: ${int(count)} × ${error}`);
  }
  return notes;
}

/** One line per estate and concurrency, for the top of the README. */
export function summaryTable(runs: EstateRun[], limits: Limits): string[] {
  const header = ["estate", "run", "wall time", "items/s", "× runbook", "× lower bound", "RS w + r / item", "DP w + r / item", "429s / writes", "not triggered", "peak RSS"];
  const rows: string[][] = [];
  for (const run of runs) {
    for (const o of run.ours) {
      const speed = run.baseline === undefined ? "–" : ratio(run.baseline.estimatedMs / o.result.wallMs);
      const rs = o.wire.byKind.recoveryServices;
      const dp = o.wire.byKind.dataProtection;
      rows.push([
        estateTitle(run.spec),
        o.label,
        seconds(o.result.wallMs),
        ((o.result.totals.triggered ?? 0) / (o.result.wallMs / 1000)).toFixed(1),
        speed,
        ratio(o.result.wallMs / lowerBoundMs(run, o.concurrency, limits)),
        `${perItem(rs.acceptedWrites, rs.triggeredItems)} + ${perItem(rs.reads, rs.triggeredItems)}`,
        `${perItem(dp.acceptedWrites, dp.triggeredItems)} + ${perItem(dp.reads, dp.triggeredItems)}`,
        `${int(o.wire.writes429)} / ${int(o.wire.writes)}`,
        int(o.wire.lost),
        `${int(o.result.maxRssMb)} MB`,
      ]);
    }
  }
  return table(header, rows);
}
