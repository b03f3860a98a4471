/**
 * CalDAV as a calendar connection (SPEC §3): the user's URL + user name + app password. The URL and every
 * href the server returns go through the SSRF-guarded fetch; connecting runs discovery and lists the
 * calendars, so a wrong URL, password or server type fails with a clear reason before anything is saved.
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../../../shared/providers';
import type { CalendarConnector, Connection, ConnectInput, ProviderEnv } from '../../connector';
import { ProviderError } from '../../../sync/errors';
import { ConnectError, toConnectError, UnsafeUrlError } from '../../http';
import { DavClient } from './dav-client';
import { discover, listCalendarCollections } from './discovery';
import { CalDavCalendarProvider } from './provider';

export const caldavDescriptor: ProviderDescriptor = {
  id: 'caldav',
  side: 'calendar',
  label: 'CalDAV (iCloud, Fastmail, Nextcloud, Radicale…)',
  authMethods: [
    {
      id: 'app-password',
      kind: 'fields',
      label: 'User name and app password',
      fields: [
        { key: 'username', label: 'User name', kind: 'text', required: true, placeholder: 'you@example.com' },
        {
          key: 'password',
          label: 'App password',
          kind: 'password',
          required: true,
          help: 'Create an app-specific password in your account settings (iCloud, Fastmail, Nextcloud).',
        },
      ],
    },
  ],
  customUrl: 'required',
  urlLabel: 'CalDAV server URL',
  urlPlaceholder: 'https://caldav.example.com/',
  capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
};

const inputSchema = z.object({
  url: z.string({ error: 'The CalDAV server URL is required.' }).min(1, 'The CalDAV server URL is required.'),
  fields: z.object({
    username: z.string({ error: 'The user name is required.' }).trim().min(1, 'The user name is required.'),
    password: z.string({ error: 'The app password is required.' }).min(1, 'The app password is required.'),
  }),
});

const secretsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  /** Comma-separated mailto: addresses found at discovery (ORGANIZER / self detection). */
  addresses: z.string().default(''),
});

async function connect(input: ConnectInput, env: ProviderEnv): Promise<Connection> {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? 'url';
    throw new ConnectError('invalid-input', issue?.message ?? 'Invalid input.', field);
  }
  const { url, fields } = parsed.data;
  const client = new DavClient(env.safeFetch, fields, env.now);
  try {
    const found = await discover(client, url, fields.username);
    const calendars = await listCalendarCollections(client, found.homeUrl);
    // The URL of one calendar (not the server or the home): that calendar is the default target.
    const named = calendars.find((c) => sameCollection(new URL(c.id, found.homeUrl), new URL(url)));
    return {
      secrets: { username: fields.username, password: fields.password, addresses: found.addresses.join(',') },
      account: fields.username,
      url: found.homeUrl,
      expiresAt: null,
      calendarId: named?.id ?? null,
    };
  } catch (e) {
    throw toConnectError(e instanceof ProviderError && e.cause instanceof UnsafeUrlError ? e.cause : e);
  }
}

function sameCollection(a: URL, b: URL): boolean {
  const path = (u: URL) => decodeURIComponent(u.pathname).replace(/\/+$/, '');
  return a.origin === b.origin && path(a) === path(b);
}

export const caldavConnector: CalendarConnector = {
  descriptor: caldavDescriptor,
  connect,
  open(connection, env) {
    const secrets = secretsSchema.parse(connection.secrets);
    if (!connection.url) throw new Error('a CalDAV connection needs its calendar home URL');
    return new CalDavCalendarProvider({
      client: new DavClient(env.safeFetch, secrets, env.now),
      homeUrl: connection.url,
      self: { addresses: secrets.addresses.split(',').filter(Boolean) },
      account: connection.account,
      now: env.now,
      ...(env.caldavWriteConcurrency ? { writeConcurrency: env.caldavWriteConcurrency } : {}),
    });
  },
};
