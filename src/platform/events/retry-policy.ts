/** When a failed delivery is tried again: exponential backoff with full jitter, so retries of many events spread out. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Delay before attempt `attempt + 1`, after `attempt` failures: uniform in [base, min(max, base * 2^(attempt-1))]. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(policy.baseDelayMs + random() * Math.max(0, ceiling - policy.baseDelayMs));
}
