/**
 * HubSpot connector: a public app's OAuth (authorization code + PKCE through the Office dialog; client id and
 * secret in the form; 30-minute access tokens with a refresh token) or a private app's access token (static; the
 * form also asks whose activities to sync, as a private app is not a user). HubSpot's endpoints are fixed
 * (env.fetch). Connecting resolves the user's owner id (owners API), then proves read access and the connector's
 * tag property with one search.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { ConnectInput, Connection, CrmConnector, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import { optionalApiName, requiredField } from '../connect-fields';
import { expiryOf } from '../../http/oauth-token';
import {
  HubSpotClient,
  hubspotApiBase,
  hubspotAppBase,
  hubspotSecretsFromRecord,
  hubspotSecretsToRecord,
  hubspotToken,
  type HubSpotSecrets,
} from './client';
import { HubSpotProvider, tagProperty } from './provider';

/** Scopes the connector asks for: activities live under the contacts scopes in HubSpot's model. */
export const hubspotScopes = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.companies.read',
  'crm.objects.owners.read',
];

const syncFlagField = {
  key: 'syncFlagProperty',
  label: 'Sync-to-calendar property (optional)',
  kind: 'text' as const,
  required: false,
  placeholder: 'crm_sync_to_calendar',
  help: 'Internal name of a single-checkbox property on meetings, calls and tasks; leave empty if there is none.',
};

export const hubspotDescriptor: ProviderDescriptor = {
  id: 'hubspot',
  side: 'crm',
  label: 'HubSpot',
  authMethods: [
    {
      id: 'oauth',
      kind: 'oauth',
      label: 'Sign in with HubSpot',
      fields: [
        { key: 'clientId', label: 'App client ID', kind: 'text', required: true },
        { key: 'clientSecret', label: 'App client secret', kind: 'password', required: true },
        syncFlagField,
      ],
    },
    {
      id: 'private-app',
      kind: 'fields',
      label: 'Private app access token',
      fields: [
        { key: 'accessToken', label: 'Access token', kind: 'password', required: true, placeholder: 'pat-…' },
        {
          key: 'ownerEmail',
          label: 'Your HubSpot user e-mail',
          kind: 'email',
          required: true,
          help: 'The activities owned by this HubSpot user are synced.',
        },
        syncFlagField,
      ],
    },
  ],
  customUrl: 'none',
  capabilities: {
    activityTypes: ['meeting', 'call', 'task'],
    recurrence: false,
    invitees: true,
    webhooks: false,
    calendars: false,
  },
};

const flagPropertyOf = (input: ConnectInput) =>
  optionalApiName(
    input,
    'syncFlagProperty',
    /^[a-z][a-z0-9_]{0,99}$/,
    'a property internal name (lower case, digits, underscores)',
  );

export interface HubSpotConnectorOptions {
  apiBase?: string;
  appBase?: string;
  /** Spacing of search requests; 0 for tests on a double. */
  searchIntervalMs?: number;
}

