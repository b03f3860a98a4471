/**
 * SuiteCRM V8 JSON:API transport: OAuth2 tokens from /Api/access_token (password or client-credentials grant,
 * refresh when the server gave a refresh token), bearer calls under /Api/V8, JSON:API paging, and HTTP failures
 * mapped to the engine's ProviderError classes (429/503 → transient with Retry-After).
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { systemClock, type Clock } from '../../../shared/clock';

export type SuiteCrmGrant = 'password' | 'client_credentials';

/** What the vault keeps for a SuiteCRM connection. */
export interface SuiteCrmSecrets {
  grant: SuiteCrmGrant;
  clientId: string;
  clientSecret: string;
  username?: string;
  password?: string;
  accessToken?: string;
  refreshToken?: string;
  /** ISO instant the access token expires. */
  accessTokenExpiresAt?: string;
  /** The CRM user the connector acts for (password grant, or the configured user), when known. */
  userId?: string;
  userEmail?: string;
  /** Optional custom checkbox field (e.g. sync_to_calendar_c) holding the Sync-to-calendar flag. */
  syncFlagField?: string;
}

export function secretsToRecord(s: SuiteCrmSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

export function secretsFromRecord(r: Record<string, string>): SuiteCrmSecrets {
  const grant = r['grant'] === 'client_credentials' ? 'client_credentials' : 'password';
  if (!r['clientId'] || !r['clientSecret'])
    throw new ProviderError('auth', 'SuiteCRM connection lacks its client credentials');
  return { ...r, grant, clientId: r['clientId'], clientSecret: r['clientSecret'] };
}

export interface JsonApiResource {
  type: string;
  id: string;
  attributes?: Record<string, unknown>;
}

interface ListDocument {
  data?: JsonApiResource[];
  meta?: { 'total-pages'?: number };
  links?: { next?: string };
}

async function readDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      errors?: { detail?: string; title?: string } | { detail?: string; title?: string }[];
      error_description?: string;
      message?: string;
      error?: string;
    };
    const err = Array.isArray(body.errors) ? body.errors[0] : body.errors;
    return err?.detail ?? err?.title ?? body.error_description ?? body.message ?? body.error ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

export class SuiteCrmClient {
  private secrets: SuiteCrmSecrets;

  constructor(
    readonly baseUrl: string,
    secrets: SuiteCrmSecrets,
    private readonly fetch: FetchLike,
    private readonly onTokens: (secrets: SuiteCrmSecrets) => Promise<void>,
    private readonly now: Clock = systemClock,
  ) {
    this.secrets = { ...secrets };
  }

  get current(): SuiteCrmSecrets {
    return { ...this.secrets };
  }

  /** Gets a fresh access token: the refresh token first, then the grant itself (stored credentials). */
  async authenticate(): Promise<void> {
    if (this.secrets.refreshToken) {
      try {
        await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: this.secrets.refreshToken });
        return;
      } catch (e) {
        if (
          !(e instanceof ProviderError) ||
          e.kind !== 'auth' ||
          this.secrets.grant !== 'password' ||
          !this.secrets.password
        )
          throw e;
      }
    }
    await this.tokenRequest(
      this.secrets.grant === 'password'
        ? { grant_type: 'password', username: this.secrets.username ?? '', password: this.secrets.password ?? '' }
        : { grant_type: 'client_credentials' },
    );
  }

  private async tokenRequest(params: Record<string, string>): Promise<void> {
    const body = new URLSearchParams({
      ...params,
      client_id: this.secrets.clientId,
      client_secret: this.secrets.clientSecret,
      scope: '',
    });
    let res: Response;
    try {
      res = await this.fetch(`${this.baseUrl}/Api/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
      });
    } catch (e) {
      throw providerErrorFromNetwork(e, false);
    }
    if (!res.ok) {
      const detail = await readDetail(res);
      // league/oauth2-server answers bad credentials with 400 or 401 depending on version: both mean "re-authorize".
      if (res.status === 400 || res.status === 401) {
        throw new ProviderError('auth', `SuiteCRM refused the credentials: ${detail}`, { status: res.status });
      }
      throw providerErrorFromResponse(res, detail, this.now());
    }
    const json = (await res.json().catch(() => null)) as {
      access_token?: string;
      refresh_token?: string;
      expires_in?: number;
    } | null;
    if (!json?.access_token) throw new ProviderError('permanent', 'SuiteCRM token response without access_token');
    this.secrets.accessToken = json.access_token;
    if (json.refresh_token) this.secrets.refreshToken = json.refresh_token;
    this.secrets.accessTokenExpiresAt = new Date(this.now().getTime() + (json.expires_in ?? 3600) * 1000).toISOString();
    await this.onTokens(this.current);
  }

  private tokenFresh(): boolean {
    const exp = this.secrets.accessTokenExpiresAt ? Date.parse(this.secrets.accessTokenExpiresAt) : 0;
    return Boolean(this.secrets.accessToken) && exp - 60_000 > this.now().getTime();
  }

  /** One V8 call; `path` is relative to /Api/V8 (e.g. /module/Meetings). Returns the parsed JSON body. */
  async call(
    method: string,
    path: string,
    options: { query?: URLSearchParams; body?: unknown } = {},
  ): Promise<unknown> {
    if (!this.tokenFresh()) await this.authenticate();
    const url = `${this.baseUrl}/Api/V8${path}${options.query && [...options.query].length ? `?${options.query.toString()}` : ''}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.secrets.accessToken ?? ''}`,
            accept: 'application/vnd.api+json',
            ...(options.body !== undefined ? { 'content-type': 'application/vnd.api+json' } : {}),
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        await this.authenticate();
        continue;
      }
      if (!res.ok) throw providerErrorFromResponse(res, await readDetail(res), this.now());
      const text = await res.text();
      if (!text) return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ProviderError('permanent', `SuiteCRM answered ${path} with something that is not JSON`, {
          status: res.status,
        });
      }
    }
  }

  /** Every record of a listing, following page numbers until meta.total-pages. */
  async listAll(module: string, query: URLSearchParams, pageSize = 100): Promise<JsonApiResource[]> {
    const out: JsonApiResource[] = [];
    for (let page = 1; ; page++) {
      const q = new URLSearchParams(query);
      q.set('page[size]', String(pageSize));
      q.set('page[number]', String(page));
      const doc = (await this.call('GET', `/module/${module}`, { query: q })) as ListDocument | null;
      const data = doc?.data ?? [];
      out.push(...data);
      const total = doc?.meta?.['total-pages'] ?? 1;
      if (page >= total || data.length === 0) return out;
    }
  }
}
