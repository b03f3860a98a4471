/**
 * HubSpot API transport (CRM v3 objects, associations v4, owners v3, OAuth v1): bearer calls with an OAuth
 * session (30-minute access tokens refreshed shortly before expiry, and once after a 401) or a private-app token,
 * search requests spaced to HubSpot's 4 per second per token, and rate-limit answers turned into transient errors
 * that carry when to come back (Retry-After, else the X-HubSpot-RateLimit-* window). Error messages name HubSpot's
 * error category and a message scrubbed of every credential this client holds.
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import {
  oauthTokenRequest,
  OAuthSession,
  scrubSecrets,
  type SessionTokens,
  type TokenAnswer,
} from '../../http/oauth-token';

export const hubspotApiBase = 'https://api.hubapi.com';
export const hubspotAppBase = 'https://app.hubspot.com';
/** HubSpot: "The search endpoints are rate limited to four requests per second per authentication token." */
export const searchIntervalMs = 250;

export interface HubSpotSecrets {
  /** `oauth` (public app, refreshable) or `private-app` (a static token). */
  method: 'oauth' | 'private-app';
  accessToken: string;
  refreshToken?: string;
  accessTokenExpiresAt?: string;
  clientId?: string;
  clientSecret?: string;
  /** The connected user's owner id (hubspot_owner_id) and e-mail. */
  ownerId: string;
  userEmail: string;
  /** The portal (hub) id, for deep links; unknown for a private app. */
  portalId?: string;
  /** Optional checkbox property holding the Sync-to-calendar flag. */
  syncFlagProperty?: string;
}

export function hubspotSecretsToRecord(s: HubSpotSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v) out[k] = v;
  return out;
}

export function hubspotSecretsFromRecord(r: Record<string, string>): HubSpotSecrets {
  for (const k of ['method', 'accessToken', 'ownerId', 'userEmail']) {
    if (!r[k]) throw new ProviderError('auth', `HubSpot connection lacks ${k}`);
  }
  if (r['method'] !== 'oauth' && r['method'] !== 'private-app')
    throw new ProviderError('auth', 'HubSpot connection has an unknown method');
  return r as unknown as HubSpotSecrets;
}

export interface HubSpotTransportOptions {
  apiBase: string;
  fetch: FetchLike;
  now: () => Date;
  /** Persists refreshed tokens. */
  onTokens: (s: HubSpotSecrets) => Promise<void>;
  /** Minimum spacing of search requests (ms); 0 turns the spacing off (tests on a double). */
  searchIntervalMs?: number;
  /** For the spacing: a monotonic clock (ms) and a sleep; defaults are performance.now and setTimeout. */
  monotonic?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Exchanges or refreshes at POST /oauth/v1/token (form; client secret in the form, as HubSpot documents). */
export function hubspotToken(
  fetch: FetchLike,
  apiBase: string,
  form: Record<string, string>,
  now: () => Date,
): Promise<TokenAnswer> {
  return oauthTokenRequest(fetch, `${apiBase}/oauth/v1/token`, form, { vendor: 'HubSpot', now });
}

export class HubSpotClient {
  private secrets: HubSpotSecrets;
  private readonly session: OAuthSession;
  private lastSearchAt: number | null = null;
  private readonly monotonic: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    secrets: HubSpotSecrets,
    private readonly options: HubSpotTransportOptions,
  ) {
    this.secrets = { ...secrets };
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const tokens: SessionTokens = {
      accessToken: secrets.accessToken,
      ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
      expiresAt: secrets.accessTokenExpiresAt ?? null,
    };
    const refresh =
      secrets.method === 'oauth' && secrets.clientId && secrets.clientSecret
        ? (refreshToken: string) =>
            hubspotToken(
              options.fetch,
              options.apiBase,
              {
                grant_type: 'refresh_token',
                refresh_token: refreshToken,
                client_id: secrets.clientId!,
                client_secret: secrets.clientSecret!,
              },
              options.now,
            )
        : null;
    this.session = new OAuthSession(
      tokens,
      refresh,
      async (t) => {
        this.secrets = {
          ...this.secrets,
          accessToken: t.accessToken,
          ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
          ...(t.expiresAt ? { accessTokenExpiresAt: t.expiresAt } : {}),
        };
        await options.onTokens(this.current);
      },
      options.now,
    );
  }

  get current(): HubSpotSecrets {
    return { ...this.secrets };
  }

  private scrub(text: string): string {
    return scrubSecrets(text, [this.secrets.accessToken, this.secrets.refreshToken, this.secrets.clientSecret]);
  }

  /** Keeps search requests at least `searchIntervalMs` apart (HubSpot answers 429 past four a second). */
  private async spaceSearch(): Promise<void> {
    const interval = this.options.searchIntervalMs ?? searchIntervalMs;
    if (interval <= 0) return;
    if (this.lastSearchAt !== null) {
      const wait = this.lastSearchAt + interval - this.monotonic();
      if (wait > 0) await this.sleep(wait);
    }
    this.lastSearchAt = this.monotonic();
  }

  private async errorFrom(res: Response): Promise<ProviderError> {
    const clone = res.clone();
    const text = await res.text().catch(() => '');
    let category = '';
    let message = '';
    try {
      const body = JSON.parse(text) as { category?: string; message?: string };
      category = body.category ?? '';
      message = body.message ?? '';
    } catch {
      message = text.slice(0, 200);
    }
    const detail = this.scrub(`${category}${category && message ? ': ' : ''}${message}`);
    const err = providerErrorFromResponse(clone, detail, this.options.now());
    if (res.status === 429 && err.retryAfterMs === undefined) {
      // HubSpot's documented headers: a 10-second window (…-Interval-Milliseconds) or the daily budget.
      const daily = res.headers.get('x-hubspot-ratelimit-daily-remaining');
      const interval = Number(res.headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? '');
      const retryAfterMs = daily === '0' ? 3_600_000 : Number.isFinite(interval) && interval > 0 ? interval : 1_000;
      return new ProviderError('transient', `HubSpot rate limit reached (${detail})`, { status: 429, retryAfterMs });
    }
    return err;
  }

  /** A JSON call; `path` starts with /crm/… or /oauth/…; returns the parsed body (null for 204). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (method === 'POST' && /\/search$/.test(path)) await this.spaceSearch();
    for (let attempt = 0; ; attempt++) {
      const token = await this.session.token();
      let res: Response;
      try {
        res = await this.options.fetch(`${this.options.apiBase}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        const err = providerErrorFromNetwork(e, method !== 'GET' && !/\/(search|batch\/read)$/.test(path));
        throw new ProviderError(err.kind, this.scrub(err.message), { uncertain: err.uncertain, cause: e });
      }
      if (res.status === 401 && attempt === 0 && this.session.canRefresh) {
        await res.body?.cancel();
        await this.session.refresh();
        continue;
      }
      if (!res.ok) throw await this.errorFrom(res);
      if (res.status === 204) return null as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : null) as T;
    }
  }

  /** GET /oauth/v1/access-tokens/{token}: who the OAuth token belongs to and in which portal. */
  async tokenInfo(): Promise<{ user?: string; hub_id: number; scopes: string[] }> {
    const token = await this.session.token();
    return this.call('GET', `/oauth/v1/access-tokens/${encodeURIComponent(token)}`);
  }
}
