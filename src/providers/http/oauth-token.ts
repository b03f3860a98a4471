/**
 * The OAuth 2.0 token endpoint HubSpot, Pipedrive and Zoho share (RFC 6749 §4.1.3, §6): one form POST for the code
 * exchange and the refresh, errors classified for the engine without echoing the vendor's text (a token endpoint's
 * error_description can quote what it was sent). When to refresh is the shared session's (oauth-session.ts).
 */
import { ProviderError } from '../../sync/errors';
import type { FetchLike } from './safe-fetch';
import { providerErrorFromNetwork, providerErrorFromResponse, vendorCode } from './provider-errors';

export interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  /** Seconds. */
  expires_in?: number;
  /** Everything else the vendor sent (api_domain, hub_id, …). */
  extra: Record<string, unknown>;
}

const refusalCodes = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'invalid_code',
  'access_denied',
]);

/**
 * POSTs a form to a token endpoint. `basicAuth` sends client id/secret as HTTP Basic (Pipedrive) instead of in the
 * form. A refused grant is `auth` (the user must sign in again); the message names the OAuth error code only.
 */
export async function oauthTokenRequest(
  fetch: FetchLike,
  url: string,
  form: Record<string, string>,
  opts: { vendor: string; now: () => Date; basicAuth?: { user: string; password: string } },
): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(opts.basicAuth
          ? {
              authorization: `Basic ${Buffer.from(`${opts.basicAuth.user}:${opts.basicAuth.password}`).toString('base64')}`,
            }
          : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
  } catch (e) {
    throw providerErrorFromNetwork(e, false);
  }
  const text = await res.text().catch(() => '');
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  // Zoho answers a refused grant with 200 and {"error":"invalid_code"}.
  const refused = typeof json?.['error'] === 'string' && json['error'] !== '';
  const code = vendorCode(json?.['error']);
  if (!res.ok || refused) {
    if (res.status === 400 || res.status === 401 || (code && refusalCodes.has(code))) {
      throw new ProviderError('auth', `${opts.vendor} refused the authorization (${code ?? `HTTP ${res.status}`})`, {
        status: res.status,
      });
    }
    throw providerErrorFromResponse(res, `${opts.vendor} token endpoint${code ? ` ${code}` : ''}`, opts.now());
  }
  const accessToken = json?.['access_token'];
  if (typeof accessToken !== 'string' || !accessToken)
    throw new ProviderError('permanent', `${opts.vendor} token response without access_token`);
  const { access_token: _a, refresh_token: refresh, expires_in: expires, ...extra } = json ?? {};
  void _a;
  return {
    access_token: accessToken,
    ...(typeof refresh === 'string' && refresh ? { refresh_token: refresh } : {}),
    ...(typeof expires === 'number' ? { expires_in: expires } : {}),
    extra,
  };
}

/** When a token of `expiresIn` seconds, issued now, stops working. */
export function expiryOf(now: Date, expiresIn: number | undefined): string | null {
  return expiresIn === undefined ? null : new Date(now.getTime() + expiresIn * 1000).toISOString();
}
