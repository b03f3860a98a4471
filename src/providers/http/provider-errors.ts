import { ProviderError, type ProviderErrorKind } from '../../sync/errors';
import { parseRetryAfter } from './retry-after';

/** Maps an HTTP error response to the engine's error classes (SPEC §7). */
export function providerErrorFromResponse(res: Response, detail: string, now: Date): ProviderError {
  const status = res.status;
  let kind: ProviderErrorKind;
  if (status === 401) kind = 'auth';
  else if (status === 403) kind = 'forbidden';
  else if (status === 404 || status === 410) kind = 'not-found';
  else if (status === 409 || status === 412) kind = 'conflict';
  else if (status === 429 || status === 502 || status === 503 || status === 504) kind = 'transient';
  else if (status === 400 || status === 422) kind = 'invalid';
  else if (status >= 500) kind = 'transient';
  else kind = 'permanent';
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now);
  const short = detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
  return new ProviderError(kind, `HTTP ${status}${short ? `: ${short}` : ''}`, { status, retryAfterMs });
}

/**
 * A request that failed without an HTTP answer. `uncertain` marks a write that may have been applied
 * (the request was sent; only the answer was lost), so the engine looks the item up before re-creating it.
 */
export function providerErrorFromNetwork(error: unknown, uncertain: boolean): ProviderError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError('transient', `network error: ${message}`, { uncertain, cause: error });
}
