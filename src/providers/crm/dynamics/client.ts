/**
 * Dataverse Web API transport (v9.2): Entra tokens (authorization code + PKCE, refresh), OData calls with one
 * refresh retry on 401, change-tracking pages (Prefer: odata.track-changes → @odata.nextLink … @odata.deltaLink),
 * and $batch requests of independent operations (multipart/mixed, odata.continue-on-error) whose answers are
 * parsed back one per operation. Service-protection limits answer 429 with Retry-After: transient.
 */
import crypto from 'node:crypto';
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { OAuthSession, renewedFrom } from '../../http/oauth-session';
import { systemClock, type Clock } from '../../../shared/clock';

export const dataversePath = '/api/data/v9.2';

export interface DynamicsSecrets {
  clientId: string;
  clientSecret?: string;
  tenant: string;
  authorityUrl: string;
  orgUrl: string;
  accessToken: string;
  refreshToken?: string;
  accessTokenExpiresAt?: string;
  userId: string;
  userEmail?: string;
}

export function dynamicsSecretsToRecord(s: DynamicsSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v) out[k] = v;
  return out;
}

export function dynamicsSecretsFromRecord(r: Record<string, string>): DynamicsSecrets {
  for (const k of ['clientId', 'tenant', 'authorityUrl', 'orgUrl', 'accessToken', 'userId']) {
    if (!r[k]) throw new ProviderError('auth', `Dynamics connection lacks ${k}`);
  }
  return r as unknown as DynamicsSecrets;
}

/**
 * The error code of a failed answer (Dataverse `{ error: { code } }`, Entra `{ error }`). Only the code is kept:
 * Dataverse's and Entra's message text can echo request data (ids, filter values, column values), so no message
 * a user or log sees repeats it.
 */
export function errorCodeOfBody(body: unknown): string | null {
  const e = (body as { error?: unknown } | null)?.error;
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : e;
  return typeof code === 'string' && /^[\w.-]{1,80}$/.test(code) ? code : null;
}

async function detail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    return errorCodeOfBody(JSON.parse(text)) ?? '';
  } catch {
    return '';
  }
}

/** The entity set a Web API path is about (appointments(…), tasks?$filter=…), for messages. */
export function entitySetOf(pathOrUrl: string): string | null {
  const path = pathOrUrl.replace(/^https?:\/\/[^/]+/, '').replace(/^\/api\/data\/v[\d.]+\//, '');
  return /^(\w+)/.exec(path)?.[1] ?? null;
}

/** Our words for a refused call: the code and the entity set, never the vendor's text. */
export function dataverseError(
  status: number,
  code: string | null,
  method: string,
  set: string | null,
  base: ProviderError,
): ProviderError {
  if (status === 403) {
    const op = method === 'GET' ? 'read' : method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : 'write';
    return new ProviderError(
      'forbidden',
      `This Dynamics 365 user's security roles do not allow them to ${op} ${set ?? 'this table'}${code ? ` (${code})` : ''}`,
      { status },
    );
  }
  return base;
}

export interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
}

