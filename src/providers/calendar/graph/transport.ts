import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { parseRetryAfter } from '../../http/retry-after';
import { providerErrorFromNetwork } from '../../http/provider-errors';
import type { Semaphore } from './semaphore';
import { callSlotOf } from './call-slot';
import { systemClock } from '../../../shared/clock';

/** Preferences Graph must apply to every call (SPEC §12): immutable ids and UTC times. */
export const basePreferences = ['IdType="ImmutableId"', 'outlook.timezone="UTC"'];

export interface TransportStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests answered 429/503 and retried. */
  throttled: number;
  /** Sub-requests carried inside $batch requests. */
  batchedRequests: number;
}

export interface TransportOptions {
  fetch: FetchLike;
  getToken: () => Promise<string>;
  semaphore: Semaphore;
  stats: TransportStats;
  /** Waits between retries; injectable so tests can record the delays instead of sleeping through them. */
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
  /** Cap on a single wait, so a hostile Retry-After cannot park a run for hours. */
  maxRetryAfterMs?: number;
  now?: () => Date;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const retryable = new Set([429, 503, 504]);

function headerRecord(init: RequestInit['headers']): Headers {
  return new Headers(init);
}

/** Merges our Prefer values with the ones a call asked for (one comma-separated Prefer header). */
export function mergePrefer(existing: string | null): string {
  const parts = [...basePreferences];
  for (const p of (existing ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!parts.includes(p)) parts.push(p);
  }
  return parts.join(', ');
}

/**
 * The last middleware of the Graph client's chain: it sends every request through the connection's fetch with
 * the user's token and our Prefer headers, holds one of the mailbox's 4 slots while the request is in flight,
 * and retries 429/503/504 after Retry-After (exponential backoff when Graph gives none).
 */
export class GraphTransport implements Middleware {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterMs: number;
  private token: string | null = null;

  constructor(private readonly o: TransportOptions) {
    this.sleep = o.sleep ?? defaultSleep;
    this.maxAttempts = o.maxAttempts ?? 6;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 120_000;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const init = context.options ?? {};
    try {
      context.response = await this.send(url, init);
    } catch (e) {
      const slot = callSlotOf(context);
      if (slot && e instanceof ProviderError) slot.error = e;
      throw e;
    }
  }

  /** Sends one request with token, preferences, concurrency slot and retries. Never throws for HTTP statuses. */
  async send(url: string, init: RequestInit): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      const headers = headerRecord(init.headers);
      headers.set('Prefer', mergePrefer(headers.get('Prefer')));
      headers.set('Authorization', `Bearer ${await this.currentToken()}`);
      const release = await this.o.semaphore.acquire();
      let res: Response;
      try {
        this.o.stats.requests++;
        res = await this.o.fetch(url, { ...init, method, headers });
      } catch (e) {
        // The request may have reached Graph; a lost answer to a write is uncertain (the engine looks it up).
        throw providerErrorFromNetwork(e, method !== 'GET');
      } finally {
        release();
      }
      if (res.status === 401 && !refreshedToken) {
        // A token can expire between fetching and use: ask the server's auth once more before giving up.
        await res.body?.cancel();
        refreshedToken = true;
        this.token = null;
        attempt--;
        continue;
      }
      if (!retryable.has(res.status) || attempt >= this.maxAttempts) return res;
      this.o.stats.throttled++;
      const hinted = parseRetryAfter(res.headers.get('retry-after'), (this.o.now ?? systemClock)());
      const wait = Math.min(hinted ?? 500 * 2 ** (attempt - 1), this.maxRetryAfterMs);
      await res.body?.cancel();
      await this.sleep(wait);
    }
  }

  private async currentToken(): Promise<string> {
    if (this.token === null) {
      try {
        this.token = await this.o.getToken();
      } catch (e) {
        throw new ProviderError('auth', 'No Microsoft Graph token for this user: re-authorization is needed.', {
          cause: e,
        });
      }
    }
    return this.token;
  }

  countBatched(n: number): void {
    this.o.stats.batchedRequests += n;
  }

  /** Waits as a retry would; used by the $batch loop for throttled sub-requests. */
  backoff(ms: number | undefined, attempt: number): Promise<void> {
    this.o.stats.throttled++;
    return this.sleep(Math.min(ms ?? 500 * 2 ** (attempt - 1), this.maxRetryAfterMs));
  }
}
