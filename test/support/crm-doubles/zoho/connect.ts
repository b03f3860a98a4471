/** Connecting to the Zoho double through the connector's real OAuth code exchange (the double is its own data centre). */
import type { Connection, CrmConnector, ProviderEnv } from '../../../../src/providers/connector';
import { createZohoConnector } from '../../../../src/providers/crm/zoho';
import { createSafeFetch } from '../../../../src/providers/http';
import type { ZohoDouble } from './double';

export const redirectUri = 'https://connector.example/callback';

export function zohoEnv(zd: ZohoDouble): ProviderEnv {
  // The double listens on loopback: allow-listed as an admin would for a private host.
  const f = createSafeFetch({ allowedPrivateHosts: [zd.host] });
  return {
    safeFetch: f,
    fetch: f,
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: () => zd.now(),
  };
}

export function zohoConnectorFor(zd: ZohoDouble): CrmConnector {
  return createZohoConnector({
    dataCentres: { test: { label: 'Test', accounts: zd.url, api: zd.url } },
    apiDomainAllowed: (u) => u.host === zd.host,
  });
}

export async function connectZoho(
  zd: ZohoDouble,
  fields: Record<string, string> = {},
  userIndex = 0,
): Promise<{ env: ProviderEnv; connector: CrmConnector; connection: Connection }> {
  const env = zohoEnv(zd);
  const connector = zohoConnectorFor(zd);
  const connection = await connector.oauth!.exchangeCode({
    code: zd.authorize({ clientId: zd.clientId, redirectUri, userIndex }),
    codeVerifier: 'unused-by-zoho',
    redirectUri,
    input: {
      method: 'oauth',
      url: null,
      fields: { dataCentre: 'test', clientId: zd.clientId, clientSecret: zd.clientSecret, ...fields },
    },
    env,
  });
  return { env, connector, connection };
}
