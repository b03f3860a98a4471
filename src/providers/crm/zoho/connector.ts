/**
 * Zoho CRM connector: OAuth (authorization code through the Office dialog; client id and secret of a Zoho API
 * console "server-based" client in the form) at the data centre chosen in the form, or the one Zoho's redirect names
 * (`accounts-server`, else `location`; only Zoho's own accounts hosts are taken). The token answer's
 * `api_domain` must be a Zoho API host; calls go there with the `Zoho-oauthtoken` header. Connecting reads the
 * current user (`/crm/v8/users?type=CurrentUser`), then one Events record with the connector's tag field.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { ConnectInput, Connection, CrmConnector, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import { optionalApiName, requiredField } from '../connect-fields';
import { expiryOf } from '../../http/oauth-token';
import {
  ZohoClient,
  zohoDataCentres,
  zohoSecretsFromRecord,
  zohoSecretsToRecord,
  zohoToken,
  type ZohoDataCentre,
  type ZohoSecrets,
} from './client';
import { ZohoProvider, zohoTagField } from './provider';

export const zohoScopes = ['ZohoCRM.modules.ALL', 'ZohoCRM.users.READ'];

/** The descriptor for a set of data centres (the form's choice lists exactly the ones this connector can reach). */
export function zohoDescriptorFor(centres: Record<string, ZohoDataCentre>): ProviderDescriptor {
  return {
    id: 'zoho',
    side: 'crm',
    label: 'Zoho CRM',
    authMethods: [
      {
        id: 'oauth',
        kind: 'oauth',
        label: 'Sign in with Zoho',
        fields: [
          {
            key: 'dataCentre',
            label: 'Data centre',
            kind: 'select',
            required: true,
            options: Object.entries(centres).map(([value, d]) => ({ value, label: d.label })),
          },
          { key: 'clientId', label: 'Client ID (Zoho API console)', kind: 'text', required: true },
          { key: 'clientSecret', label: 'Client secret', kind: 'password', required: true },
          {
            key: 'syncFlagField',
            label: 'Sync-to-calendar field (optional)',
            kind: 'text',
            required: false,
            placeholder: 'CrmSync_Sync',
            help: 'API name of a checkbox field on Meetings, Calls and Tasks; leave empty if there is none.',
          },
        ],
      },
    ],
    customUrl: 'none',
    capabilities: {
      activityTypes: ['meeting', 'call', 'task'],
      recurrence: true,
      invitees: true,
      webhooks: false,
      calendars: false,
    },
  };
}

export const zohoDescriptor: ProviderDescriptor = zohoDescriptorFor(zohoDataCentres);

const flagFieldOf = (input: ConnectInput) =>
  optionalApiName(
    input,
    'syncFlagField',
    /^[A-Za-z][A-Za-z0-9_]{0,99}$/,
    'a field API name (letters, digits, underscores)',
  );

export interface ZohoConnectorOptions {
  /** Data centres by key (tests: the double as its own data centre). */
  dataCentres?: Record<string, ZohoDataCentre>;
  /** Whether an `api_domain` host is Zoho's (default: zohoapis.* hosts). */
  apiDomainAllowed?: (url: URL) => boolean;
}

