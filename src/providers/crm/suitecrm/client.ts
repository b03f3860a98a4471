/**
 * SuiteCRM V8 JSON:API transport: OAuth2 tokens from /Api/access_token (password or client-credentials grant,
 * refresh when the server gave a refresh token), bearer calls under /Api/V8, JSON:API paging, and HTTP failures
 * mapped to the engine's ProviderError classes (429/503 → transient with Retry-After).
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { OAuthSession, renewedFrom } from '../../http/oauth-session';
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
  /**
   * The connector user's own mailbox (the engine's user), given at connect: an activity assigned to the CRM user is
   * theirs even when the SuiteCRM user has no e-mail address or another one.
   */
  mailbox?: string;
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
}

/** One parsed answer: status and JSON body (null when empty or not JSON). */
interface Answer {
  status: number;
  body: unknown;
  res: Response;
}

/** The V8 API's error detail (`errors` is an object in SuiteCRM 7.14, an array in some JSON:API clients). */
function errorDetail(body: unknown): string {
  const b = body as { errors?: { detail?: unknown } | { detail?: unknown }[] } | null;
  const err = Array.isArray(b?.errors) ? b.errors[0] : b?.errors;
  return typeof err?.detail === 'string' ? err.detail : '';
}

/** "Meetings module with id <id> is not found": a deleted or unknown record (also what a deleted-filter list says). */
const notFoundDetail = /^(\w+) module with id ([\w-]+) is not found$/;
const accessDeniedDetail = /\[AccessDeniedException\]/;

/** The id a "module with id … is not found" answer names, when it names one of this module. */
export function notFoundId(body: unknown, module: string): string | null {
  const m = notFoundDetail.exec(errorDetail(body).trim());
  return m && m[1] === module ? (m[2] ?? null) : null;
}

/**
 * Classifies a failed V8 answer by status and by the few shapes SuiteCRM is known to send. Never copies SuiteCRM's
 * own text into the message: some of it carries what was submitted (a 500 on the token endpoint echoes the
 * password). `what` is ours (method + module path), never a request body.
 */
function apiError(a: Answer, what: string, module: string | null, now: Date): ProviderError {
  const detail = errorDetail(a.body);
  if (a.status === 400 && accessDeniedDetail.test(detail)) {
    return new ProviderError(
      'forbidden',
      `SuiteCRM denies this user access to ${module ?? 'a module'} (the user's role): ${what}`,
      { status: 400 },
    );
  }
  if (a.status === 400 && notFoundDetail.test(detail.trim())) {
    return new ProviderError('not-found', `SuiteCRM has no such record (${what})`, { status: 400 });
  }
  return providerErrorFromResponse(a.res, `SuiteCRM refused ${what}`, now);
}

/** Token endpoint failures: bad credentials in whichever shape this SuiteCRM uses; never its message. */
function tokenError(a: Answer, now: Date): ProviderError {
  const b = (a.body ?? {}) as { error?: unknown; error_description?: unknown };
  const description = typeof b.error_description === 'string' ? b.error_description : '';
  // league/oauth2-server: 400/401 (invalid_client, invalid_grant, invalid_request). SuiteCRM 7.14's own user check
  // throws instead: HTTP 500 unknown_error "The password is invalid: <password>" / "No user found with this username".
  const rejected =
    a.status === 400 ||
    a.status === 401 ||
    (a.status === 500 && /^(The password is invalid|No user found with this username)/.test(description));
  if (rejected) {
    const what =
      b.error === 'invalid_client'
        ? 'the client ID or secret'
        : /username/.test(description)
          ? 'the user name'
          : 'the credentials';
    return new ProviderError('auth', `SuiteCRM rejected ${what}`, { status: a.status });
  }
  return providerErrorFromResponse(a.res, 'SuiteCRM could not issue a token', now);
}

function moduleOfPath(path: string): string | null {
  return /^\/module\/(\w+)/.exec(path)?.[1] ?? null;
}

/** A description of a call without ids, bodies or query values (safe for messages and logs). */
function describeCall(method: string, path: string): string {
  return `${method} ${path.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27,}/gi, '/{id}')}`;
}

interface SuiteCrmTokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
}

export class SuiteCrmClient {
  private secrets: SuiteCrmSecrets;
  private readonly session: OAuthSession<SuiteCrmTokenAnswer>;

