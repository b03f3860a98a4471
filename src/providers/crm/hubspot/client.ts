/**
 * HubSpot API transport (CRM v3 objects, associations v4, owners v3, OAuth v1): bearer calls with an OAuth
 * session (30-minute access tokens refreshed shortly before expiry, and once after a 401) or a private-app token,
 * search requests spaced to HubSpot's 4 per second per token, the X-HubSpot-RateLimit-* headers honoured (a used-up
 * 10-second window waits before the next request; a 429 is transient with Retry-After, else the window; the daily
 * limit used up stops the run with one clear error). Error messages name the call and HubSpot's error category only,
 * never HubSpot's message text (it can quote the request or a token).
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import {
  describeCall,
  parseJsonAnswer,
  providerErrorFromNetwork,
  providerErrorFromResponse,
  vendorCode,
} from '../../http/provider-errors';
import { oauthTokenRequest, type TokenAnswer } from '../../http/oauth-token';
import { OAuthSession, renewedFrom } from '../../http/oauth-session';
import { DailyBudget, intHeader } from '../../http/rate-limit';
import { secretsFromRecord, secretsRecord, sessionTokensOf, withTokens } from '../connection-secrets';

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
  return secretsRecord(s);
}

export function hubspotSecretsFromRecord(r: Record<string, string>): HubSpotSecrets {
  const s = secretsFromRecord<HubSpotSecrets>(r, ['method', 'accessToken', 'ownerId', 'userEmail'], 'HubSpot');
  if (s.method !== 'oauth' && s.method !== 'private-app')
    throw new ProviderError('auth', 'HubSpot connection has an unknown method');
  return s;
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
  private readonly session: OAuthSession<TokenAnswer>;
  private readonly budget: DailyBudget;
  private lastSearchAt: number | null = null;
  /** When HubSpot said the burst window is used up (X-HubSpot-RateLimit-Remaining: 0): wait this long first. */
  private burstWaitMs = 0;
  private readonly monotonic: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    secrets: HubSpotSecrets,
    private readonly options: HubSpotTransportOptions,
  ) {
    this.secrets = { ...secrets };
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.budget = new DailyBudget(options.now);
    this.session = new OAuthSession<TokenAnswer>({
      tokens: sessionTokensOf(secrets),
      renew:
        secrets.method === 'oauth' && secrets.clientId && secrets.clientSecret
          ? async ({ refreshToken }) =>
              renewedFrom(
                await hubspotToken(
                  options.fetch,
                  options.apiBase,
                  {
                    grant_type: 'refresh_token',
                    refresh_token: refreshToken ?? '',
                    client_id: secrets.clientId!,
                    client_secret: secrets.clientSecret!,
                  },
                  options.now,
                ),
              )
          : null,
      save: async (t) => {
        this.secrets = withTokens(this.secrets, t);
        await options.onTokens(this.current);
      },
      now: options.now,
    });
  }

  get current(): HubSpotSecrets {
    return { ...this.secrets };
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

  /** HubSpot's documented X-HubSpot-RateLimit-* headers, read on every answer. */
  private readLimits(res: Response): void {
    const remaining = intHeader(res, 'x-hubspot-ratelimit-remaining');
    const interval = intHeader(res, 'x-hubspot-ratelimit-interval-milliseconds');
    this.burstWaitMs = remaining === 0 && interval !== null && interval > 0 ? Math.min(interval, 10_000) : 0;
  }

  private dailyLimitReached(status?: number): ProviderError {
    // HubSpot's daily limit resets at midnight in the account's time zone, which the API does not say.
    return this.budget.exhausted(
      'HubSpot: the account’s daily API limit is used up; syncing stops until it resets at midnight (account time zone).',
      null,
      status,
    );
  }

  private async errorFrom(res: Response, method: string, path: string): Promise<ProviderError> {
    const text = await res.text().catch(() => '');
    let category: string | null = null;
    let policy: string | null = null;
    try {
      const body = JSON.parse(text) as { category?: unknown; policyName?: unknown };
      category = vendorCode(body.category);
      policy = vendorCode(body.policyName);
    } catch {
      category = null;
    }
    // Only HubSpot's error category is kept: its message text can quote the request (or a token).
    const detail = `HubSpot ${describeCall(method, path)}${category ? `: ${category}` : ''}`;
    const err = providerErrorFromResponse(res, detail, this.options.now());
    if (res.status === 429) {
      if (policy === 'DAILY' || intHeader(res, 'x-hubspot-ratelimit-daily-remaining') === 0)
        return this.dailyLimitReached(429);
      const interval = intHeader(res, 'x-hubspot-ratelimit-interval-milliseconds');
      const retryAfterMs = err.retryAfterMs ?? (interval !== null && interval > 0 ? interval : 1_000);
      return new ProviderError('transient', `HubSpot rate limit reached (${describeCall(method, path)})`, {
        status: 429,
        retryAfterMs,
      });
    }
    return err;
  }

  /** A JSON call; `path` starts with /crm/… or /oauth/…; returns the parsed body (null for 204). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.budget.check();
    if (method === 'POST' && /\/search$/.test(path)) await this.spaceSearch();
    if (this.burstWaitMs > 0) await this.sleep(this.burstWaitMs);
    const res = await this.session.send(async (token) => {
      try {
        return await this.options.fetch(`${this.options.apiBase}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET' && !/\/(search|batch\/read)$/.test(path));
      }
    });
    // After a 429 the engine waits the hint it is given; only a successful answer sets the pace of the next request.
    this.burstWaitMs = 0;
    if (!res.ok) throw await this.errorFrom(res, method, path);
    this.readLimits(res);
    if (intHeader(res, 'x-hubspot-ratelimit-daily-remaining') === 0) this.dailyLimitReached();
    if (res.status === 204) return null as T;
    return parseJsonAnswer<T>(await res.text(), 'HubSpot', describeCall(method, path));
  }

  /** GET /oauth/v1/access-tokens/{token}: who the OAuth token belongs to and in which portal. */
  async tokenInfo(): Promise<{ user?: string; hub_id: number; scopes: string[] }> {
    const token = await this.session.token();
    return this.call('GET', `/oauth/v1/access-tokens/${encodeURIComponent(token)}`);
  }
}
