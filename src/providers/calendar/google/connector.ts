/**
 * Google Calendar as a calendar connection (SPEC §3): OAuth authorization code + PKCE through the Office
 * dialog, offline access for the runner, the primary calendar as the cheap real call that proves the token.
 * Endpoints come from env.google (tests point them at a loopback double).
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../../../shared/providers';
import type { CalendarConnector, Connection, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http';
import { ProviderError } from '../../../sync/errors';
import { googleEndpoints, type GoogleEndpoints } from './endpoints';
import { GoogleApi, postToken, type GoogleTokens } from './google-api';
import { googleNotifications } from './notifications';
import { GoogleCalendarProvider } from './provider';

export const googleScopes = ['https://www.googleapis.com/auth/calendar', 'openid', 'email'];

export const googleDescriptor: ProviderDescriptor = {
  id: 'google',
  side: 'calendar',
  label: 'Google Calendar',
  authMethods: [{ id: 'oauth', kind: 'oauth', label: 'Sign in with Google', fields: [] }],
  customUrl: 'none',
  capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: true, calendars: true },
};

const secretsSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.string().min(1),
});

function endpointsOrFail(env: ProviderEnv): GoogleEndpoints {
  const e = googleEndpoints(env);
  if (!e)
    throw new ConnectError(
      'provider-error',
      'Google Calendar is not configured on this server (Google client id/secret).',
    );
  return e;
}

function tokensToSecrets(t: GoogleTokens): Record<string, string> {
  return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: t.expiresAt };
}

export const googleConnector: CalendarConnector = {
  descriptor: googleDescriptor,
  oauth: {
    async authorizationUrl({ state, codeChallenge, redirectUri, env }) {
      const e = endpointsOrFail(env);
      const url = new URL(e.authUrl);
      url.search = new URLSearchParams({
        client_id: e.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: googleScopes.join(' '),
        access_type: 'offline',
        // Without consent Google omits the refresh token on a second sign-in; the runner needs one.
        prompt: 'consent',
        include_granted_scopes: 'true',
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url.toString();
    },
    async exchangeCode({ code, codeVerifier, redirectUri, env }): Promise<Connection> {
      const e = endpointsOrFail(env);
      try {
        const now = env.now();
        const t = await postToken(
          env.fetch,
          e,
          { grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: redirectUri },
          now,
        );
        if (!t.refresh_token)
          throw new ConnectError(
            'missing-permission',
            'Google granted no offline access (refresh token); sign in again and allow it.',
          );
        const tokens: GoogleTokens = {
          accessToken: t.access_token,
          refreshToken: t.refresh_token,
          expiresAt: new Date(now.getTime() + (t.expires_in ?? 3600) * 1000).toISOString(),
        };
        const api = new GoogleApi({ fetch: env.fetch, endpoints: e, tokens, now: env.now, saveTokens: async () => {} });
        const { account } = await new GoogleCalendarProvider({ api, account: '' }).testConnection();
        return { secrets: tokensToSecrets(tokens), account, url: null, expiresAt: tokens.expiresAt };
      } catch (err) {
        // Our own words naming the calendar (google-api.ts / provider.ts): never Google's message text.
        if (err instanceof ProviderError && err.kind === 'forbidden')
          throw new ConnectError('missing-permission', `${err.message}.`);
        throw toConnectError(err);
      }
    },
  },
  open(connection, env, hooks) {
    const e = googleEndpoints(env);
    if (!e) throw new Error('Google Calendar is not configured on this server');
    const tokens = secretsSchema.parse(connection.secrets);
    const api = new GoogleApi({
      fetch: env.fetch,
      endpoints: e,
      tokens,
      now: env.now,
      saveTokens: (t) => hooks.saveSecrets(tokensToSecrets(t), t.expiresAt),
    });
    return new GoogleCalendarProvider({ api, account: connection.account });
  },
  async revoke(connection, env) {
    const e = endpointsOrFail(env);
    const tokens = secretsSchema.parse(connection.secrets);
    const res = await env.fetch(e.revokeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refreshToken }).toString(),
    });
    await res.body?.cancel();
    // 400 = already invalid: nothing left to revoke.
    if (!res.ok && res.status !== 400) throw new Error(`Google token revocation failed (HTTP ${res.status})`);
  },
  notifications: googleNotifications,
};
