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

export interface QuotaGateOptions {
  /** Longest wait for a window reset; ARG windows are seconds long, so a larger ask is capped. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** "hh:mm:ss" (optionally with fractional seconds or a day part "d.hh:mm:ss") to milliseconds. */
export function parseResetsAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (match === null) return undefined;
  const [, days, h, m, s] = match;
  return ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s)) * 1000;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function createQuotaGate(options: QuotaGateOptions = {}): QuotaGate {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  let blockedUntil = 0;
  return {
    async ready(signal) {
      const ms = blockedUntil - now();
      if (ms > 0) await wait(Math.min(ms, maxWaitMs), signal);
    },
    update(headers) {
      const remaining = Number(headers.get("x-ms-user-quota-remaining"));
      const resetsAfter = parseResetsAfter(headers.get("x-ms-user-quota-resets-after"));
      if (headers.get("x-ms-user-quota-remaining") !== undefined && Number.isFinite(remaining) && remaining <= 0 && resetsAfter !== undefined) {
        blockedUntil = Math.max(blockedUntil, now() + resetsAfter);
      }
    },
  };
}
