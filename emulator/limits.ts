import { hhmmss } from "./http.ts";

export interface QuotaWindow {
  start: number;
  used: number;
}

export interface QuotaDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

/** ARG's per-principal quota: a fixed window; every answered query counts, a throttled one does not. */
export function takeArgQuota(windows: Map<string, QuotaWindow>, principal: string, quota: { perWindow: number; windowMs: number }, now: number): QuotaDecision {
  let window = windows.get(principal);
  if (window === undefined || now - window.start >= quota.windowMs) {
    window = { start: now, used: 0 };
    windows.set(principal, window);
  }
  const allowed = window.used < quota.perWindow;
  if (allowed) window.used += 1;
  return {
    allowed,
    headers: {
      "x-ms-user-quota-remaining": String(quota.perWindow - window.used),
      "x-ms-user-quota-resets-after": hhmmss(window.start + quota.windowMs - now),
    },
  };
}

export interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/** ARM's token bucket for writes: `burst` tokens, refilled continuously. */
export function takeWriteToken(buckets: Map<string, Bucket>, subscriptionId: string, config: { burst: number; refillPerSecond: number }, now: number): BucketDecision {
  const key = subscriptionId.toLowerCase();
  const bucket = buckets.get(key) ?? { tokens: config.burst, at: now };
  bucket.tokens = Math.min(config.burst, bucket.tokens + ((now - bucket.at) / 1000) * config.refillPerSecond);
  bucket.at = now;
  buckets.set(key, bucket);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
  }
  const wait = config.refillPerSecond > 0 ? Math.ceil((1 - bucket.tokens) / config.refillPerSecond) : 60;
  return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, wait) };
}
