/** Connecting to the HubSpot double through the connector's real OAuth code + PKCE exchange or private-app form. */
import crypto from 'node:crypto';
import type { Connection, CrmConnector, ProviderEnv } from '../../../../src/providers/connector';
import { createHubSpotConnector } from '../../../../src/providers/crm/hubspot';
import { createSafeFetch } from '../../../../src/providers/http';
import type { HubSpotDouble } from './double';

export interface HubSpotConnected {
  env: ProviderEnv;
  connector: CrmConnector;
  connection: Connection;
}

export const redirectUri = 'https://connector.example/callback';

export function hubspotEnv(hs: HubSpotDouble): ProviderEnv {
  // The double listens on loopback: allow-listed as an admin would for a private host.
  const f = createSafeFetch({ allowedPrivateHosts: [hs.host] });
  return {
    safeFetch: f,
    fetch: f,
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: () => hs.now(),
  };
}

export function hubspotConnectorFor(hs: HubSpotDouble): CrmConnector {
  return createHubSpotConnector({ apiBase: hs.url, appBase: 'https://app.hubspot.example', searchIntervalMs: 0 });
}

export async function connectHubSpot(
  hs: HubSpotDouble,
  fields: Record<string, string> = {},
  userIndex = 0,
): Promise<HubSpotConnected> {
  const env = hubspotEnv(hs);
  const connector = hubspotConnectorFor(hs);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const code = hs.authorize({ clientId: hs.clientId, redirectUri, codeChallenge: challenge, userIndex });
  const connection = await connector.oauth!.exchangeCode({
    code,
    codeVerifier: verifier,
    redirectUri,
    input: { method: 'oauth', url: null, fields: { clientId: hs.clientId, clientSecret: hs.clientSecret, ...fields } },
    env,
  });
  return { env, connector, connection };
}
