/**
 * Authenticated WebDAV requests through the SSRF-guarded fetch. Every URL (the user's and every href a server
 * hands back) is resolved against the connection's base and goes through `fetch`, which re-checks it.
 */
import { ProviderError } from '../../../sync/errors';
import { providerErrorFromNetwork, providerErrorFromResponse, UnsafeUrlError, type FetchLike } from '../../http';
import { parseMultistatus, type Multistatus } from './multistatus';
import { systemClock, type Clock } from '../../../shared/clock';

export interface DavCredentials {
  username: string;
  password: string;
}

export interface DavRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Statuses the caller handles itself instead of getting a ProviderError. */
  accept?: number[];
  /** Overrides the safe fetch's 30 s per-request timeout. */
  timeoutMs?: number;
}

export interface DavAnswer {
  status: number;
  headers: Headers;
  body: string;
  url: string;
}

const writeMethods = new Set(['PUT', 'DELETE', 'MKCALENDAR', 'PROPPATCH']);

/** The first element inside a DAV:error body (`<D:error><D:valid-sync-token/></D:error>` → `valid-sync-token`). */
export function davPrecondition(body: string): string | null {
  const m = /<(?:[A-Za-z][\w.-]*:)?error\b[^>]*>\s*<(?:[A-Za-z][\w.-]*:)?([A-Za-z][\w-]{0,63})\b/.exec(
    body.slice(0, 4096),
  );
  return m?.[1] ?? null;
}

/** How long a PROPFIND / REPORT may take before it counts as lost. */
export const LISTING_TIMEOUT_MS = 5 * 60_000;

export class DavClient {
  constructor(
    private readonly fetchFn: FetchLike,
    private readonly credentials: DavCredentials,
    private readonly now: Clock = systemClock,
  ) {}

  async request(req: DavRequest): Promise<DavAnswer> {
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`,
      ...req.headers,
    };
    if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/xml; charset=utf-8';
    }
    let res: Response;
    try {
      res = await this.fetchFn(req.url, {
        method: req.method,
        headers,
        body: req.body,
        ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
      });
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      if (e instanceof UnsafeUrlError) {
        // A server that points us at a private address (href or redirect) is refused, and the run goes on.
        throw new ProviderError('permanent', `refused URL: ${e.message}`, { cause: e });
      }
      throw providerErrorFromNetwork(e, writeMethods.has(req.method));
    }
    let body: string;
    try {
      body = await res.text();
    } catch (e) {
      // The answer broke off (connection lost, timeout, larger than the safe fetch accepts): a provider error like
      // any lost answer, never a raw rejection out of the run.
      throw providerErrorFromNetwork(e, writeMethods.has(req.method));
    }
    if (res.ok || req.accept?.includes(res.status))
      return { status: res.status, headers: res.headers, body, url: req.url };
    // The server's own text is never repeated (it may echo request data or credentials): the method, the path and,
    // when the server names one, the DAV precondition it refused (RFC 4918 §16, e.g. valid-sync-token).
    const precondition = davPrecondition(body);
    throw providerErrorFromResponse(
      res,
      `${req.method} ${new URL(req.url).pathname}${precondition ? `: ${precondition}` : ''}`,
      this.now(),
    );
  }

  /** PROPFIND / REPORT answered with 207 Multi-Status. */
  async multistatus(
    method: 'PROPFIND' | 'REPORT',
    url: string,
    depth: '0' | '1',
    body: string,
    accept?: number[],
    /** `'request'`: the safe fetch's per-request timeout (a depth-0 probe, not a listing). */
    timeout: 'listing' | 'request' = 'listing',
  ): Promise<Multistatus & { status: number }> {
    // A listing (a full sync-collection or PROPFIND, a multiget) of a large collection takes a server minutes: at
    // 10,000 events Radicale answered the first full listing after more than the 30 s other requests get.
    const ans = await this.request({
      method,
      url,
      // A depth-0 answer is one resource's few properties: compressing it only costs both sides (issue 23).
      headers: depth === '0' ? { depth, 'accept-encoding': 'identity' } : { depth },
      body,
      accept,
      ...(timeout === 'listing' ? { timeoutMs: LISTING_TIMEOUT_MS } : {}),
    });
    if (ans.status !== 207) return { status: ans.status, responses: [], syncToken: null };
    return { status: 207, ...parseMultistatus(ans.body, url) };
  }
}
