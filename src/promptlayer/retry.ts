/** When and how long to wait before trying a request again. Pure, so the arithmetic is tested without a server. */

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Upper bound of the first backoff window; the window doubles on each retry. */
  baseDelayMs: number;
  /** Largest backoff window. */
  maxDelayMs: number;
  /** Largest Retry-After plx honours; a server asking for longer gets this much. */
  maxRetryAfterMs: number;
}

// Four attempts, as both official SDKs make; waits of up to 1 s, 2 s, 4 s.
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
};

/**
 * "Full jitter" exponential backoff: a uniform draw from [0, min(cap, base·2^(n-1))).
 * Spreading retries over the whole window keeps clients that failed together from retrying together.
 */
export function backoffDelay(failedAttempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(random() * window);
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Every HTTP-date form names a day or month; this keeps Date.parse from reading "-1" as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before the next attempt: the backoff, but never less than what the server asked for (capped). */
export function retryDelay(
  failedAttempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  return Math.max(backoffDelay(failedAttempt, policy, random), Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
}
