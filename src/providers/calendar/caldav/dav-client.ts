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
}

export interface DavAnswer {
  status: number;
  headers: Headers;
  body: string;
  url: string;
}

const writeMethods = new Set(['PUT', 'DELETE', 'MKCALENDAR', 'PROPPATCH']);

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
      res = await this.fetchFn(req.url, { method: req.method, headers, body: req.body });
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      if (e instanceof UnsafeUrlError) {
        // A server that points us at a private address (href or redirect) is refused, and the run goes on.
        throw new ProviderError('permanent', `refused URL: ${e.message}`, { cause: e });
      }
      throw providerErrorFromNetwork(e, writeMethods.has(req.method));
    }
    const body = await res.text();
    if (res.ok || req.accept?.includes(res.status))
      return { status: res.status, headers: res.headers, body, url: req.url };
    throw providerErrorFromResponse(
      res,
      `${req.method} ${new URL(req.url).pathname}: ${body.slice(0, 200)}`,
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
  ): Promise<Multistatus & { status: number }> {
    const ans = await this.request({ method, url, headers: { depth }, body, accept });
    if (ans.status !== 207) return { status: ans.status, responses: [], syncToken: null };
    return { status: 207, ...parseMultistatus(ans.body, url) };
  }
}
