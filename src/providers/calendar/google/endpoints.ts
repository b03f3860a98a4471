/** Where Google lives; tests point these at a loopback double through env.google. */
import type { ProviderEnv } from '../../connector';

export interface GoogleEndpoints {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  apiBaseUrl: string;
}

export function googleEndpoints(env: ProviderEnv): GoogleEndpoints | null {
  const g = env.google;
  if (!g) return null;
  const tokenUrl = g.tokenUrl ?? 'https://oauth2.googleapis.com/token';
  return {
    clientId: g.clientId,
    clientSecret: g.clientSecret,
    authUrl: g.authBaseUrl ?? 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl,
    revokeUrl: new URL('/revoke', tokenUrl).toString(),
    apiBaseUrl: g.apiBaseUrl ?? 'https://www.googleapis.com',
  };
}