export async function entraToken(
  fetch: FetchLike,
  s: { authorityUrl: string; tenant: string },
  body: URLSearchParams,
  now: () => Date,
): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(`${s.authorityUrl}/${encodeURIComponent(s.tenant)}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    });
  } catch (e) {
    throw providerErrorFromNetwork(e, false);
  }
  if (!res.ok) {
    const clone = res.clone();
    const d = await detail(res);
    if (res.status === 400 || res.status === 401)
      throw new ProviderError('auth', `Entra refused the authorization (${d || `HTTP ${res.status}`})`, {
        status: res.status,
      });
    throw providerErrorFromResponse(clone, `Entra token endpoint${d ? ` ${d}` : ''}`, now());
  }
  const json = (await res.json().catch(() => null)) as TokenAnswer | null;
  if (!json?.access_token) throw new ProviderError('permanent', 'Entra token response without access_token');
  return json;
}

export interface BatchOperation {
  method: 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the Web API root, e.g. `appointments(…)`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface BatchAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export class DynamicsClient {
  private secrets: DynamicsSecrets;
  private readonly session: OAuthSession<TokenAnswer>;

  constructor(
    secrets: DynamicsSecrets,
    private readonly safeFetch: FetchLike,
    private readonly tokenFetch: FetchLike,
    private readonly onTokens: (s: DynamicsSecrets) => Promise<void>,
    private readonly now: Clock = systemClock,
  ) {
    this.secrets = { ...secrets };
    this.session = new OAuthSession<TokenAnswer>({
      tokens: {
        accessToken: secrets.accessToken,
        ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
        expiresAt: secrets.accessTokenExpiresAt ?? null,
      },
      renew: async ({ refreshToken }) => {
        const body = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken ?? '',
          client_id: this.secrets.clientId,
          scope: `${this.secrets.orgUrl}/user_impersonation offline_access`,
        });
        if (this.secrets.clientSecret) body.set('client_secret', this.secrets.clientSecret);
        return renewedFrom(await entraToken(this.tokenFetch, this.secrets, body, this.now));
      },
      save: async (t) => {
        this.secrets.accessToken = t.accessToken;
        if (t.refreshToken) this.secrets.refreshToken = t.refreshToken;
        if (t.expiresAt) this.secrets.accessTokenExpiresAt = t.expiresAt;
        await this.onTokens(this.current);
      },
      now: this.now,
      // Entra's access token is renewed after a 401 only (as this connector always did).
      marginMs: null,
      defaultExpiresIn: 3600,
      expiredMessage: 'Dynamics session expired and there is no refresh token',
    });
  }

  get current(): DynamicsSecrets {
    return { ...this.secrets };
  }

  get apiRoot(): string {
    return `${this.secrets.orgUrl}${dataversePath}`;
  }

  /** A Web API request; `pathOrUrl` is relative to the API root or an absolute link the API gave (same org). */
  async raw(
    method: string,
    pathOrUrl: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.apiRoot}/${pathOrUrl}`;
    if (!url.startsWith(`${this.secrets.orgUrl}/`))
      throw new ProviderError('permanent', 'Dataverse returned a link to another host');
    const res = await this.session.send(async (token) => {
      try {
        return await this.safeFetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'odata-version': '4.0',
            'odata-maxversion': '4.0',
            ...(init.headers ?? {}),
          },
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
    });
    if (!res.ok) {
      const clone = res.clone();
      const code = await detail(res);
      const set = entitySetOf(url);
      throw dataverseError(
        res.status,
        code || null,
        method,
        set,
        providerErrorFromResponse(clone, `Dataverse ${method} ${set ?? 'call'}${code ? `: ${code}` : ''}`, this.now()),
      );
    }
    return res;
  }

  async json<T>(method: string, pathOrUrl: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, pathOrUrl, {
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    });
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Every page of a listing (following @odata.nextLink); returns the rows and the final @odata.deltaLink, if any. */
  async pages<T>(first: string, prefer: string): Promise<{ rows: T[]; deltaLink: string | null }> {
    const rows: T[] = [];
    const deltaLink = await this.eachPage<T>(first, prefer, async (page) => {
      rows.push(...page);
    });
    return { rows, deltaLink };
  }

  /**
   * Hands each page of a listing to `onPage` before reading the next (so a caller can let it go); returns the
   * final @odata.deltaLink, if any. Dataverse's skip token is a paging cookie naming the last record read, not an
   * offset, so rows changing while the caller works do not shift later pages.
   */
  async eachPage<T>(first: string, prefer: string, onPage: (rows: T[]) => Promise<void>): Promise<string | null> {
    let next: string | null = first;
    while (next) {
      const page: { value?: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } = await this.json(
        'GET',
        next,
        undefined,
        { prefer },
      );
      await onPage(page.value ?? []);
      if (page['@odata.deltaLink']) return page['@odata.deltaLink'];
      next = page['@odata.nextLink'] ?? null;
    }
    return null;
  }

  async batch(ops: BatchOperation[]): Promise<BatchAnswer[]> {
    if (ops.length === 0) return [];
    const boundary = `batch_${crypto.randomUUID()}`;
    const parts = ops.map((op) => {
      const headers = {
        ...(op.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(op.headers ?? {}),
      };
      return [
        `--${boundary}`,
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        '',
        `${op.method} ${this.apiRoot}/${op.path} HTTP/1.1`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        op.body !== undefined ? JSON.stringify(op.body) : '',
      ].join('\r\n');
    });
    const res = await this.raw('POST', '$batch', {
      body: `${parts.join('\r\n')}\r\n--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/mixed; boundary=${boundary}`, prefer: 'odata.continue-on-error' },
    });
    const answers = parseBatchResponse(res.headers.get('content-type') ?? '', await res.text());
    if (answers.length !== ops.length)
      throw new ProviderError('permanent', `Dataverse $batch answered ${answers.length} of ${ops.length} operations`);
    return answers;
  }
}

/** Splits a multipart/mixed $batch response into its HTTP answers. */
export function parseBatchResponse(contentType: string, text: string): BatchAnswer[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new ProviderError('permanent', 'Dataverse $batch answer without a boundary');
  const answers: BatchAnswer[] = [];
  for (const chunk of text.split(`--${boundary}`)) {
    const part = chunk.replace(/^\r?\n/, '');
    if (!part.trim() || part.startsWith('--')) continue;
    const http = part.indexOf('HTTP/1.1 ');
    if (http < 0) continue;
    const rest = part.slice(http);
    const [head = '', ...bodyParts] = rest.split(/\r?\n\r?\n/);
    const [statusLine = '', ...headerLines] = head.split(/\r?\n/);
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const bodyText = bodyParts.join('\n\n').trim();
    let body: unknown = null;
    if (bodyText) {
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = bodyText;
      }
    }
    answers.push({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body });
  }
  return answers;
}
