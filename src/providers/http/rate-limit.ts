/**
 * A vendor's daily API budget (Pipedrive's token budget, HubSpot's daily limit, Zoho's API credits): once it is used
 * up, every further request of the run would only be refused, so the client stops asking and the run ends with one
 * clear error. `permanent` on purpose: a transient error would make the engine retry (and wait) for hours inside
 * one run; the next scheduled run tries again (one request) and goes on once the budget is back.
 */
import { ProviderError } from '../../sync/errors';

export class DailyBudget {
  private stop: { error: ProviderError; until: number | null } | null = null;

  constructor(private readonly now: () => Date) {}

  /** Throws the stop error while the budget is known to be used up. */
  check(): void {
    if (!this.stop) return;
    if (this.stop.until !== null && this.now().getTime() >= this.stop.until) {
      this.stop = null;
      return;
    }
    throw this.stop.error;
  }

  /** Records that the budget is used up (until `resetsAt` when known) and returns the error to throw. */
  exhausted(message: string, resetsAt: Date | null, status?: number): ProviderError {
    const until = resetsAt ? resetsAt.getTime() : null;
    const error = new ProviderError('permanent', message, {
      ...(status !== undefined ? { status } : {}),
      ...(until !== null ? { retryAfterMs: Math.max(0, until - this.now().getTime()) } : {}),
    });
    this.stop = { error, until };
    return error;
  }
}

/** The next midnight UTC (Pipedrive's budget day). */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** A whole number header, or null. */
export function intHeader(res: Response, name: string): number | null {
  const v = res.headers.get(name);
  if (v === null || !/^\s*-?\d+\s*$/.test(v)) return null;
  return Number(v);
}
