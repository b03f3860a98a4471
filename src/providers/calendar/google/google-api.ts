/**
 * Google Calendar API v3 over fetch with OAuth tokens: refreshes the access token before it expires or after a
 * 401, hands refreshed tokens to the server (hooks.saveSecrets), and maps errors to the engine's classes
 * (403 rate-limit reasons are transient, as Google documents).
 */
import { ProviderError } from '../../../sync/errors';
import { parseRetryAfter, providerErrorFromNetwork, providerErrorFromResponse, type FetchLike } from '../../http';
import type { GoogleEndpoints } from './endpoints';
import { OAuthSession, renewedFrom } from '../../http/oauth-session';

export interface GoogleTokens {
  accessToken: string;
  refreshToken: string;
  /** ISO instant the access token expires. */
  expiresAt: string;
}

export interface GoogleApiOptions {
  fetch: FetchLike;
  endpoints: GoogleEndpoints;
  tokens: GoogleTokens;
  now(): Date;
  saveTokens(tokens: GoogleTokens): Promise<void>;
}

export interface TokenResponse {
  access_token: string;
  expires_in?: number;
  refresh_token?: string;
}

const rateLimitReasons = /^(rateLimitExceeded|userRateLimitExceeded|quotaExceeded)$/;
/** 403 reasons that mean this account lacks access (Calendar API "Handle API errors"): not a rate limit. */
const accessReasons = /^(forbidden|requiredAccessLevel|insufficientPermissions|forbiddenForNonOrganizer)$/;

/**
 * Google's error code of a failed answer: `error.errors[0].reason`, else `error.status` (the canonical code), else
 * the OAuth `error`. Only the code is kept: Google's message text can echo request data, so no message a user or
 * log sees repeats it.
 */
export function googleErrorCode(text: string): string | null {
  try {
    const body = JSON.parse(text) as {
      error?: { errors?: { reason?: unknown }[]; status?: unknown } | string;
    };
    const e = body.error;
    const code = typeof e === 'string' ? e : (e?.errors?.[0]?.reason ?? e?.status);
    return typeof code === 'string' && /^[\w.-]{1,80}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** The calendar a Calendar API path is about (`/calendar/v3/calendars/<id>/…`), for messages. */
function calendarOf(pathname: string): string | null {
  const m = /^\/calendar\/v3\/calendars\/([^/]+)/.exec(pathname);
  return m ? decodeURIComponent(m[1]!) : null;
}

export async function postToken(
  fetchFn: FetchLike,
  endpoints: GoogleEndpoints,
  params: Record<string, string>,
  now: Date,
): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await fetchFn(endpoints.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        client_id: endpoints.clientId,
        client_secret: endpoints.clientSecret,
        ...params,
      }).toString(),
    });
  } catch (e) {
    throw providerErrorFromNetwork(e, false);
  }
  const text = await res.text();
  if (!res.ok) {
    // invalid_grant: the refresh token was revoked or expired; the user must sign in again.
    const code = googleErrorCode(text);
    if (res.status === 400 && code === 'invalid_grant')
      throw new ProviderError('auth', 'Google authorization was revoked or has expired', { status: 400 });
    throw providerErrorFromResponse(res, `Google token endpoint${code ? ` ${code}` : ''}`, now);
  }
  const body = JSON.parse(text) as Partial<TokenResponse>;
  if (typeof body.access_token !== 'string')
    throw new ProviderError('permanent', 'Google token endpoint returned no access token');
  return body as TokenResponse;
}

export class GoogleApi {
  private readonly session: OAuthSession<TokenResponse>;

  constructor(private readonly o: GoogleApiOptions) {
    this.session = new OAuthSession<TokenResponse>({
      tokens: o.tokens,
      renew: async ({ refreshToken }) => {
        const t = await postToken(
          o.fetch,
          o.endpoints,
          { grant_type: 'refresh_token', refresh_token: refreshToken ?? '' },
          o.now(),
        );
        return renewedFrom(t);
      },
      save: (t) =>
        o.saveTokens({ accessToken: t.accessToken, refreshToken: t.refreshToken ?? '', expiresAt: t.expiresAt ?? '' }),
      now: () => o.now(),
      defaultExpiresIn: 3600,
    });
  }

  /** The connection's clock (the server's, through ProviderEnv). */
  now(): Date {
    return this.o.now();
  }

  /** JSON request to the Calendar API; `path` starts with /calendar/v3. Statuses in `accept` come back as null. */
  async call<T>(
    method: string,
    path: string,
    opts: {
      query?: Record<string, string | string[] | undefined>;
      body?: unknown;
      ifMatch?: string | null;
      accept?: number[];
    } = {},
  ): Promise<{ status: number; data: T | null }> {
    const url = new URL(`${this.o.endpoints.apiBaseUrl.replace(/\/$/, '')}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
    }
    const res = await this.session.send(async (token) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
      };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.ifMatch) headers['if-match'] = opts.ifMatch;
      try {
        return await this.o.fetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        });
      } catch (e) {
        throw providerErrorFromNetwork(e, method !== 'GET');
      }
    });
    const text = await res.text();
    if (res.ok) return { status: res.status, data: text ? (JSON.parse(text) as T) : null };
    if (opts.accept?.includes(res.status)) return { status: res.status, data: null };
    const code = googleErrorCode(text);
    if ((res.status === 403 || res.status === 429) && code && rateLimitReasons.test(code)) {
      throw new ProviderError('transient', `Google rate limit (${code})`, {
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.o.now()),
      });
    }
    const calendar = calendarOf(url.pathname);
    if (res.status === 403 && (!code || accessReasons.test(code))) {
      const op = method === 'GET' ? 'read' : 'write to';
      throw new ProviderError(
        'forbidden',
        `This Google account may not ${op} ${calendar ? `the calendar ${calendar}` : 'this calendar data'}${code ? ` (${code})` : ''}`,
        { status: 403 },
      );
    }
    throw providerErrorFromResponse(
      res,
      `Google ${method} ${calendar ? `calendar ${calendar}` : url.pathname}${code ? `: ${code}` : ''}`,
      this.o.now(),
    );
  }
}
