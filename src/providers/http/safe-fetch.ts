import dns from 'node:dns';
import { Agent, Headers as UndiciHeaders, fetch as undiciFetch } from 'undici';
import {
  assertSafeUrl,
  isAllowListed,
  isPublicAddress,
  UnsafeUrlError,
  type Lookup,
  type UrlPolicy,
} from './url-policy';
import { unpausedResponses } from './whole-body';

/** Request headers that carry credentials: dropped when a redirect leaves the origin. */
const crossOriginDropped = ['authorization', 'proxy-authorization', 'cookie'];

function plainHeaders(headers: UndiciHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** The fetch shape providers use; both the safe fetch and the global fetch satisfy it. */
/** `timeoutMs` overrides the safe fetch's per-request timeout for one request (a listing that may take minutes). */
export type FetchLike = (input: string | URL, init?: RequestInit & { timeoutMs?: number }) => Promise<Response>;

export interface SafeFetchOptions {
  /** Per-request timeout (connect + headers + body), default 30 s. */
  timeoutMs?: number;
  maxRedirects?: number;
  /** For tests: resolve host names differently. */
  lookup?: Lookup;
  /** Largest response body accepted, in bytes (default 64 MiB); a larger answer fails the request. */
  maxResponseBytes?: number;
}

const defaultMaxResponseBytes = 64 * 1024 * 1024;

/**
 * A fetch for user-supplied URLs: every hop of a redirect chain is checked with assertSafeUrl, and the socket's
 * resolved address is checked again at connect time (closing the DNS-rebinding gap between check and request).
 */
export function createSafeFetch(policy: UrlPolicy, options: SafeFetchOptions = {}): FetchLike {
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxResponseSize = options.maxResponseBytes ?? defaultMaxResponseBytes;
  // Bodies are read off the socket as they come (whole-body.ts: undici 7 crashes on a paused body whose peer closes).
  const guardedAgent = new Agent({
    maxResponseSize,
    connect: {
      lookup: (hostname, opts, callback) => {
        dns.lookup(hostname, { ...opts, all: true, verbatim: true }, (err, addresses) => {
          if (err) return callback(err, '', 0);
          const list = addresses as dns.LookupAddress[];
          const bad = list.find((a) => !isPublicAddress(a.address));
          if (bad) {
            return callback(
              new UnsafeUrlError('private-address', `${hostname} resolved to a non-public address (${bad.address})`),
              '',
              0,
            );
          }
          const first = list[0];
          if (!first) return callback(new Error(`no address for ${hostname}`), '', 0);
          if ((opts as { all?: boolean }).all) {
            (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
          } else callback(null, first.address, first.family);
        });
      },
    },
  }).compose(unpausedResponses);
  const openAgent = new Agent({ maxResponseSize }).compose(unpausedResponses);

  return async (input, fetchInit = {}) => {
    const { timeoutMs: requestTimeoutMs, ...init } = fetchInit;
    let url = await assertSafeUrl(String(input), policy, options.lookup);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    // undici's Headers, not the global one: the global is Node's own copy of undici, which costs a command ~20 ms
    // of loading the first time it is touched (issue 23); the request goes through the undici package anyway.
    const headers = new UndiciHeaders(init.headers as ConstructorParameters<typeof UndiciHeaders>[0]);
    const limit = requestTimeoutMs ?? timeoutMs;
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(limit)])
      : AbortSignal.timeout(limit);
    for (let hop = 0; ; hop++) {
      const dispatcher = isAllowListed(url, policy) ? openAgent : guardedAgent;
      const res = (await undiciFetch(url, {
        ...(init as Record<string, unknown>),
        method,
        headers: plainHeaders(headers),
        body: body as never,
        redirect: 'manual',
        signal,
        dispatcher,
      })) as unknown as Response;
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      if (hop >= maxRedirects) throw new UnsafeUrlError('malformed', `too many redirects from ${String(input)}`);
      await res.body?.cancel();
      const from = new URL(url).origin;
      url = await assertSafeUrl(new URL(location, url).toString(), policy, options.lookup);
      // Like browsers (Fetch standard, "HTTP-redirect fetch"): credentials never follow a redirect to another
      // origin, so a CalDAV server (or whoever took over its name) cannot hand the Basic password to a third host.
      if (new URL(url).origin !== from) for (const h of crossOriginDropped) headers.delete(h);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        for (const h of ['content-type', 'content-length', 'content-encoding', 'content-language']) headers.delete(h);
      }
    }
  };
}
