/**
 * Pipedrive connector: a personal API token (form; the custom URL is the optional company domain,
 * https://<company>.pipedrive.com, reached through the SSRF-guarded fetch) or a Marketplace app's OAuth (client id and
 * secret in the form; the token answer names the company's `api_domain`, which must be a pipedrive.com host).
 * Connecting reads the user (`GET /v1/users/me`), then one activity and one person: a refusal names what is missing.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { Connection, CrmConnector, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import { requiredField } from '../connect-fields';
import { expiryOf } from '../../http/oauth-token';
import {
  PipedriveClient,
  pipedriveApiBase,
  pipedriveOAuthBase,
  pipedriveSecretsFromRecord,
  pipedriveSecretsToRecord,
  pipedriveToken,
  type PipedriveEnvelope,
  type PipedriveSecrets,
} from './client';
import { PipedriveProvider } from './provider';

export const pipedriveScopes = ['base', 'activities:full', 'contacts:full', 'users:read'];

export const pipedriveDescriptor: ProviderDescriptor = {
  id: 'pipedrive',
  side: 'crm',
  label: 'Pipedrive',
  authMethods: [
    {
      id: 'api-token',
      kind: 'fields',
      label: 'Personal API token',
      fields: [
        {
          key: 'apiToken',
          label: 'API token',
          kind: 'password',
          required: true,
          help: 'Pipedrive: Personal preferences → API.',
        },
      ],
    },
    {
      id: 'oauth',
      kind: 'oauth',
      label: 'Sign in with Pipedrive',
      fields: [
        { key: 'clientId', label: 'App client ID', kind: 'text', required: true },
        { key: 'clientSecret', label: 'App client secret', kind: 'password', required: true },
      ],
    },
  ],
  customUrl: 'optional',
  urlLabel: 'Company domain',
  urlPlaceholder: 'https://yourcompany.pipedrive.com',
  capabilities: {
    activityTypes: ['meeting', 'call', 'follow-up', 'task'],
    recurrence: false,
    invitees: true,
    webhooks: false,
    calendars: false,
  },
};

function originOf(url: string, field: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new ConnectError('bad-url', `"${url}" is not a valid URL`, field);
  }
}

export interface PipedriveConnectorOptions {
  /** Where API calls go without a company domain (tests: the double). */
  apiBase?: string;
  oauthBase?: string;
  /** Hosts an OAuth `api_domain` may name (default: pipedrive.com and its subdomains). */
  apiDomainAllowed?: (host: string) => boolean;
}