export function createZohoConnector(options: ZohoConnectorOptions = {}): CrmConnector {
  const centres = options.dataCentres ?? zohoDataCentres;
  const apiAllowed =
    options.apiDomainAllowed ?? ((u: URL) => u.protocol === 'https:' && /^www\.zohoapis\.[a-z.]+$/.test(u.host));
  const centreOf = (input: ConnectInput) => {
    const key = requiredField(input, 'dataCentre', 'the data centre');
    const dc = centres[key];
    if (!dc) throw new ConnectError('invalid-input', `unknown data centre ${key}`, 'fields.dataCentre');
    return dc;
  };
  /**
   * The data centre the user's account lives in: the redirect's `accounts-server` (else its `location`) when Zoho
   * sent one, else the form's choice. Only a known Zoho accounts host is taken: the value arrives in a URL anyone
   * can craft, and the code and client secret are posted there (SSRF, SPEC §9).
   */
  const centreOfCallback = (input: ConnectInput, params: Readonly<Record<string, string>>): ZohoDataCentre => {
    const server = params['accounts-server']?.trim();
    const location = params['location']?.trim().toLowerCase();
    const byLocation = location ? Object.values(centres).find((c) => c.location === location) : undefined;
    if (server) {
      let origin: string | null = null;
      try {
        origin = new URL(server).origin;
      } catch {
        origin = null;
      }
      const dc = Object.values(centres).find(
        (c) => new URL(c.accounts).origin === origin && server.replace(/\/+$/, '') === origin,
      );
      if (!dc)
        throw new ConnectError(
          'blocked-url',
          "Zoho's sign-in named an accounts server that is not one of Zoho's data centres; the connection was refused.",
        );
      if (location && dc.location && dc.location !== location)
        throw new ConnectError(
          'blocked-url',
          "Zoho's sign-in named a location and an accounts server of different data centres; the connection was refused.",
        );
      return dc;
    }
    if (location) {
      if (!byLocation)
        throw new ConnectError('invalid-input', "Zoho's sign-in named a data centre this connector does not know.");
      return byLocation;
    }
    return centreOf(input);
  };
  const clientFor = (s: ZohoSecrets, env: ProviderEnv, onTokens: (s: ZohoSecrets) => Promise<void>) =>
    new ZohoClient(s, { fetch: env.fetch, now: () => env.now(), onTokens });
  const providerFor = (client: ZohoClient, s: ZohoSecrets, env: ProviderEnv) =>
    new ZohoProvider(client, {
      userId: s.userId,
      userEmail: s.userEmail,
      syncFlagField: s.syncFlagField ?? null,
      now: () => env.now(),
    });

  return {
    descriptor: zohoDescriptorFor(centres),
    oauth: {
      async authorizationUrl({ state, redirectUri, input }) {
        const dc = centreOf(input);
        const q = new URLSearchParams({
          scope: zohoScopes.join(','),
          client_id: requiredField(input, 'clientId', 'the client ID'),
          response_type: 'code',
          access_type: 'offline',
          prompt: 'consent',
          redirect_uri: redirectUri,
          state,
        });
        requiredField(input, 'clientSecret', 'the client secret');
        flagFieldOf(input);
        return `${dc.accounts}/oauth/v2/auth?${q.toString()}`;
      },

      async exchangeCode({ code, redirectUri, input, env, callbackParams = {} }): Promise<Connection> {
        centreOf(input);
        const dc = centreOfCallback(input, callbackParams);
        const clientId = requiredField(input, 'clientId', 'the client ID');
        const clientSecret = requiredField(input, 'clientSecret', 'the client secret');
        const flag = flagFieldOf(input);
        try {
          const t = await zohoToken(
            env.fetch,
            dc.accounts,
            {
              grant_type: 'authorization_code',
              client_id: clientId,
              client_secret: clientSecret,
              redirect_uri: redirectUri,
              code,
            },
            () => env.now(),
          );
          let api: URL;
          try {
            api = new URL(typeof t.extra['api_domain'] === 'string' ? t.extra['api_domain'] : dc.api);
          } catch {
            throw new ProviderError('permanent', 'Zoho token answer with an invalid api_domain');
          }
          if (!apiAllowed(api))
            throw new ProviderError('permanent', "Zoho named an api_domain that is not one of Zoho's API hosts");
          const expiresAt = expiryOf(env.now(), t.expires_in);
          let secrets: ZohoSecrets = {
            accountsBase: dc.accounts,
            apiBase: api.origin,
            accessToken: t.access_token,
            ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
            ...(expiresAt ? { accessTokenExpiresAt: expiresAt } : {}),
            clientId,
            clientSecret,
            userId: '',
            userEmail: '',
            ...(flag ? { syncFlagField: flag } : {}),
          };
          const client = clientFor(secrets, env, async (s) => {
            secrets = s;
          });
          const me = await client.call<{ users?: { id: string; email?: string }[] }>(
            'GET',
            '/crm/v8/users?type=CurrentUser',
          );
          const user = me?.users?.[0];
          if (!user?.id || !user.email) throw new ProviderError('permanent', 'Zoho current user without id or e-mail');
          secrets = { ...client.current, userId: user.id, userEmail: user.email.toLowerCase() };
          try {
            await providerFor(client, secrets, env).testConnection();
          } catch (e) {
            if (e instanceof ProviderError && e.kind === 'invalid')
              throw new ConnectError(
                'missing-permission',
                `Zoho CRM lacks the connector's field "${zohoTagField}" on Meetings (see docs/crm.md, Zoho CRM).`,
              );
            throw e;
          }
          return { secrets: zohoSecretsToRecord(secrets), account: secrets.userEmail, url: null, expiresAt: null };
        } catch (e) {
          throw toConnectError(e);
        }
      },
    },

    open(connection, env, hooks) {
      const secrets = zohoSecretsFromRecord(connection.secrets);
      const client = clientFor(secrets, env, (s) => hooks.saveSecrets(zohoSecretsToRecord(s), null));
      return providerFor(client, secrets, env);
    },

    async revoke(connection, env) {
      const s = zohoSecretsFromRecord(connection.secrets);
      if (!s.refreshToken) return;
      const res = await env.fetch(
        `${s.accountsBase}/oauth/v2/token/revoke?${new URLSearchParams({ token: s.refreshToken }).toString()}`,
        { method: 'POST' },
      );
      if (!res.ok) throw new ProviderError('permanent', `Zoho revoke answered ${res.status}`);
    },
  };
}

export const zohoConnector = createZohoConnector();
