/**
 * SuiteCRM connector: a form (custom URL required) for the V8 API's OAuth2 password or client-credentials grant.
 * Connect checks the input, SSRF-checks the URL through the safe fetch, gets a token and reads one meeting.
 */
import type { ProviderDescriptor } from '../../../shared/providers';
import { ProviderError } from '../../../sync/errors';
import type { ConnectInput, Connection, CrmConnector, ProviderEnv } from '../../connector';
import { ConnectError, toConnectError } from '../../http/connect-error';
import { requiredField } from '../connect-fields';
import { secretsFromRecord, secretsToRecord, SuiteCrmClient, type SuiteCrmSecrets } from './client';
import { SuiteCrmProvider } from './provider';

const clientFields = [
  { key: 'clientId', label: 'Client ID', kind: 'text', required: true, help: 'Admin → OAuth2 Clients and Tokens' },
  { key: 'clientSecret', label: 'Client secret', kind: 'password', required: true },
] as const;

const syncFlagField = {
  key: 'syncFlagField',
  label: 'Sync-to-calendar field (optional)',
  kind: 'text',
  required: false,
  placeholder: 'sync_to_calendar_c',
  help: 'A checkbox field added in Studio to Meetings, Calls and Tasks; leave empty if there is none.',
} as const;

export const suiteCrmDescriptor: ProviderDescriptor = {
  id: 'suitecrm',
  side: 'crm',
  label: 'SuiteCRM 7 / 8',
  authMethods: [
    {
      id: 'password',
      kind: 'fields',
      label: 'User name and password (OAuth2 password grant)',
      fields: [
        ...clientFields,
        { key: 'username', label: 'User name', kind: 'text', required: true },
        { key: 'password', label: 'Password', kind: 'password', required: true },
        syncFlagField,
      ],
    },
    {
      id: 'client-credentials',
      kind: 'fields',
      label: 'API client (OAuth2 client-credentials grant)',
      fields: [
        ...clientFields,
        {
          key: 'username',
          label: 'CRM user to sync (optional)',
          kind: 'text',
          required: false,
          help: 'Limits the sync to activities assigned to this user name.',
        },
        syncFlagField,
      ],
    },
  ],
  customUrl: 'required',
  urlLabel: 'SuiteCRM address',
  urlPlaceholder: 'https://crm.example.com (SuiteCRM 8: https://crm.example.com/legacy)',
  capabilities: {
    activityTypes: ['meeting', 'call', 'task'],
    recurrence: false,
    invitees: true,
    webhooks: false,
    calendars: false,
  },
};

/** Base URL of the V8 API's parent: the instance URL without a trailing slash, /index.php or /Api… suffix. */
export function normaliseSuiteCrmUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConnectError('bad-url', `"${raw}" is not a valid URL`, 'url');
  }
  url.hash = '';
  url.search = '';
  url.pathname = url.pathname.replace(/\/(index\.php|Api(\/.*)?)?$/i, '').replace(/\/+$/, '');
  return url.toString().replace(/\/+$/, '');
}

async function findUser(
  client: SuiteCrmClient,
  username: string,
): Promise<{ id: string; email: string | null } | null> {
  const q = new URLSearchParams({ 'filter[user_name][eq]': username, 'fields[Users]': 'user_name,email1' });
  const users = await client.listAll('Users', q);
  const u = users[0];
  if (!u) return null;
  const email =
    typeof u.attributes?.['email1'] === 'string' && u.attributes['email1']
      ? u.attributes['email1'].toLowerCase()
      : null;
  return { id: u.id, email };
}

function providerFor(client: SuiteCrmClient, s: SuiteCrmSecrets): SuiteCrmProvider {
  return new SuiteCrmProvider(client, {
    me: {
      id: s.userId ?? null,
      email: s.userEmail ?? null,
      mailbox: s.mailbox ?? null,
      account: s.username ?? s.clientId,
    },
    syncFlagField: s.syncFlagField ?? null,
  });
}

export const suiteCrmConnector: CrmConnector = {
  descriptor: suiteCrmDescriptor,

  async connect(input: ConnectInput, env: ProviderEnv): Promise<Connection> {
    if (input.method !== 'password' && input.method !== 'client-credentials') {
      throw new ConnectError('invalid-input', `unknown sign-in method ${input.method}`, 'method');
    }
    if (!input.url) throw new ConnectError('invalid-input', 'the SuiteCRM address is required', 'url');
    const baseUrl = normaliseSuiteCrmUrl(input.url);
    const flagField = input.fields['syncFlagField']?.trim() ?? '';
    if (flagField && !/^[a-z][a-z0-9_]*$/i.test(flagField)) {
      throw new ConnectError(
        'invalid-input',
        'the field name may only hold letters, digits and _',
        'fields.syncFlagField',
      );
    }
    const secrets: SuiteCrmSecrets = {
      grant: input.method === 'password' ? 'password' : 'client_credentials',
      clientId: requiredField(input, 'clientId', 'The client ID'),
      clientSecret: requiredField(input, 'clientSecret', 'The client secret'),
      ...(flagField ? { syncFlagField: flagField } : {}),
      ...(input.userEmail?.trim() ? { mailbox: input.userEmail.trim().toLowerCase() } : {}),
    };
    if (input.method === 'password') {
      secrets.username = requiredField(input, 'username', 'The user name');
      secrets.password = requiredField(input, 'password', 'The password');
    } else if (input.fields['username']?.trim()) {
      secrets.username = input.fields['username'].trim();
    }
    let latest = secrets;
    const client = new SuiteCrmClient(
      baseUrl,
      secrets,
      env.safeFetch,
      async (s) => {
        latest = s;
      },
      () => env.now(),
    );
    try {
      await client.authenticate();
      if (secrets.username) {
        const me = await findUser(client, secrets.username);
        if (!me)
          throw new ConnectError('invalid-input', `SuiteCRM has no user named ${secrets.username}`, 'fields.username');
        latest = { ...client.current, userId: me.id, ...(me.email ? { userEmail: me.email } : {}) };
      }
      const { account } = await providerFor(client, latest).testConnection();
      return {
        secrets: secretsToRecord(latest),
        account: `${account} @ ${new URL(baseUrl).host}`,
        url: baseUrl,
        expiresAt: null,
      };
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'auth') {
        // Our own words only: SuiteCRM's message for a wrong password contains the password.
        const client = /client ID or secret/.test(e.message) || input.method !== 'password';
        throw new ConnectError(
          'unauthorized',
          client
            ? 'SuiteCRM rejected the client ID or client secret (Admin → OAuth2 Clients and Tokens).'
            : 'SuiteCRM rejected the user name or password.',
          client ? 'fields.clientSecret' : 'fields.password',
        );
      }
      if (e instanceof ProviderError && e.kind === 'forbidden') {
        throw new ConnectError('missing-permission', e.message);
      }
      if (e instanceof ProviderError && e.kind === 'permanent' && /not JSON|access_token/.test(e.message)) {
        throw new ConnectError(
          'bad-url',
          'No SuiteCRM V8 API answered at that address (SuiteCRM 8: add /legacy).',
          'url',
        );
      }
      throw toConnectError(e);
    }
  },

  open(connection, env, hooks) {
    if (!connection.url) throw new ProviderError('auth', 'SuiteCRM connection has no URL');
    const secrets = secretsFromRecord(connection.secrets);
    const client = new SuiteCrmClient(
      connection.url,
      secrets,
      env.safeFetch,
      (s) => hooks.saveSecrets(secretsToRecord(s), null),
      () => env.now(),
    );
    return providerFor(client, secrets);
  },
};
