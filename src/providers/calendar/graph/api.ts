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

/**
 * Graph's error codes that say more than their status (concepts/errors.md: "the code property … is the primary
 * error code" — the status alone is not enough). Case-insensitive, as Graph's own casing varies between services.
 */
const kindByCode: Record<string, ProviderErrorKind> = {
  // A 404 that is about the mailbox, not the item: an on-premises, inactive, soft-deleted or unlicensed mailbox has
  // no REST API ("REST API is not yet supported for this mailbox"). Nothing is gone, and retrying will not help.
  // Not on a docs page (docs/graph.md, "Unverified"); the code is what Graph answers in practice.
  mailboxnotenabledforrestapi: 'permanent',
  mailboxnotsupportedforrestapi: 'permanent',
  // Delta sync state lost (concepts/delta-query-overview.md, "synchronization reset"): handled by re-listing.
  syncstatenotfound: 'not-found',
  resyncrequired: 'not-found',
  syncstateinvalid: 'not-found',
  // A transactionId already used for a different event (event resource, transactionId; the code itself is not on a
  // docs page: see docs/graph.md, "Unverified").
  errorduplicatetransactionid: 'conflict',
};

/** The codes after which the delta round must start over (a full listing): any status, decided by the code. */
export const resyncCodes = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);

/** A ProviderError that keeps Graph's error code (never its message: it may echo data). */
export class GraphCallError extends ProviderError {
  constructor(
    kind: ProviderErrorKind,
    message: string,
    readonly code: string | null,
    options: { retryAfterMs?: number; status?: number; uncertain?: boolean; cause?: unknown } = {},
  ) {
    super(kind, message, options);
  }
}

export function graphErrorCode(e: unknown): string | null {
  return e instanceof GraphCallError ? e.code : null;
}

export interface GraphErrorBody {
  error?: { code?: string; message?: string };
}

export function providerErrorFromStatus(
  status: number,
  body: unknown,
  retryAfter: string | null | undefined,
  now: Date = systemClock(),
  method = 'GET',
): ProviderError {
  const err = (body as GraphErrorBody | null)?.error;
  const code = typeof err?.code === 'string' && err.code ? err.code : null;
  // Graph's message text is not repeated: it may echo request data; the code says what happened.
  const detail = code ?? '';
  const message =
    status === 401
      ? 'Microsoft Graph rejected the token: the calendar connection needs re-authorization.'
      : code?.toLowerCase() === 'mailboxnotenabledforrestapi' || code?.toLowerCase() === 'mailboxnotsupportedforrestapi'
        ? 'This mailbox cannot be reached through Microsoft Graph (on-premises, inactive or not licensed for Exchange Online).'
        : `Graph HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  let kind: ProviderErrorKind = (code ? kindByCode[code.toLowerCase()] : undefined) ?? kindForStatus(status);
  // ErrorIrresolvableConflict can also answer a plain GET (a concurrent change inside Exchange): nothing of ours
  // was refused, so it is retried like a transient failure.
  if (status === 412 && method === 'GET') kind = 'transient';
  return new GraphCallError(kind, message, code, { status, retryAfterMs: parseRetryAfter(retryAfter, now) });
}

function fromGraphError(e: unknown, method: string): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof GraphError && e.statusCode > 0) {
    let body: unknown = null;
    try {
      body = { error: JSON.parse(String(e.body)) as unknown };
    } catch {
      body = { error: { message: e.message } };
    }
    return providerErrorFromStatus(e.statusCode, body, e.headers?.get('retry-after'), undefined, method);
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
    method: string,
    path: string,
    run: (req: ReturnType<Client['api']>) => Promise<unknown>,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const slot = new CallSlot();
    try {
      const req = this.client.api(path).middlewareOptions([slot]).headers(headers);
      return (await run(req)) as T;
    } catch (e) {
      throw slot.error ?? fromGraphError(e, method);
    }
  }

  get<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return this.call<T>('GET', path, (r) => r.get(), headers);
  }
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.call<T>('POST', path, (r) => r.post(body), headers);
  }
  patch<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.call<T>('PATCH', path, (r) => r.patch(body), headers);
  }
  delete(path: string, headers?: Record<string, string>): Promise<void> {
    return this.call<void>('DELETE', path, (r) => r.delete(), headers);
  }
}
