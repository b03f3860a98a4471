/**
 * Zoho CRM v8 transport: OAuth with the data centre's accounts server (tokens for an hour, refreshed by the shared
 * OAuthSession before they expire and once after a 401), calls to the `api_domain` the token answer names with the
 * `Zoho-oauthtoken` header, `If-Modified-Since` where a listing takes it (304 = nothing changed), and errors
 * classified from Zoho's `{code, message}` bodies with every credential scrubbed. Zoho's daily API credits answer
 * 429 (or a 400 `LIMIT_EXCEEDED`): transient, with Retry-After when given, else in an hour.
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { oauthTokenRequest, OAuthSession, scrubSecrets, type TokenAnswer } from '../../http/oauth-token';

/**
 * A Zoho data centre: where accounts (OAuth) and the API live, and the `location` code Zoho's OAuth redirect names it
 * by (Zoho "Multi DC support": `?code=…&location=eu&accounts-server=https://accounts.zoho.eu`).
 */
export interface ZohoDataCentre {
  label: string;
  accounts: string;
  api: string;
  location?: string;
}

export const zohoDataCentres: Record<string, ZohoDataCentre> = {
  com: {
    label: 'United States (zoho.com)',
    accounts: 'https://accounts.zoho.com',
    api: 'https://www.zohoapis.com',
    location: 'us',
  },
  eu: {
    label: 'Europe (zoho.eu)',
    accounts: 'https://accounts.zoho.eu',
    api: 'https://www.zohoapis.eu',
    location: 'eu',
  },
  in: {
    label: 'India (zoho.in)',
    accounts: 'https://accounts.zoho.in',
    api: 'https://www.zohoapis.in',
    location: 'in',
  },
  'com.au': {
    label: 'Australia (zoho.com.au)',
    accounts: 'https://accounts.zoho.com.au',
    api: 'https://www.zohoapis.com.au',
    location: 'au',
  },
  jp: {
    label: 'Japan (zoho.jp)',
    accounts: 'https://accounts.zoho.jp',
    api: 'https://www.zohoapis.jp',
    location: 'jp',
  },
  ca: {
    label: 'Canada (zohocloud.ca)',
    accounts: 'https://accounts.zohocloud.ca',
    api: 'https://www.zohoapis.ca',
    location: 'ca',
  },
  sa: {
    label: 'Saudi Arabia (zoho.sa)',
    accounts: 'https://accounts.zoho.sa',
    api: 'https://www.zohoapis.sa',
    location: 'sa',
  },
  'com.cn': {
    label: 'China (zoho.com.cn)',
    accounts: 'https://accounts.zoho.com.cn',
    api: 'https://www.zohoapis.com.cn',
    location: 'cn',
  },
};

export interface ZohoSecrets {
  accountsBase: string;
  apiBase: string;
  accessToken: string;
  refreshToken?: string;
  accessTokenExpiresAt?: string;
  clientId: string;
  clientSecret: string;
  userId: string;
  userEmail: string;
  /** API name of an optional checkbox field holding the Sync-to-calendar flag. */
  syncFlagField?: string;
}

export function zohoSecretsToRecord(s: ZohoSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v) out[k] = v;
  return out;
}

export function zohoSecretsFromRecord(r: Record<string, string>): ZohoSecrets {
  for (const k of ['accountsBase', 'apiBase', 'accessToken', 'clientId', 'clientSecret', 'userId', 'userEmail']) {
    if (!r[k]) throw new ProviderError('auth', `Zoho connection lacks ${k}`);
  }
  return r as unknown as ZohoSecrets;
}

export function zohoToken(
  fetch: FetchLike,
  accountsBase: string,
  form: Record<string, string>,
  now: () => Date,
): Promise<TokenAnswer> {
  return oauthTokenRequest(fetch, `${accountsBase}/oauth/v2/token`, form, { vendor: 'Zoho', now });
}

export class ZohoClient {
  private secrets: ZohoSecrets;
  private readonly session: OAuthSession;

  constructor(
    secrets: ZohoSecrets,
    private readonly options: { fetch: FetchLike; now: () => Date; onTokens: (s: ZohoSecrets) => Promise<void> },
  ) {
    this.secrets = { ...secrets };
    this.session = new OAuthSession(
      {
        accessToken: secrets.accessToken,
        ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
        expiresAt: secrets.accessTokenExpiresAt ?? null,
      },
      (refreshToken) =>
        zohoToken(
          options.fetch,
          secrets.accountsBase,
          {
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
            client_id: secrets.clientId,
            client_secret: secrets.clientSecret,
          },
          options.now,
        ),
      async (t) => {
        this.secrets = {
          ...this.secrets,
          accessToken: t.accessToken,
          ...(t.expiresAt ? { accessTokenExpiresAt: t.expiresAt } : {}),
        };
        await options.onTokens(this.current);
      },
      options.now,
    );
  }

  get current(): ZohoSecrets {
    return { ...this.secrets };
  }

  private scrub(text: string): string {
    return scrubSecrets(text, [this.secrets.accessToken, this.secrets.refreshToken, this.secrets.clientSecret]);
  }

  /** A JSON call; `path` starts with /crm/v8/…. Returns null for 204 (no content) and 304 (not modified). */
  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.session.token();
      let res: Response;
      try {
        res = await this.options.fetch(`${this.secrets.apiBase}${path}`, {
          method,
          headers: {
            authorization: `Zoho-oauthtoken ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        const err = providerErrorFromNetwork(e, method !== 'GET');
        throw new ProviderError(err.kind, this.scrub(err.message), { uncertain: err.uncertain, cause: e });
      }
      if (res.status === 401 && attempt === 0 && this.session.canRefresh) {
        await res.body?.cancel();
        await this.session.refresh();
        continue;
      }
      if (res.status === 204 || res.status === 304) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) throw await this.errorFrom(res);
      const text = await res.text();
      return (text ? JSON.parse(text) : null) as T;
    }
  }

  private async errorFrom(res: Response): Promise<ProviderError> {
    const clone = res.clone();
    const text = await res.text().catch(() => '');
    let code = '';
    let message = '';
    try {
      const body = JSON.parse(text) as { code?: string; message?: string };
      code = body.code ?? '';
      message = body.message ?? '';
    } catch {
      message = text.slice(0, 200);
    }
    const detail = this.scrub(`${code}${code && message ? ': ' : ''}${message}`);
    if (res.status === 429 || code === 'LIMIT_EXCEEDED' || code === 'TOO_MANY_REQUESTS') {
      const err = providerErrorFromResponse(clone, detail, this.options.now());
      return new ProviderError('transient', `Zoho API limit reached (${detail})`, {
        status: res.status,
        retryAfterMs: err.retryAfterMs ?? 3_600_000,
      });
    }
    if (code === 'INVALID_TOKEN' || code === 'AUTHENTICATION_FAILURE')
      return new ProviderError('auth', `Zoho refused the token (${code})`, { status: res.status });
    if (code === 'OAUTH_SCOPE_MISMATCH' || code === 'NO_PERMISSION')
      return new ProviderError('forbidden', `Zoho: ${detail}`, { status: res.status });
    return providerErrorFromResponse(clone, detail, this.options.now());
  }
}
