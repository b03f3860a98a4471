/** Connecting to the Pipedrive double through the connector's real API-token form or OAuth code exchange. */
import type { Connection, CrmConnector, ProviderEnv } from '../../../../src/providers/connector';
import { createPipedriveConnector } from '../../../../src/providers/crm/pipedrive';
import { createSafeFetch } from '../../../../src/providers/http';
import type { PipedriveDouble } from './double';

export const redirectUri = 'https://connector.example/callback';

export function pipedriveEnv(pd: PipedriveDouble): ProviderEnv {
  // The double listens on loopback: allow-listed as an admin would for a private host.
  const f = createSafeFetch({ allowedPrivateHosts: [pd.host] });
  return {
    safeFetch: f,
    fetch: f,
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now: () => pd.now(),
  };
}

export function pipedriveConnectorFor(pd: PipedriveDouble): CrmConnector {
  return createPipedriveConnector({ apiBase: pd.url, oauthBase: pd.url, apiDomainAllowed: (host) => host === pd.host });
}

export async function connectPipedrive(
  pd: PipedriveDouble,
  how: 'api-token' | 'oauth' = 'api-token',
  userIndex = 0,
): Promise<{ env: ProviderEnv; connector: CrmConnector; connection: Connection }> {
  const env = pipedriveEnv(pd);
  const connector = pipedriveConnectorFor(pd);
  const connection =
    how === 'api-token'
      ? await connector.connect!(
          { method: 'api-token', url: pd.url, fields: { apiToken: pd.users[userIndex]!.token } },
          env,
        )
      : await connector.oauth!.exchangeCode({
          code: pd.authorize({ clientId: pd.clientId, redirectUri, userIndex }),
          codeVerifier: 'unused-by-pipedrive',
          redirectUri,
          input: { method: 'oauth', url: null, fields: { clientId: pd.clientId, clientSecret: pd.clientSecret } },
          env,
        });
  return { env, connector, connection };
}
