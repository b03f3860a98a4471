/**
 * Salesforce connector: OAuth 2.0 web-server flow with PKCE through the Office dialog. The connected app's
 * consumer key (and secret, if the app requires one) are asked in the form; the login host is
 * login.salesforce.com, test.salesforce.com for a sandbox, or the org's My Domain URL (custom URL, optional).
 * Every call goes through the SSRF-guarded fetch: the My Domain URL and the returned instance URL come from
 * outside.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { ConnectInput, Connection, CrmConnector, CrmItemTags, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import {
  apiVersion,
  SalesforceClient,
  salesforceSecretsFromRecord,
  salesforceSecretsToRecord,
  tokenRequest,
  type SalesforceSecrets,
} from './client';
import { OrgFields } from './org-fields';
import { SalesforceProvider } from './provider';

export const salesforceDescriptor: ProviderDescriptor = {
  id: 'salesforce',
  side: 'crm',
  label: 'Salesforce',
  authMethods: [
    {
      id: 'oauth',
      kind: 'oauth',
      label: 'Sign in with Salesforce',
      fields: [
        { key: 'clientId', label: 'Connected app consumer key', kind: 'text', required: true },
        { key: 'clientSecret', label: 'Consumer secret (if the app requires it)', kind: 'password', required: false },
        {
          key: 'environment',
          label: 'Environment',
          kind: 'select',
          required: false,
          options: [
            { value: 'production', label: 'Production' },
            { value: 'sandbox', label: 'Sandbox' },
          ],
        },
        {
          key: 'syncFlagField',
          label: 'Sync-to-calendar field (optional)',
          kind: 'text',
          required: false,
          placeholder: 'CrmSync_Sync__c',
          help: 'A checkbox field on Event and Task; leave empty if there is none.',
        },
      ],
    },
  ],
  notes: [
    'Works on a stock org. Optional for the admin: a Text(255) field CrmSync_ICalUId__c on Event and Task, readable and editable by connector users. With it a meeting that several colleagues sync stays one Salesforce event instead of one per colleague, and an import interrupted by an outage is recognised instead of made twice.',
    'Calls are told from meetings by the Event Type field: it must be visible to connector users (field-level security). With Shared Activities on, every related contact of an event is kept, not only the first.',
  ],
  customUrl: 'optional',
  urlLabel: 'My Domain URL',
  urlPlaceholder: 'https://yourcompany.my.salesforce.com',
  capabilities: {
    activityTypes: ['meeting', 'call', 'task'],
    recurrence: false,
    invitees: true,
    webhooks: false,
    calendars: false,
  },
};

function loginUrlOf(input: ConnectInput): string {
  if (input.url) {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new ConnectError('bad-url', `"${input.url}" is not a valid URL`, 'url');
    }
    return url.origin;
  }
  return input.fields['environment'] === 'sandbox' ? 'https://test.salesforce.com' : 'https://login.salesforce.com';
}

function clientIdOf(input: ConnectInput): string {
  const id = input.fields['clientId']?.trim();
  if (!id) throw new ConnectError('invalid-input', 'the consumer key is required', 'fields.clientId');
  return id;
}

function flagFieldOf(input: ConnectInput): string | null {
  const f = input.fields['syncFlagField']?.trim() ?? '';
  if (f && !/^[A-Za-z][A-Za-z0-9_]*__c$/.test(f)) {
    throw new ConnectError('invalid-input', 'expected a custom field API name ending in __c', 'fields.syncFlagField');
  }
  return f || null;
}

function providerFor(
  client: SalesforceClient,
  s: SalesforceSecrets,
  syncFlagField: string | null,
  now: () => Date,
  itemTags: CrmItemTags | null = null,
): SalesforceProvider {
  return new SalesforceProvider(client, {
    me: { id: s.userId, email: s.userEmail ?? null, account: s.username ?? s.userEmail ?? s.userId },
    syncFlagField,
    now,
    orgFields: OrgFields.parse(s.orgFields),
    itemTags,
  });
}

export const salesforceConnector: CrmConnector = {
  descriptor: salesforceDescriptor,

  oauth: {
    async authorizationUrl({ state, codeChallenge, redirectUri, input }) {
      const login = loginUrlOf(input);
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: clientIdOf(input),
        redirect_uri: redirectUri,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        scope: 'api refresh_token openid email',
        prompt: 'login consent',
      });
      flagFieldOf(input);
      return `${login}/services/oauth2/authorize?${q.toString()}`;
    },

    async exchangeCode({ code, codeVerifier, redirectUri, input, env }): Promise<Connection> {
      const loginUrl = loginUrlOf(input);
      const clientId = clientIdOf(input);
      const syncFlagField = flagFieldOf(input);
      const clientSecret = input.fields['clientSecret']?.trim() || undefined;
      try {
        const body = new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: clientId,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
        });
        if (clientSecret) body.set('client_secret', clientSecret);
        const token = await tokenRequest(env.safeFetch, loginUrl, body, () => env.now());
        if (!token.instance_url) throw new ProviderError('permanent', 'Salesforce token response without instance_url');
        let secrets: SalesforceSecrets = {
          clientId,
          ...(clientSecret ? { clientSecret } : {}),
          loginUrl,
          instanceUrl: token.instance_url.replace(/\/+$/, ''),
          accessToken: token.access_token,
          ...(token.refresh_token ? { refreshToken: token.refresh_token } : {}),
          userId: '',
        };
        const client = new SalesforceClient(
          secrets,
          env.safeFetch,
          async (s) => {
            secrets = s;
          },
          () => env.now(),
        );
        const info = (await client.call('GET', '/services/oauth2/userinfo')) as {
          user_id?: string;
          email?: string;
          preferred_username?: string;
        } | null;
        if (!info?.user_id) throw new ProviderError('permanent', 'Salesforce userinfo without user_id');
        secrets = {
          ...client.current,
          userId: info.user_id,
          ...(info.email ? { userEmail: info.email.toLowerCase() } : {}),
          ...(info.preferred_username ? { username: info.preferred_username } : {}),
        };
        const provider = providerFor(
          new SalesforceClient(
            secrets,
            env.safeFetch,
            // testConnection reads describe(): what it found is stored with the connection.
            async (s) => {
              secrets = s;
            },
            () => env.now(),
          ),
          secrets,
          syncFlagField,
          () => env.now(),
        );
        const { account } = await provider.testConnection();
        const record = salesforceSecretsToRecord(secrets);
        if (syncFlagField) record['syncFlagField'] = syncFlagField;
        return { secrets: record, account, url: secrets.instanceUrl, expiresAt: null };
      } catch (e) {
        if (
          syncFlagField &&
          e instanceof ProviderError &&
          e.kind === 'forbidden' &&
          e.message.includes(syncFlagField)
        ) {
          throw new ConnectError(
            'missing-permission',
            `Salesforce has no field ${syncFlagField} on Event and Task that this user can read (see docs/crm.md); leave the field empty if there is none.`,
            'fields.syncFlagField',
          );
        }
        if (e instanceof ProviderError && e.status === 400 && /INVALID_FIELD/.test(e.message)) {
          throw new ConnectError(
            'missing-permission',
            'This Salesforce user cannot read a standard Event/Task field the connector needs (field-level security).',
          );
        }
        // Our own words naming the object (client.ts / org-fields.ts): never Salesforce's message text.
        if (e instanceof ProviderError && e.kind === 'forbidden')
          throw new ConnectError('missing-permission', `${e.message}.`);
        throw toConnectError(e);
      }
    },
  },

  open(connection, env: ProviderEnv, hooks) {
    const secrets = salesforceSecretsFromRecord(connection.secrets);
    const syncFlagField = connection.secrets['syncFlagField'] ?? null;
    const client = new SalesforceClient(
      secrets,
      env.safeFetch,
      (s) => {
        const record = salesforceSecretsToRecord(s);
        if (syncFlagField) record['syncFlagField'] = syncFlagField;
        return hooks.saveSecrets(record, null);
      },
      () => env.now(),
    );
    return providerFor(client, secrets, syncFlagField, () => env.now(), hooks.itemTags ?? null);
  },

  async revoke(connection, env) {
    const token = connection.secrets['refreshToken'] ?? connection.secrets['accessToken'];
    const loginUrl = connection.secrets['loginUrl'];
    if (!token || !loginUrl) return;
    const res = await env.safeFetch(`${loginUrl}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!res.ok && res.status !== 400) throw new ProviderError('permanent', `Salesforce revoke answered ${res.status}`);
  },
};

export const salesforceApiVersion = apiVersion;
