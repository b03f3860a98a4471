/**
 * Pipedrive API transport: v2 (activities, persons) and the v1 endpoints v2 has no equivalent for (users/me,
 * activityTypes). Auth is a personal API token (`x-api-token` header) against the company domain or
 * api.pipedrive.com, or OAuth (Bearer, against the `api_domain` the token response names; access tokens refreshed
 * by the shared OAuthSession before they expire and once after a 401). Rate limits: a used-up 2-second burst window
 * waits `x-ratelimit-reset` before the next request; a 429 is transient with Retry-After, else that reset; the daily
 * token budget used up (`x-daily-ratelimit-token-remaining: 0`) stops the run with one clear error until midnight UTC.
 * Error messages name the call and Pipedrive's error code only, never its error text.
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
import { DailyBudget, intHeader, nextUtcMidnight } from '../../http/rate-limit';
import { secretsFromRecord, secretsRecord, sessionTokensOf, withTokens } from '../connection-secrets';

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
  return secretsRecord(s);
}

export function pipedriveSecretsFromRecord(r: Record<string, string>): PipedriveSecrets {
  const s = secretsFromRecord<PipedriveSecrets>(r, ['method', 'apiBase', 'userId', 'userEmail'], 'Pipedrive');
  if (s.method === 'api-token' ? !s.apiToken : !s.accessToken)
    throw new ProviderError('auth', 'Pipedrive connection lacks its token');
  return s;
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

export interface PipedriveClientOptions {
  fetch: FetchLike;
  tokenFetch: FetchLike;
  now: () => Date;
  onTokens: (s: PipedriveSecrets) => Promise<void>;
  /** Waits out a used-up burst window (default setTimeout; tests inject one that records). */
  sleep?: (ms: number) => Promise<void>;
}

/** A burst wait longer than this is left to the engine's retry (with the hint) rather than slept here. */
const maxBurstWaitMs = 10_000;

export class PipedriveClient {
  private secrets: PipedriveSecrets;
  private readonly session: OAuthSession<TokenAnswer> | null;
  private readonly budget: DailyBudget;
  private readonly sleep: (ms: number) => Promise<void>;
  /** x-ratelimit-remaining was 0 on the last answer: wait x-ratelimit-reset seconds before the next request. */
  private burstWaitMs = 0;
  /** x-daily-requests-left was 0 (API-token requests): POST/PUT/PATCH/DELETE are refused until the UTC day ends. */
  private writesExhausted = false;

  constructor(
    secrets: PipedriveSecrets,
    private readonly options: PipedriveClientOptions,
  ) {
    this.secrets = { ...secrets };
    this.budget = new DailyBudget(options.now);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.session =
      secrets.method === 'oauth'
        ? new OAuthSession<TokenAnswer>({
            tokens: sessionTokensOf(secrets),
            renew:
              secrets.clientId && secrets.clientSecret
                ? async ({ refreshToken }) =>
                    renewedFrom(
                      await pipedriveToken(
                        options.tokenFetch,
                        secrets.oauthBase ?? pipedriveOAuthBase,
                        { id: secrets.clientId!, secret: secrets.clientSecret! },
                        { grant_type: 'refresh_token', refresh_token: refreshToken ?? '' },
                        options.now,
                      ),
                    )
                : null,
            save: async (t) => {
              this.secrets = withTokens(this.secrets, t);
              await options.onTokens(this.current);
            },
            now: options.now,
          })
        : null;
  }

  get current(): PipedriveSecrets {
    return { ...this.secrets };
  }

  private budgetUsedUp(status?: number): ProviderError {
    return this.budget.exhausted(
      'Pipedrive: the company’s daily API token budget is used up; syncing stops until it resets at midnight UTC.',
      nextUtcMidnight(this.options.now()),
      status,
    );
  }

  /**
   * Pipedrive's rate-limit headers on every answer: the 2-second burst window (x-ratelimit-remaining/-reset), the
   * daily token budget (x-daily-ratelimit-token-remaining; Pipedrive says it can be missing now and then, so only a
   * 0 counts) and the older daily POST/PUT allowance of API tokens (x-daily-requests-left).
   */
  private readLimits(res: Response): void {
    const remaining = intHeader(res, 'x-ratelimit-remaining');
    const reset = intHeader(res, 'x-ratelimit-reset');
    this.burstWaitMs =
      remaining !== null && remaining <= 0 && reset !== null && reset > 0 ? Math.min(reset * 1000, maxBurstWaitMs) : 0;
    if (intHeader(res, 'x-daily-requests-left') === 0) this.writesExhausted = true;
  }

  private send(method: string, path: string, body: unknown, token: string | null): Promise<Response> {
    const auth: Record<string, string> = token
      ? { authorization: `Bearer ${token}` }
      : { 'x-api-token': this.secrets.apiToken ?? '' };
    return this.options
      .fetch(`${this.secrets.apiBase}${path}`, {
        method,
        headers: {
          ...auth,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      .catch((e: unknown) => {
        throw providerErrorFromNetwork(e, method !== 'GET');
      });
  }

  /** A JSON call; `path` starts with /api/v2/… or /v1/…. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.budget.check();
    if (method !== 'GET' && this.writesExhausted)
      throw new ProviderError(
        'permanent',
        'Pipedrive: this API token’s daily allowance of changes is used up; writes resume after midnight UTC.',
        { retryAfterMs: nextUtcMidnight(this.options.now()).getTime() - this.options.now().getTime() },
      );
    if (this.burstWaitMs > 0) await this.sleep(this.burstWaitMs);
    const res = this.session
      ? await this.session.send((token) => this.send(method, path, body, token))
      : await this.send(method, path, body, null);
    this.burstWaitMs = 0;
    if (!res.ok) throw await this.errorFrom(res, method, path);
    this.readLimits(res);
    if (intHeader(res, 'x-daily-ratelimit-token-remaining') === 0) this.budgetUsedUp();
    return parseJsonAnswer<T>(await res.text(), 'Pipedrive', describeCall(method, path));
  }

  private async errorFrom(res: Response, method: string, path: string): Promise<ProviderError> {
    const text = await res.text().catch(() => '');
    let code: string | null = null;
    try {
      const body = JSON.parse(text) as { errorCode?: unknown; code?: unknown };
      code = vendorCode(body.errorCode ?? body.code);
    } catch {
      code = null;
    }
    // Pipedrive's `error` and `error_info` are sentences (they can quote what was sent): only a code is kept.
    const call = describeCall(method, path);
    const err = providerErrorFromResponse(res, `Pipedrive ${call}${code ? `: ${code}` : ''}`, this.options.now());
    if (res.status === 429) {
      if (intHeader(res, 'x-daily-ratelimit-token-remaining') === 0) return this.budgetUsedUp(429);
      const reset = intHeader(res, 'x-ratelimit-reset');
      return new ProviderError('transient', `Pipedrive rate limit reached (${call})`, {
        status: 429,
        retryAfterMs: err.retryAfterMs ?? (reset !== null && reset > 0 ? reset * 1000 : 2_000),
      });
    }
    return err;
  }
}