export function createPipedriveConnector(options: PipedriveConnectorOptions = {}): CrmConnector {
  const apiBase = (options.apiBase ?? pipedriveApiBase).replace(/\/+$/, '');
  const oauthBase = (options.oauthBase ?? pipedriveOAuthBase).replace(/\/+$/, '');
  const domainAllowed =
    options.apiDomainAllowed ?? ((host: string) => host === 'pipedrive.com' || host.endsWith('.pipedrive.com'));
  const clientFor = (s: PipedriveSecrets, env: ProviderEnv, onTokens: (s: PipedriveSecrets) => Promise<void>) =>
    new PipedriveClient(s, { fetch: env.safeFetch, tokenFetch: env.fetch, now: () => env.now(), onTokens });
  const providerFor = (client: PipedriveClient, s: PipedriveSecrets, env: ProviderEnv) =>
    new PipedriveProvider(client, { userId: Number(s.userId), userEmail: s.userEmail, now: () => env.now() });

  async function verify(secrets: PipedriveSecrets, env: ProviderEnv): Promise<Connection> {
    let current = secrets;
    const client = clientFor(secrets, env, async (s) => {
      current = s;
    });
    const me = await client.call<PipedriveEnvelope<{ id?: number; email?: string; company_domain?: string }>>(
      'GET',
      '/v1/users/me',
    );
    if (!me?.data?.id || !me.data.email)
      throw new ProviderError('permanent', 'Pipedrive users/me without id or e-mail');
    current = {
      ...client.current,
      userId: String(me.data.id),
      userEmail: me.data.email.toLowerCase(),
      ...(me.data.company_domain ? { companyDomain: me.data.company_domain } : {}),
    };
    // One cheap read per permission the connector needs (activities; persons for attendees and companies), each
    // refusal named: Pipedrive answers 403 when the OAuth app lacks the scope or the user the visibility.
    const probes: [string, string][] = [
      [
        `/api/v2/activities?owner_id=${encodeURIComponent(current.userId)}&limit=1`,
        'activities (scope activities:full)',
      ],
      ['/api/v2/persons?limit=1', 'persons and organizations (scope contacts:full)'],
    ];
    for (const [path, what] of probes) {
      try {
        await client.call('GET', path);
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'forbidden')
          throw new ConnectError(
            'missing-permission',
            `Signed in, but this Pipedrive user or app may not read ${what}.`,
          );
        throw e;
      }
    }
    return {
      secrets: pipedriveSecretsToRecord(current),
      account: current.companyDomain
        ? `${current.userEmail} @ ${current.companyDomain}.pipedrive.com`
        : current.userEmail,
      url: current.apiBase,
      expiresAt: null,
    };
  }

  return {
    descriptor: pipedriveDescriptor,

    async connect(input, env) {
      if (input.method !== 'api-token')
        throw new ConnectError('invalid-input', `unknown method ${input.method}`, 'method');
      const apiToken = requiredField(input, 'apiToken', 'the API token');
      const base = input.url ? originOf(input.url, 'url') : apiBase;
      try {
        return await verify({ method: 'api-token', apiBase: base, apiToken, userId: '', userEmail: '' }, env);
      } catch (e) {
        throw toConnectError(e);
      }
    },

    oauth: {
      async authorizationUrl({ state, redirectUri, input }) {
        const q = new URLSearchParams({
          client_id: requiredField(input, 'clientId', 'the app client ID'),
          redirect_uri: redirectUri,
          state,
        });
        requiredField(input, 'clientSecret', 'the app client secret');
        return `${oauthBase}/oauth/authorize?${q.toString()}`;
      },

      async exchangeCode({ code, redirectUri, input, env }): Promise<Connection> {
        const clientId = requiredField(input, 'clientId', 'the app client ID');
        const clientSecret = requiredField(input, 'clientSecret', 'the app client secret');
        try {
          const t = await pipedriveToken(
            env.fetch,
            oauthBase,
            { id: clientId, secret: clientSecret },
            { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
            () => env.now(),
          );
          const domain = typeof t.extra['api_domain'] === 'string' ? t.extra['api_domain'] : '';
          let apiDomain: URL;
          try {
            apiDomain = new URL(domain);
          } catch {
            throw new ProviderError('permanent', 'Pipedrive token answer without a valid api_domain');
          }
          if (apiDomain.protocol !== 'https:' && !options.apiDomainAllowed)
            throw new ProviderError('permanent', 'Pipedrive named a non-https api_domain');
          if (!domainAllowed(apiDomain.host))
            throw new ProviderError(
              'permanent',
              `Pipedrive named an api_domain outside pipedrive.com (${apiDomain.host})`,
            );
          const expiresAt = expiryOf(env.now(), t.expires_in);
          return await verify(
            {
              method: 'oauth',
              apiBase: apiDomain.origin,
              accessToken: t.access_token,
              ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
              ...(expiresAt ? { accessTokenExpiresAt: expiresAt } : {}),
              clientId,
              clientSecret,
              oauthBase,
              userId: '',
              userEmail: '',
            },
            env,
          );
        } catch (e) {
          throw toConnectError(e);
        }
      },
    },

    open(connection, env, hooks) {
      const secrets = pipedriveSecretsFromRecord(connection.secrets);
      const client = clientFor(secrets, env, (s) => hooks.saveSecrets(pipedriveSecretsToRecord(s), null));
      return providerFor(client, secrets, env);
    },
  };
}

export const pipedriveConnector = createPipedriveConnector();