export function createHubSpotConnector(options: HubSpotConnectorOptions = {}): CrmConnector {
  const apiBase = (options.apiBase ?? hubspotApiBase).replace(/\/+$/, '');
  const appBase = (options.appBase ?? hubspotAppBase).replace(/\/+$/, '');
  const clientFor = (s: HubSpotSecrets, env: ProviderEnv, onTokens: (s: HubSpotSecrets) => Promise<void>) =>
    new HubSpotClient(s, {
      apiBase,
      fetch: env.fetch,
      now: () => env.now(),
      onTokens,
      ...(options.searchIntervalMs !== undefined ? { searchIntervalMs: options.searchIntervalMs } : {}),
    });
  const providerFor = (client: HubSpotClient, s: HubSpotSecrets, env: ProviderEnv) =>
    new HubSpotProvider(client, {
      ownerId: s.ownerId,
      userEmail: s.userEmail,
      portalId: s.portalId ?? null,
      syncFlagProperty: s.syncFlagProperty ?? null,
      appBase,
      now: () => env.now(),
    });

  /** Owner id for an e-mail, then the probe search; returns the stored connection. */
  async function verify(secrets: HubSpotSecrets, env: ProviderEnv): Promise<Connection> {
    let current = secrets;
    const client = clientFor(secrets, env, async (s) => {
      current = s;
    });
    const q = new URLSearchParams({ email: secrets.userEmail, limit: '1' });
    const owners = await client.call<{ results?: { id: string; email?: string }[] }>(
      'GET',
      `/crm/v3/owners?${q.toString()}`,
    );
    const owner = owners?.results?.[0];
    if (!owner)
      throw new ConnectError(
        'missing-permission',
        `HubSpot has no active user with the e-mail ${secrets.userEmail} in this account.`,
        secrets.method === 'private-app' ? 'fields.ownerEmail' : undefined,
      );
    current = { ...client.current, ownerId: owner.id };
    try {
      await providerFor(client, current, env).testConnection();
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'invalid')
        throw new ConnectError(
          'missing-permission',
          `HubSpot lacks the connector's property "${tagProperty}" on meetings (see docs/crm.md, HubSpot).`,
        );
      throw e;
    }
    return {
      secrets: hubspotSecretsToRecord(current),
      account: current.portalId ? `${current.userEmail} @ HubSpot ${current.portalId}` : current.userEmail,
      url: null,
      expiresAt: null,
    };
  }

  return {
    descriptor: hubspotDescriptor,

    async connect(input, env) {
      if (input.method !== 'private-app')
        throw new ConnectError('invalid-input', `unknown method ${input.method}`, 'method');
      const accessToken = requiredField(input, 'accessToken', 'the access token');
      const email = requiredField(input, 'ownerEmail', 'your HubSpot user e-mail').toLowerCase();
      if (!/^[^@\s]+@[^@\s]+$/.test(email))
        throw new ConnectError('invalid-input', 'expected an e-mail address', 'fields.ownerEmail');
      const flag = flagPropertyOf(input);
      try {
        return await verify(
          {
            method: 'private-app',
            accessToken,
            ownerId: '',
            userEmail: email,
            ...(flag ? { syncFlagProperty: flag } : {}),
          },
          env,
        );
      } catch (e) {
        throw toConnectError(e);
      }
    },

    oauth: {
      async authorizationUrl({ state, codeChallenge, redirectUri, input }) {
        const q = new URLSearchParams({
          client_id: requiredField(input, 'clientId', 'the app client ID'),
          redirect_uri: redirectUri,
          scope: hubspotScopes.join(' '),
          state,
          code_challenge: codeChallenge,
          code_challenge_method: 'S256',
        });
        requiredField(input, 'clientSecret', 'the app client secret');
        flagPropertyOf(input);
        return `${appBase}/oauth/authorize?${q.toString()}`;
      },

      async exchangeCode({ code, codeVerifier, redirectUri, input, env }): Promise<Connection> {
        const clientId = requiredField(input, 'clientId', 'the app client ID');
        const clientSecret = requiredField(input, 'clientSecret', 'the app client secret');
        const flag = flagPropertyOf(input);
        try {
          const t = await hubspotToken(
            env.fetch,
            apiBase,
            {
              grant_type: 'authorization_code',
              client_id: clientId,
              client_secret: clientSecret,
              redirect_uri: redirectUri,
              code,
              code_verifier: codeVerifier,
            },
            () => env.now(),
          );
          const expiresAt = expiryOf(env.now(), t.expires_in);
          const base: HubSpotSecrets = {
            method: 'oauth',
            accessToken: t.access_token,
            ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
            ...(expiresAt ? { accessTokenExpiresAt: expiresAt } : {}),
            clientId,
            clientSecret,
            ownerId: '',
            userEmail: '',
            ...(flag ? { syncFlagProperty: flag } : {}),
          };
          const info = await clientFor(base, env, async () => undefined).tokenInfo();
          if (!info?.user) throw new ProviderError('permanent', 'HubSpot token information without the user');
          return await verify({ ...base, userEmail: info.user.toLowerCase(), portalId: String(info.hub_id) }, env);
        } catch (e) {
          throw toConnectError(e);
        }
      },
    },

    open(connection, env, hooks) {
      const secrets = hubspotSecretsFromRecord(connection.secrets);
      const client = clientFor(secrets, env, (s) => hooks.saveSecrets(hubspotSecretsToRecord(s), null));
      return providerFor(client, secrets, env);
    },

    async revoke(connection, env) {
      const s = hubspotSecretsFromRecord(connection.secrets);
      // A private app's token is revoked in HubSpot's settings; an OAuth refresh token here.
      if (s.method !== 'oauth' || !s.refreshToken) return;
      const res = await env.fetch(`${apiBase}/oauth/v1/refresh-tokens/${encodeURIComponent(s.refreshToken)}`, {
        method: 'DELETE',
      });
      if (!res.ok && res.status !== 404) throw new ProviderError('permanent', `HubSpot revoke answered ${res.status}`);
    },
  };
}

export const hubspotConnector = createHubSpotConnector();
