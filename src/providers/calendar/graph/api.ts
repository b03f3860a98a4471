import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { CallSlot } from './call-slot';
import { ProviderError, type ProviderErrorKind } from '../../../sync/errors';
import { parseRetryAfter } from '../../http/retry-after';
import type { GraphTransport } from './transport';
import { systemClock } from '../../../shared/clock';

export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 424 || status === 429 || status >= 500) return 'transient';
  if (status === 400 || status === 422) return 'invalid';
  return 'permanent';
}

export interface GraphErrorBody {
  error?: { code?: string; message?: string };
}

export function providerErrorFromStatus(
  status: number,
  body: unknown,
  retryAfter: string | null | undefined,
  now: Date = systemClock(),
): ProviderError {
  const err = (body as GraphErrorBody | null)?.error;
  const detail = [err?.code, err?.message].filter(Boolean).join(': ');
  const message =
    status === 401
      ? 'Microsoft Graph rejected the token: the calendar connection needs re-authorization.'
      : `Graph HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  return new ProviderError(kindForStatus(status), message, {
    status,
    retryAfterMs: parseRetryAfter(retryAfter, now),
  });
}

function fromGraphError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof GraphError && e.statusCode > 0) {
    let body: unknown = null;
    try {
      body = { error: JSON.parse(String(e.body)) as unknown };
    } catch {
      body = { error: { message: e.message } };
    }
    return providerErrorFromStatus(e.statusCode, body, e.headers?.get('retry-after'));
  }
  return new ProviderError('permanent', e instanceof Error ? e.message : String(e), { cause: e });
}

/** Splits GRAPH_BASE_URL (https://graph.microsoft.com/v1.0) into the client's host and version. */
export function splitBaseUrl(baseUrl: string): { host: string; version: string } {
  const u = new URL(baseUrl);
  const segments = u.pathname.split('/').filter(Boolean);
  const version = segments.pop() ?? 'v1.0';
  const host = `${u.origin}${segments.length ? `/${segments.join('/')}` : ''}`;
  return { host, version };
}

/**
 * Microsoft Graph through @microsoft/microsoft-graph-client. Every call goes through the GraphTransport middleware
 * (token, Prefer headers, 4-per-mailbox limit, Retry-After); errors come out as the engine's ProviderError.
 * Paths are relative to the version root and carry already-encoded query strings.
 */
export class GraphApi {
  private readonly client: Client;
  readonly root: string;

  constructor(
    baseUrl: string,
    readonly transport: GraphTransport,
  ) {
    const { host, version } = splitBaseUrl(baseUrl);
    this.root = `${host}/${version}`;
    this.client = Client.initWithMiddleware({
      middleware: transport,
      baseUrl: host,
      defaultVersion: version,
      customHosts: new Set([new URL(host).hostname]),
    });
  }

  /** Turns an absolute nextLink/deltaLink Graph handed us back into a path under our root. */
  relative(link: string): string {
    if (link.startsWith(this.root)) return link.slice(this.root.length);
    const u = new URL(link);
    const r = new URL(this.root);
    if (u.origin !== r.origin)
      throw new ProviderError('permanent', `Graph returned a link to another host: ${u.origin}`);
    return `${u.pathname.slice(r.pathname.length)}${u.search}`;
  }

  private async call<T>(
    path: string,
    run: (req: ReturnType<Client['api']>) => Promise<unknown>,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const slot = new CallSlot();
    try {
      const req = this.client.api(path).middlewareOptions([slot]).headers(headers);
      return (await run(req)) as T;
    } catch (e) {
      throw slot.error ?? fromGraphError(e);
    }
  }

  get<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return this.call<T>(path, (r) => r.get(), headers);
  }
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.call<T>(path, (r) => r.post(body), headers);
  }
  patch<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.call<T>(path, (r) => r.patch(body), headers);
  }
  delete(path: string, headers?: Record<string, string>): Promise<void> {
    return this.call<void>(path, (r) => r.delete(), headers);
  }
}
