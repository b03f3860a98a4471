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

/**
 * A vendor's error code, kept only when it looks like one (`INVALID_DATA`, `VALIDATION_ERROR`, `401`): codes are
 * safe to show and log; a vendor's message text is not (it can quote request data, tokens or secrets).
 */
export function vendorCode(value: unknown): string | null {
  const s = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  return typeof s === 'string' && /^[A-Za-z0-9_.:-]{1,80}$/.test(s) ? s : null;
}

/**
 * A call described without its query (search terms, e-mails) or ids and tokens in the path: path segments that are
 * not plain words (lower, camel or Zoho's Module_Name case) or versions become `{id}` (HubSpot's token-info path
 * holds the access token itself).
 */
export function describeCall(method: string, path: string): string {
  const bare = path.split('?')[0] ?? '';
  const segments = bare
    .split('/')
    .map((s) =>
      s === '' || /^(v\d+|[a-z]+(?:[A-Z][a-z]+)*(?:[_-][a-z]+)*|[A-Z][a-z]+(?:_[A-Z][a-z]+)*)$/.test(s) ? s : '{id}',
    );
  return `${method} ${segments.join('/')}`;
}

/** Parses a successful answer's body; a body that is not JSON is named, never quoted (V8's message quotes it). */
export function parseJsonAnswer<T>(text: string, vendor: string, call: string): T {
  if (!text) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderError('permanent', `${vendor} answered ${call} with something other than JSON`);
  }
}

/** Whatever a provider method caught, as a ProviderError whose message never quotes a vendor's answer. */
export function asProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof SyntaxError) return new ProviderError('permanent', 'the answer was not the JSON expected');
  return new ProviderError('permanent', e instanceof Error ? e.message : String(e));
}
