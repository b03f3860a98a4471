/**
 * Zoho CRM v8 transport: OAuth with the data centre's accounts server (tokens for an hour, refreshed by the shared
 * OAuthSession before they expire and once after a 401), calls to the `api_domain` the token answer names with the
 * `Zoho-oauthtoken` header, `If-Modified-Since` where a listing takes it (304 = nothing changed), and errors
 * classified from Zoho's `{code, message}` bodies by code only (never Zoho's message text). API credits used up
 * (`LIMIT_EXCEEDED`) stop the run with one clear error; a 429 (too many concurrent requests) is transient, with
 * Retry-After when given, else a minute.
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
import { DailyBudget } from '../../http/rate-limit';
import { secretsFromRecord, secretsRecord, sessionTokensOf, withTokens } from '../connection-secrets';

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
  return secretsRecord(s);
}

export function zohoSecretsFromRecord(r: Record<string, string>): ZohoSecrets {
  return secretsFromRecord<ZohoSecrets>(
    r,
    ['accountsBase', 'apiBase', 'accessToken', 'clientId', 'clientSecret', 'userId', 'userEmail'],
    'Zoho',
  );
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
  private readonly session: OAuthSession<TokenAnswer>;
  private readonly budget: DailyBudget;

  constructor(
    secrets: ZohoSecrets,
    private readonly options: { fetch: FetchLike; now: () => Date; onTokens: (s: ZohoSecrets) => Promise<void> },
  ) {
    this.secrets = { ...secrets };
    this.budget = new DailyBudget(options.now);
    this.session = new OAuthSession<TokenAnswer>({
      tokens: sessionTokensOf(secrets),
      renew: async ({ refreshToken }) =>
        renewedFrom(
          await zohoToken(
            options.fetch,
            secrets.accountsBase,
            {
              grant_type: 'refresh_token',
              refresh_token: refreshToken ?? '',
              client_id: secrets.clientId,
              client_secret: secrets.clientSecret,
            },
            options.now,
          ),
        ),
      save: async (t) => {
        this.secrets = withTokens(this.secrets, t);
        await options.onTokens(this.current);
      },
      now: options.now,
    });
  }

  get current(): ZohoSecrets {
    return { ...this.secrets };
  }

  /** A JSON call; `path` starts with /crm/v8/…. Returns null for 204 (no content) and 304 (not modified). */
  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | null> {
    this.budget.check();
    const res = await this.session.send(async (token) => {
      try {
        return await this.options.fetch(`${this.secrets.apiBase}${path}`, {
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
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
    });
    if (res.status === 204 || res.status === 304) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await this.errorFrom(res, method, path);
    return parseJsonAnswer<T>(await res.text(), 'Zoho', describeCall(method, path));
  }

  private async errorFrom(res: Response, method: string, path: string): Promise<ProviderError> {
    const text = await res.text().catch(() => '');
    let code: string | null = null;
    let field: string | null = null;
    try {
      const body = JSON.parse(text) as { code?: unknown; details?: { api_name?: unknown } };
      code = vendorCode(body.code);
      field = vendorCode(body.details?.api_name);
    } catch {
      code = null;
    }
    // Zoho's `message` is a sentence that can quote what was sent: only its code (and the field it names) is kept.
    const call = describeCall(method, path);
    const detail = `Zoho ${call}${code ? `: ${code}` : ''}${field ? ` (${field})` : ''}`;
    const err = providerErrorFromResponse(res, detail, this.options.now());
    // API credits of the rolling 24-hour window used up: stop the run (each further call would be refused too).
    if (code === 'LIMIT_EXCEEDED')
      return this.budget.exhausted(
        'Zoho CRM: the organisation’s API credits for the last 24 hours are used up; syncing stops until credits free up.',
        null,
        res.status,
      );
    // Too many concurrent requests: a short wait.
    if (res.status === 429 || code === 'TOO_MANY_REQUESTS')
      return new ProviderError('transient', `Zoho CRM request limit reached (${call})`, {
        status: res.status,
        retryAfterMs: err.retryAfterMs ?? 60_000,
      });
    if (code === 'INVALID_TOKEN' || code === 'AUTHENTICATION_FAILURE')
      return new ProviderError('auth', `Zoho refused the token (${code})`, { status: res.status });
    if (code === 'OAUTH_SCOPE_MISMATCH' || code === 'NO_PERMISSION')
      return new ProviderError('forbidden', detail, { status: res.status });
    return err;
  }
}
