/**
 * Retrying transient provider errors (SPEC §7): backoff that honours the provider's retry hint (Retry-After),
 * bounded attempts, and a sleep that tests inject so they never wait.
 */
import { isProviderError, type ProviderError } from './errors';

export const MAX_RETRIES = 5;
const BASE_MS = 500;
const CAP_MS = 60_000;

export function backoffMs(attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, 10 * CAP_MS);
  return Math.min(CAP_MS, BASE_MS * 2 ** attempt);
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls fn, retrying transient ProviderErrors; other errors (and the last transient one) are thrown. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  sleep: (ms: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isProviderError(e) || e.kind !== 'transient' || attempt >= MAX_RETRIES || signal?.aborted) throw e;
      await sleep(backoffMs(attempt, e.retryAfterMs));
    }
  }
}

export function toProviderError(e: unknown): ProviderError | null {
  return isProviderError(e) ? e : null;
}
