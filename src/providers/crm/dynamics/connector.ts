/**
 * Dynamics 365 connector: the org URL (required custom URL) and an Entra app registration (client id, optional
 * secret, tenant) for the authorization-code flow with PKCE; the token's audience is the org
 * (`<org>/user_impersonation`). Entra's endpoints are fixed (env.fetch); the org URL is the user's (safe fetch).
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { ConnectInput, Connection, CrmConnector, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import {
  DynamicsClient,
  dynamicsSecretsFromRecord,
  dynamicsSecretsToRecord,
  entraToken,
  type DynamicsSecrets,
} from './client';
import { DynamicsProvider } from './provider';

export const dynamicsDescriptor: ProviderDescriptor = {
  id: 'dynamics365',
  side: 'crm',
  label: 'Microsoft Dynamics 365',
  authMethods: [
    {
      id: 'oauth',
      kind: 'oauth',
      label: 'Sign in with Microsoft (Entra ID)',
      fields: [
        { key: 'clientId', label: 'Application (client) ID', kind: 'text', required: true },
        { key: 'clientSecret', label: 'Client secret (confidential app)', kind: 'password', required: false },
        { key: 'tenant', label: 'Directory (tenant) ID', kind: 'text', required: false, placeholder: 'organizations' },
      ],
    },
  ],
  notes: [
    'Leads are matched where the Sales app is installed; without it attendees are matched to contacts only. A recurring appointment is synced occurrence by occurrence.',
  ],
  customUrl: 'required',
  urlLabel: 'Organization URL',
  urlPlaceholder: 'https://yourorg.crm.dynamics.com',
  capabilities: {
    activityTypes: ['meeting', 'call', 'task'],
    recurrence: false,
    invitees: true,
    webhooks: false,
    calendars: false,
  },
};

function orgUrlOf(input: ConnectInput): string {
  if (!input.url) throw new ConnectError('invalid-input', 'the organization URL is required', 'url');
  try {
    return new URL(input.url).origin;
  } catch {
    throw new ConnectError('bad-url', `"${input.url}" is not a valid URL`, 'url');
  }
}

function clientIdOf(input: ConnectInput): string {
  const id = input.fields['clientId']?.trim();
  if (!id) throw new ConnectError('invalid-input', 'the application (client) ID is required', 'fields.clientId');
  return id;
}

function tenantOf(input: ConnectInput): string {
  const t = input.fields['tenant']?.trim() || 'organizations';
  if (!/^[A-Za-z0-9.-]+$/.test(t))
    throw new ConnectError('invalid-input', 'expected a tenant id or domain', 'fields.tenant');
  return t;
}

export function createDynamicsConnector(options: { authorityUrl?: string } = {}): CrmConnector {
  const authorityUrl = (options.authorityUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const clientFor = (s: DynamicsSecrets, env: ProviderEnv, save: (s: DynamicsSecrets) => Promise<void>) =>
    new DynamicsClient(s, env.safeFetch, env.fetch, save, () => env.now());
  return {
    descriptor: dynamicsDescriptor,
    oauth: {
      async authorizationUrl({ state, codeChallenge, redirectUri, input }) {
        const org = orgUrlOf(input);
        const q = new URLSearchParams({
          client_id: clientIdOf(input),
          response_type: 'code',
          redirect_uri: redirectUri,
          response_mode: 'query',
          scope: `${org}/user_impersonation offline_access`,
          state,
          code_challenge: codeChallenge,
          code_challenge_method: 'S256',
        });
        return `${authorityUrl}/${encodeURIComponent(tenantOf(input))}/oauth2/v2.0/authorize?${q.toString()}`;
      },
      async exchangeCode({ code, codeVerifier, redirectUri, input, env }): Promise<Connection> {
        const orgUrl = orgUrlOf(input);
        const clientId = clientIdOf(input);
        const tenant = tenantOf(input);
        const clientSecret = input.fields['clientSecret']?.trim() || undefined;
        try {
          const body = new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: clientId,
            code,
            redirect_uri: redirectUri,
            code_verifier: codeVerifier,
            scope: `${orgUrl}/user_impersonation offline_access`,
          });
          if (clientSecret) body.set('client_secret', clientSecret);
          const t = await entraToken(env.fetch, { authorityUrl, tenant }, body, () => env.now());
          let secrets: DynamicsSecrets = {
            clientId,
            ...(clientSecret ? { clientSecret } : {}),
            tenant,
            authorityUrl,
            orgUrl,
            accessToken: t.access_token,
            ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
            accessTokenExpiresAt: new Date(env.now().getTime() + (t.expires_in ?? 3600) * 1000).toISOString(),
            userId: '',
          };
          const client = clientFor(secrets, env, async (s) => {
            secrets = s;
          });
          const who = await client.json<{ UserId?: string }>('GET', 'WhoAmI');
          if (!who?.UserId) throw new ProviderError('permanent', 'Dataverse WhoAmI without UserId');
          const user = await client.json<{ internalemailaddress?: string; fullname?: string }>(
            'GET',
            `systemusers(${who.UserId})?$select=internalemailaddress,fullname`,
          );
          const email = user?.internalemailaddress?.toLowerCase();
          secrets = { ...client.current, userId: who.UserId, ...(email ? { userEmail: email } : {}) };
          const provider = new DynamicsProvider(
            clientFor(secrets, env, async () => undefined),
            {
              me: { id: who.UserId, email: email ?? null, account: email ?? who.UserId },
            },
          );
          const { account } = await provider.testConnection();
          return {
            secrets: dynamicsSecretsToRecord(secrets),
            account: `${account} @ ${new URL(orgUrl).host}`,
            url: orgUrl,
            expiresAt: null,
          };
        } catch (e) {
          // Our own words naming the table (client.ts): never Dataverse's message text.
          if (e instanceof ProviderError && e.kind === 'forbidden')
            throw new ConnectError('missing-permission', `${e.message}.`);
          throw toConnectError(e);
        }
      },
    },
    open(connection, env, hooks) {
      const secrets = dynamicsSecretsFromRecord(connection.secrets);
      const client = clientFor(secrets, env, (s) => hooks.saveSecrets(dynamicsSecretsToRecord(s), null));
      return new DynamicsProvider(client, {
        me: { id: secrets.userId, email: secrets.userEmail ?? null, account: secrets.userEmail ?? secrets.userId },
      });
    },
  };
}

export const dynamicsConnector = createDynamicsConnector();
