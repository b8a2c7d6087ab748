import { setTimeout as sleep } from "node:timers/promises";
import { quotaOfResponse } from "../azure/index.ts";

/**
 * Resource Graph's quota is per principal (e.g. 15 queries per 5 s). Every response says how many
 * remain and when the window resets; when none remain, the next request waits for the reset instead
 * of spending a 429.
 */
export interface QuotaGate {
  /** Resolves when the next request may go. */
  ready(): Promise<void>;
  /** Feeds the quota headers of a response. */
  update(headers: { get(name: string): string | undefined }): void;
}

/** ARG windows are seconds long; a longer reset is capped so one odd header cannot stall a run. */
const MAX_WAIT_MS = 30_000;

export function createQuotaGate(): QuotaGate {
  let blockedUntil = 0;
  return {
    async ready() {
      const ms = blockedUntil - Date.now();
      if (ms > 0) await sleep(Math.min(ms, MAX_WAIT_MS));
    },
    update(headers) {
      const { remaining, resetsAfterMs } = quotaOfResponse(headers);
      if (remaining !== undefined && remaining <= 0 && resetsAfterMs !== undefined) blockedUntil = Math.max(blockedUntil, Date.now() + resetsAfterMs);
    },
  };
}
