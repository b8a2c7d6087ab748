// What crossed the wire during one run, from the emulator's request log.
import type { RecordedRequest } from "../emulator/index.ts";
import type { Estate, ItemKind } from "./estate.ts";

interface KindCounts {
  /** Items of this kind in the estate. */
  items: number;
  /** Distinct items the service accepted a trigger for. */
  triggeredItems: number;
  /** Trigger POSTs sent, including ones answered 429. */
  writes: number;
  /** Trigger POSTs the service accepted (200/202). */
  acceptedWrites: number;
  /** GETs of items, instances, policies, operation status and results. */
  reads: number;
}

export interface WireStats {
  byKind: Record<ItemKind, KindCounts>;
  writes: number;
  writes429: number;
  reads: number;
  arg: number;
  arg429: number;
  /** Items of the estate the service never accepted a trigger for. */
  lost: number;
  /** Items the service accepted more than one trigger for (each is an extra on-demand backup). */
  duplicates: number;
}

const WRITE_KINDS = new Set(["rs.trigger", "dp.trigger"]);
const accepted = (status: number) => status === 200 || status === 202;

export function wireStats(requests: readonly RecordedRequest[], estate: Estate): WireStats {
  const empty = (kind: ItemKind): KindCounts => ({ items: [...estate.items.values()].filter((i) => i.kind === kind).length, triggeredItems: 0, writes: 0, acceptedWrites: 0, reads: 0 });
  const byKind: Record<ItemKind, KindCounts> = { recoveryServices: empty("recoveryServices"), dataProtection: empty("dataProtection") };
  const triggered = new Map<string, number>();
  const stats: WireStats = { byKind, writes: 0, writes429: 0, reads: 0, arg: 0, arg429: 0, lost: 0, duplicates: 0 };
  for (const request of requests) {
    if (request.kind === "arg") {
      stats.arg += 1;
      if (request.status === 429) stats.arg429 += 1;
      continue;
    }
    const kind: ItemKind | undefined = request.kind.startsWith("rs.") ? "recoveryServices" : request.kind.startsWith("dp.") ? "dataProtection" : undefined;
    if (kind === undefined) continue;
    if (WRITE_KINDS.has(request.kind)) {
      stats.writes += 1;
      byKind[kind].writes += 1;
      if (request.status === 429) stats.writes429 += 1;
      if (accepted(request.status)) {
        byKind[kind].acceptedWrites += 1;
        const key = (request.itemId ?? request.path).toLowerCase();
        if (!triggered.has(key)) byKind[kind].triggeredItems += 1;
        triggered.set(key, (triggered.get(key) ?? 0) + 1);
      }
    } else {
      stats.reads += 1;
      byKind[kind].reads += 1;
    }
  }
  for (const key of estate.items.keys()) {
    const times = triggered.get(key) ?? 0;
    if (times === 0) stats.lost += 1;
    if (times > 1) stats.duplicates += 1;
  }
  return stats;
}
