import { setTimeout as sleep } from "node:timers/promises";
import { parseResetsAfter } from "../azure/retry.ts";

/**
 * Resource Graph's quota is per principal (e.g. 15 queries per 5 s). Every response says how many
 * remain and when the window resets; when none remain, the next request waits for the reset instead
 * of spending a 429.
 */
export interface QuotaGate {
  /** Resolves when the next request may go. */
  ready(signal?: AbortSignal): Promise<void>;
  /** Feeds the quota headers of a response. */
  update(headers: { get(name: string): string | undefined }): void;
}

/** ARG windows are seconds long; a longer reset is capped so one odd header cannot stall a run. */
const MAX_WAIT_MS = 30_000;

export function createQuotaGate(): QuotaGate {
  let blockedUntil = 0;
  return {
    async ready(signal) {
      const ms = blockedUntil - Date.now();
      if (ms > 0) await sleep(Math.min(ms, MAX_WAIT_MS), undefined, { signal });
    },
    update(headers) {
      const remaining = Number(headers.get("x-ms-user-quota-remaining"));
      const resetsAfter = parseResetsAfter(headers.get("x-ms-user-quota-resets-after"));
      if (headers.get("x-ms-user-quota-remaining") !== undefined && Number.isFinite(remaining) && remaining <= 0 && resetsAfter !== undefined) {
        blockedUntil = Math.max(blockedUntil, Date.now() + resetsAfter);
      }
    },
  };
}
