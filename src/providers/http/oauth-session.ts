/**
 * One OAuth session for every connector that holds tokens (Dynamics, Salesforce, SuiteCRM, Google, HubSpot,
 * Pipedrive, Zoho): an access token renewed shortly before it expires (where the connector wants that), renewed
 * once and the request sent again after a 401, concurrent callers sharing one renewal, and the rotated tokens handed
 * to `save` (the server's vault) before they are used. How tokens are obtained stays with each connector (`renew`:
 * its token endpoint and grant); the session only decides when.
 */
import { ProviderError } from '../../sync/errors';

export interface SessionTokens {
  accessToken: string;
  refreshToken?: string;
  /** ISO instant; null when unknown (a private-app or API token never expires; Salesforce does not say). */
  expiresAt: string | null;
}

/** What a renewal gave: the tokens, and the vendor's whole answer for `save` (Salesforce's instance_url, …). */
export interface Renewed<A> {
  accessToken: string;
  /** A rotated refresh token; absent: the current one stays. */
  refreshToken?: string;
  /** Seconds. */
  expiresIn?: number;
  answer: A;
}

/** An RFC 6749 token answer (access_token, refresh_token, expires_in) as a renewal. */
export function renewedFrom<A extends { access_token: string; refresh_token?: string; expires_in?: number }>(
  t: A,
): Renewed<A> {
  return {
    accessToken: t.access_token,
    ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
    ...(t.expires_in !== undefined ? { expiresIn: t.expires_in } : {}),
    answer: t,
  };
}

export interface OAuthSessionOptions<A> {
  tokens: SessionTokens;
  /** Gets new tokens with the current ones (a refresh grant, or the grant a connector falls back to); null: none. */
  renew: ((current: SessionTokens) => Promise<Renewed<A>>) | null;
  /** Persists the new tokens (and whatever else the answer changed) before they are used. */
  save: (tokens: SessionTokens, answer: A) => Promise<void>;
  now: () => Date;
  /** Renew this long before the access token expires; null: only after a 401. Default one minute. */
  marginMs?: number | null;
  /** Lifetime assumed when a renewal answer has no expires_in; null (default): unknown. */
  defaultExpiresIn?: number | null;
  /** `renew` works without a refresh token (SuiteCRM's stored password or client-credentials grant). */
  renewWithoutRefreshToken?: boolean;
  /** A missing access token, or one of unknown expiry, is renewed before use (SuiteCRM). */
  unknownExpiryIsStale?: boolean;
  /** The auth error's words when the token expired and nothing can renew it. */
  expiredMessage?: string;
}

export class OAuthSession<A = unknown> {
  private tokens: SessionTokens;
  private pending: Promise<void> | null = null;

  constructor(private readonly o: OAuthSessionOptions<A>) {
    this.tokens = { ...o.tokens };
  }

  get current(): SessionTokens {
    return { ...this.tokens };
  }

  /** Whether a renewal can be attempted at all. */
  get canRefresh(): boolean {
    return Boolean(this.o.renew && (this.tokens.refreshToken || this.o.renewWithoutRefreshToken));
  }

  private stale(): boolean {
    if (!this.tokens.accessToken) return true;
    const margin = this.o.marginMs === undefined ? 60_000 : this.o.marginMs;
    if (margin === null) return false;
    const at = this.tokens.expiresAt ? Date.parse(this.tokens.expiresAt) : NaN;
    if (Number.isNaN(at)) return Boolean(this.o.unknownExpiryIsStale);
    return at - this.o.now().getTime() <= margin;
  }

  /** A usable access token, renewed first when it is about to expire. */
  async token(): Promise<string> {
    if (this.canRefresh && this.stale()) await this.refresh();
    return this.tokens.accessToken;
  }

  /** Renews now (one renewal for concurrent callers); an auth error when nothing can renew the token. */
  async refresh(): Promise<void> {
    const renew = this.o.renew;
    if (!renew || (!this.tokens.refreshToken && !this.o.renewWithoutRefreshToken))
      throw new ProviderError(
        'auth',
        this.o.expiredMessage ?? 'the access token expired and there is no refresh token',
      );
    this.pending ??= (async () => {
      try {
        const r = await renew(this.current);
        const expiresIn = r.expiresIn ?? this.o.defaultExpiresIn ?? undefined;
        this.tokens = {
          accessToken: r.accessToken,
          ...((r.refreshToken ?? this.tokens.refreshToken)
            ? { refreshToken: r.refreshToken ?? this.tokens.refreshToken }
            : {}),
          expiresAt: expiresIn === undefined ? null : new Date(this.o.now().getTime() + expiresIn * 1000).toISOString(),
        };
        await this.o.save(this.current, r.answer);
      } finally {
        this.pending = null;
      }
    })();
    await this.pending;
  }

  /**
   * Sends a request with a fresh access token; after a 401 the token is renewed once and the request sent again
   * (the second answer is returned whatever it is). `request` throws its own network errors.
   */
  async send(request: (accessToken: string) => Promise<Response>): Promise<Response> {
    const first = await request(await this.token());
    if (first.status !== 401 || !this.o.renew) return first;
    await first.body?.cancel();
    await this.refresh();
    return request(this.tokens.accessToken);
  }
}
