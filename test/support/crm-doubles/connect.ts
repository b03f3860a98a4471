/**
 * Connecting to the Dataverse and Salesforce doubles through the connectors' real OAuth code + PKCE exchange,
 * as the server's callback does. Tests that need a connected provider start here.
 */
import crypto from 'node:crypto';
import type { Connection, CrmConnector, ProviderEnv } from '../../../src/providers/connector';
import { createDynamicsConnector } from '../../../src/providers/crm/dynamics';
import { salesforceConnector } from '../../../src/providers/crm/salesforce';
import { createSafeFetch } from '../../../src/providers/http';
import type { DynamicsDouble } from './dynamics';
import type { SalesforceDouble } from './salesforce';

export interface Connected {
  env: ProviderEnv;
  connector: CrmConnector;
  connection: Connection;
}

const redirectUri = 'https://connector.example/callback';

function envFor(host: string, now: () => Date): ProviderEnv {
  // The doubles listen on loopback: allow-listed as an admin would for a private host.
  const safeFetch = createSafeFetch({ allowedPrivateHosts: [host] });
  return {
    safeFetch,
    fetch: safeFetch,
    publicUrl: 'https://connector.example',
    graphBaseUrl: 'https://graph.invalid',
    now,
  };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

export async function connectDynamics(dv: DynamicsDouble): Promise<Connected> {
  const env = envFor(dv.host, dv.now);
  const connector = createDynamicsConnector({ authorityUrl: dv.url });
  const { verifier, challenge } = pkce();
  const code = dv.authorize({
    clientId: dv.clientId,
    redirectUri,
    codeChallenge: challenge,
    scope: `${dv.url}/user_impersonation`,
  });
  const connection = await connector.oauth!.exchangeCode({
    code,
    codeVerifier: verifier,
    redirectUri,
    input: { method: 'oauth', url: dv.url, fields: { clientId: dv.clientId } },
    env,
  });
  return { env, connector, connection };
}

/** `fields` adds connect-form fields beyond the client id (e.g. the Sync-to-calendar field's name). */
export async function connectSalesforce(
  sf: SalesforceDouble,
  fields: Record<string, string> = {},
  userIndex = 0,
): Promise<Connected> {
  const env = envFor(sf.host, () => sf.now());
  const { verifier, challenge } = pkce();
  const code = sf.authorize({ clientId: sf.clientId, redirectUri, codeChallenge: challenge, userIndex });
  const connection = await salesforceConnector.oauth!.exchangeCode({
    code,
    codeVerifier: verifier,
    redirectUri,
    input: { method: 'oauth', url: sf.url, fields: { clientId: sf.clientId, ...fields } },
    env,
  });
  return { env, connector: salesforceConnector, connection };
}
