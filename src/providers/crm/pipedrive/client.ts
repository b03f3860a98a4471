/**
 * Pipedrive API transport: v2 (activities, persons) and the v1 endpoints v2 has no equivalent for (users/me,
 * activityTypes). Auth is a personal API token (`x-api-token` header) against the company domain or
 * api.pipedrive.com, or OAuth (Bearer, against the `api_domain` the token response names; access tokens refreshed
 * by the shared OAuthSession before they expire and once after a 401). Rate limits (429) become transient errors
 * carrying Retry-After, else Pipedrive's `x-ratelimit-reset` seconds. Error messages carry Pipedrive's error text
 * scrubbed of every credential the client holds.
 */
import { ProviderError } from '../../../sync/errors';
import type { FetchLike } from '../../http/safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse } from '../../http/provider-errors';
import { oauthTokenRequest, OAuthSession, scrubSecrets, type TokenAnswer } from '../../http/oauth-token';

export const pipedriveApiBase = 'https://api.pipedrive.com';
export const pipedriveOAuthBase = 'https://oauth.pipedrive.com';

export interface PipedriveSecrets {
  method: 'api-token' | 'oauth';
  /** Where API calls go: https://<company>.pipedrive.com, api.pipedrive.com, or the OAuth api_domain. */
  apiBase: string;
  apiToken?: string;
  accessToken?: string;
  refreshToken?: string;
  accessTokenExpiresAt?: string;
  clientId?: string;
  clientSecret?: string;
  oauthBase?: string;
  userId: string;
  userEmail: string;
  /** https://<company_domain>.pipedrive.com, for the account label. */
  companyDomain?: string;
}

export function pipedriveSecretsToRecord(s: PipedriveSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'string' && v) out[k] = v;
  return out;
}

export function pipedriveSecretsFromRecord(r: Record<string, string>): PipedriveSecrets {
  for (const k of ['method', 'apiBase', 'userId', 'userEmail']) {
    if (!r[k]) throw new ProviderError('auth', `Pipedrive connection lacks ${k}`);
  }
  if (r['method'] === 'api-token' ? !r['apiToken'] : !r['accessToken'])
    throw new ProviderError('auth', 'Pipedrive connection lacks its token');
  return r as unknown as PipedriveSecrets;
}

/** Token endpoint: client id and secret as HTTP Basic, as Pipedrive documents. */
export function pipedriveToken(
  fetch: FetchLike,
  oauthBase: string,
  client: { id: string; secret: string },
  form: Record<string, string>,
  now: () => Date,
): Promise<TokenAnswer> {
  return oauthTokenRequest(fetch, `${oauthBase}/oauth/token`, form, {
    vendor: 'Pipedrive',
    now,
    basicAuth: { user: client.id, password: client.secret },
  });
}

export interface PipedriveEnvelope<T> {
  success?: boolean;
  data: T;
  additional_data?: { next_cursor?: string | null };
}

export class PipedriveClient {
  private secrets: PipedriveSecrets;
  private readonly session: OAuthSession | null;

  constructor(
    secrets: PipedriveSecrets,
    private readonly options: {
      fetch: FetchLike;
      tokenFetch: FetchLike;
      now: () => Date;
      onTokens: (s: PipedriveSecrets) => Promise<void>;
    },
  ) {
    this.secrets = { ...secrets };
    this.session =
      secrets.method === 'oauth'
        ? new OAuthSession(
            {
              accessToken: secrets.accessToken ?? '',
              ...(secrets.refreshToken ? { refreshToken: secrets.refreshToken } : {}),
              expiresAt: secrets.accessTokenExpiresAt ?? null,
            },
            secrets.clientId && secrets.clientSecret
              ? (refreshToken) =>
                  pipedriveToken(
                    options.tokenFetch,
                    secrets.oauthBase ?? pipedriveOAuthBase,
                    { id: secrets.clientId!, secret: secrets.clientSecret! },
                    { grant_type: 'refresh_token', refresh_token: refreshToken },
                    options.now,
                  )
              : null,
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
          )
        : null;
  }

  get current(): PipedriveSecrets {
    return { ...this.secrets };
  }

  private scrub(text: string): string {
    return scrubSecrets(text, [
      this.secrets.apiToken,
      this.secrets.accessToken,
      this.secrets.refreshToken,
      this.secrets.clientSecret,
    ]);
  }

  /** A JSON call; `path` starts with /api/v2/… or /v1/…. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const auth: Record<string, string> = this.session
        ? { authorization: `Bearer ${await this.session.token()}` }
        : { 'x-api-token': this.secrets.apiToken ?? '' };
      let res: Response;
      try {
        res = await this.options.fetch(`${this.secrets.apiBase}${path}`, {
          method,
          headers: {
            ...auth,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        const err = providerErrorFromNetwork(e, method !== 'GET');
        throw new ProviderError(err.kind, this.scrub(err.message), { uncertain: err.uncertain, cause: e });
      }
      if (res.status === 401 && attempt === 0 && this.session?.canRefresh) {
        await res.body?.cancel();
        await this.session.refresh();
        continue;
      }
      if (!res.ok) throw await this.errorFrom(res);
      const text = await res.text();
      return (text ? JSON.parse(text) : null) as T;
    }
  }

  private async errorFrom(res: Response): Promise<ProviderError> {
    const clone = res.clone();
    const text = await res.text().catch(() => '');
    let detail = '';
    try {
      const body = JSON.parse(text) as { error?: string; error_info?: string };
      detail = [body.error, body.error_info].filter(Boolean).join(' — ');
    } catch {
      detail = text.slice(0, 200);
    }
    detail = this.scrub(detail);
    const err = providerErrorFromResponse(clone, detail, this.options.now());
    if (res.status === 429 && err.retryAfterMs === undefined) {
      const reset = Number(res.headers.get('x-ratelimit-reset') ?? '');
      return new ProviderError('transient', `Pipedrive rate limit reached (${detail})`, {
        status: 429,
        retryAfterMs: Number.isFinite(reset) && reset > 0 ? reset * 1000 : 2_000,
      });
    }
    return err;
  }
}
