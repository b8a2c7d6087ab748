// The service-pace table (issue 18): when every write was accepted and every job id known, against the ARM-limit
// bound at the services' mean latency, and the timer ticks the default caps need to clear the wave.
import type { Settings } from "../src/settings.ts";
import { int, kindCell, mark, seconds, table, type EstateRun } from "./figures.ts";

export interface ServicePace {
  meanLatencyMs: number;
  retryAfterSeconds: number;
  burst: number;
  refillPerSecond: number;
}

/** Runs (timer ticks) the default caps need: each run takes at most maxPerRun, and at most maxPerSubscription per subscription. */
function ticksToClear(itemsPerSubscription: number[], defaults: Pick<Settings, "maxPerRun" | "maxPerSubscription">): number {
  let left = [...itemsPerSubscription];
  let ticks = 0;
  while (left.some((n) => n > 0)) {
    let budget = defaults.maxPerRun;
    left = left.map((n) => {
      const take = Math.min(n, defaults.maxPerSubscription, budget);
      budget -= take;
      return n - take;
    });
    ticks += 1;
  }
  return ticks;
}

export function servicePaceTable(run: EstateRun, pace: ServicePace, defaults: Settings): string[] {
  const header = ["figure", "target", ...run.ours.map((o) => o.label)];
  const bound = (concurrency: number) =>
    Math.max((pace.meanLatencyMs * run.spec.items) / concurrency, (Math.max(0, ...run.itemsPerSubscription.map((n) => n - pace.burst)) / pace.refillPerSecond) * 1000);
  const cells = (f: (o: EstateRun["ours"][number]) => string) => run.ours.map(f);
  const ticks = ticksToClear(run.itemsPerSubscription, defaults);
  return table(header, [
    ["every write accepted (last write)", "≤ 1.3× bound", ...cells((o) => `${seconds(o.phases.lastWriteMs)} = ${(o.phases.lastWriteMs / bound(o.concurrency)).toFixed(2)}× ${mark(o.phases.lastWriteMs <= 1.3 * bound(o.concurrency))}`)],
    ["ARM-limit bound for the writes (mean latency × items / concurrency)", "", ...cells((o) => seconds(bound(o.concurrency)))],
    ["every job id known (last request)", `≤ last write + ${pace.retryAfterSeconds} s`, ...cells((o) => {
      const tail = o.phases.lastRequestMs - o.phases.lastWriteMs;
      return `${seconds(o.phases.lastRequestMs)} (last write + ${seconds(tail)}) ${mark(tail <= pace.retryAfterSeconds * 1000)}`;
    })],
    ["job id learnt", "", ...cells((o) => `${int(o.result.withJobId)} of ${int(run.spec.items)}`)],
    [`RS requests / triggered item (writes + reads)`, "1 + ≤ 3", ...cells((o) => kindCell(o, "recoveryServices"))],
    [`DP requests / triggered item (writes + reads)`, "1 + ≤ 3", ...cells((o) => kindCell(o, "dataProtection"))],
    ["429s received / writes sent", "≤ 1 %", ...cells((o) => `${int(o.wire.writes429)} / ${int(o.wire.writes)} ${mark(o.wire.writes429 <= 0.01 * o.wire.writes)}`)],
    ["lost items", "0", ...cells((o) => `${int(o.wire.lost)} ${mark(o.wire.lost === 0 && o.result.unaccountedRows === 0)}`)],
    ["peak RSS", "< 200 MB", ...cells((o) => `${int(o.result.maxRssMb)} MB ${mark(o.result.maxRssMb < 200)}`)],
    [`timer ticks to clear the wave with the default caps (RETRY_MAX_PER_RUN ${int(defaults.maxPerRun)}, RETRY_MAX_PER_SUBSCRIPTION ${int(defaults.maxPerSubscription)})`, "", ...cells(() => String(ticks))],
  ]);
}
