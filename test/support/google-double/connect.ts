/**
 * Connecting to the Google double through the connector's real OAuth code + PKCE exchange, as the server's callback
 * does. Tests that need a connected Google provider start here.
 */
import { createHash } from 'node:crypto';
import { googleConnector } from '../../../src/providers/calendar/google/connector';
import type { Connection, ProviderEnv } from '../../../src/providers/connector';
import type { Clock } from '../../../src/shared/clock';
import type { GoogleDouble } from './server';

/** A provider environment pointing Google at the double (the user-URL fetch is never Google's). */
export function googleEnv(google: GoogleDouble, clock: Clock): ProviderEnv {
  return {
    safeFetch: () => Promise.reject(new Error('Google must not use the user-URL fetch')),
    fetch: (i, init) => fetch(i, init),
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    google: {
      clientId: google.clientId,
      clientSecret: google.clientSecret,
      authBaseUrl: `${google.origin}/auth`,
      tokenUrl: `${google.origin}/token`,
      apiBaseUrl: google.origin,
    },
    now: clock,
  };
}

/** The code exchange of an OAuth sign-in that the double authorised. */
export async function connectGoogle(
  google: GoogleDouble,
  env: ProviderEnv,
  redirectUri = 'https://connector.example/api/v1/oauth/callback',
): Promise<Connection> {
  const verifier = 'verifier-0123456789-0123456789-0123456789-abc';
  const code = google.authorize(createHash('sha256').update(verifier).digest('base64url'), redirectUri);
  return googleConnector.oauth!.exchangeCode({
    code,
    codeVerifier: verifier,
    redirectUri,
    input: { method: 'oauth', url: null, fields: {} },
    env,
  });
}