  constructor(
    readonly baseUrl: string,
    secrets: SuiteCrmSecrets,
    private readonly fetch: FetchLike,
    private readonly onTokens: (secrets: SuiteCrmSecrets) => Promise<void>,
    private readonly now: Clock = systemClock,
  ) {
    this.secrets = { ...secrets };
    this.session = new OAuthSession<SuiteCrmTokenAnswer>({
      tokens: {
        accessToken: secrets.accessToken ?? '',
        ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
        expiresAt: secrets.accessTokenExpiresAt ?? null,
      },
      renew: async ({ refreshToken }) => renewedFrom(await this.grant(refreshToken)),
      save: async (t) => {
        this.secrets.accessToken = t.accessToken;
        if (t.refreshToken) this.secrets.refreshToken = t.refreshToken;
        if (t.expiresAt) this.secrets.accessTokenExpiresAt = t.expiresAt;
        await this.onTokens(this.current);
      },
      now: this.now,
      defaultExpiresIn: 3600,
      // The stored grant (password or client credentials) can always get a token, refresh token or not.
      renewWithoutRefreshToken: true,
      unknownExpiryIsStale: true,
    });
  }

  get current(): SuiteCrmSecrets {
    return { ...this.secrets };
  }

  /** Gets a fresh access token: the refresh token first, then the grant itself (stored credentials). */
  async authenticate(): Promise<void> {
    await this.session.refresh();
  }

  private async grant(refreshToken: string | undefined): Promise<SuiteCrmTokenAnswer> {
    if (refreshToken) {
      try {
        return await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
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
    return this.tokenRequest(
      this.secrets.grant === 'password'
        ? { grant_type: 'password', username: this.secrets.username ?? '', password: this.secrets.password ?? '' }
        : { grant_type: 'client_credentials' },
    );
  }

  private async tokenRequest(params: Record<string, string>): Promise<SuiteCrmTokenAnswer> {
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
    const answer = await parse(res);
    if (!res.ok) throw tokenError(answer, this.now());
    const json = answer.body as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown } | null;
    if (typeof json?.access_token !== 'string' || !json.access_token)
      throw new ProviderError('permanent', 'SuiteCRM token response without access_token');
    return {
      access_token: json.access_token,
      ...(typeof json.refresh_token === 'string' && json.refresh_token ? { refresh_token: json.refresh_token } : {}),
      ...(typeof json.expires_in === 'number' ? { expires_in: json.expires_in } : {}),
    };
  }

  /** One V8 call, answered whatever its status (a 401 renews the token once). */
  async send(method: string, path: string, options: { query?: URLSearchParams; body?: unknown } = {}): Promise<Answer> {
    const url = `${this.baseUrl}/Api/V8${path}${options.query && [...options.query].length ? `?${options.query.toString()}` : ''}`;
    const res = await this.session.send(async (token) => {
      try {
        return await this.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/vnd.api+json',
            ...(options.body !== undefined ? { 'content-type': 'application/vnd.api+json' } : {}),
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
    });
    return parse(res);
  }

  /** One V8 call; `path` is relative to /Api/V8 (e.g. /module/Meetings). Returns the parsed JSON body. */
  async call(
    method: string,
    path: string,
    options: { query?: URLSearchParams; body?: unknown } = {},
  ): Promise<unknown> {
    const answer = await this.send(method, path, options);
    if (answer.status < 200 || answer.status >= 300) {
      throw apiError(answer, describeCall(method, path), moduleOfPath(path), this.now());
    }
    if (answer.body === undefined) {
      throw new ProviderError(
        'permanent',
        `SuiteCRM answered ${describeCall(method, path)} with something that is not JSON`,
        {
          status: answer.status,
        },
      );
    }
    return answer.body;
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

  /**
   * Ids of the module's records deleted (soft, deleted=1) matching the filter. The V8 API cannot list them: a list
   * that matches a deleted row answers 400 "<Module> module with id <id> is not found" for that row. With one row
   * per page, page n names the n-th deleted row, until a page comes back empty (200).
   */
  async deletedIds(module: string, query: URLSearchParams, limit = 10_000): Promise<string[]> {
    const out: string[] = [];
    for (let page = 1; page <= limit; page++) {
      const q = new URLSearchParams(query);
      q.set('filter[deleted][eq]', '1');
      q.set('page[size]', '1');
      q.set('page[number]', String(page));
      const path = `/module/${module}`;
      const answer = await this.send('GET', path, { query: q });
      if (answer.status === 200) {
        const data = (answer.body as ListDocument | null)?.data ?? [];
        // Never seen (a deleted row always fails the read), but a row listed here is deleted all the same.
        for (const r of data) out.push(r.id);
        if (data.length === 0) return out;
        continue;
      }
      const id = answer.status === 400 ? notFoundId(answer.body, module) : null;
      if (!id) throw apiError(answer, describeCall('GET', path), module, this.now());
      out.push(id);
    }
    return out;
  }
}

async function parse(res: Response): Promise<Answer> {
  const text = await res.text().catch(() => '');
  if (!text) return { status: res.status, body: null, res };
  try {
    return { status: res.status, body: JSON.parse(text) as unknown, res };
  } catch {
    return { status: res.status, body: undefined, res };
  }
}
