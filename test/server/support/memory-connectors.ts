import crypto from 'node:crypto';
import type { CalendarConnector, CrmConnector } from '../../../src/providers/connector';
import type { ProviderRegistry } from '../../../src/server/connections/connection-service';
import { ProviderError } from '../../../src/sync/errors';
import { MemoryCalendar, MemoryCrm } from '../../../src/sync';
import type { Clock } from '../../../src/shared/clock';

/**
 * Connectors over the engine's stateful in-memory providers, for server tests: one MemoryCalendar / MemoryCrm
 * per account, kept across opens like a real remote account. Password "wrong" is refused like a real 401.
 */
export class MemoryWorld {
  readonly calendars = new Map<string, MemoryCalendar>();
  readonly crms = new Map<string, MemoryCrm>();
  readonly revoked: string[] = [];
  /** OAuth: the PKCE challenge each state was started with. */
  readonly challenges = new Map<string, string>();
  /** OAuth: the redirect's provider-specific parameters each code exchange was given. */
  readonly callbackParams: Readonly<Record<string, string>>[] = [];

  /** `clock`: the server's, so the accounts' modification times and the engine's "now" agree. */
  constructor(private readonly clock: Clock) {}

  calendar(account: string): MemoryCalendar {
    let c = this.calendars.get(account);
    if (!c) {
      c = new MemoryCalendar({
        userEmail: account,
        now: this.clock,
        calendars: [
          { id: 'primary', name: 'Calendar', isDefault: true, canWrite: true },
          { id: 'crm', name: 'CRM items', isDefault: false, canWrite: true },
          { id: 'holidays', name: 'Holidays', isDefault: false, canWrite: false },
        ],
      });
      this.calendars.set(account, c);
    }
    return c;
  }

  crm(account: string): MemoryCrm {
    let c = this.crms.get(account);
    if (!c) {
      c = new MemoryCrm({ userEmail: account, now: this.clock });
      this.crms.set(account, c);
    }
    return c;
  }

  registry(): ProviderRegistry {
    const calendar: CalendarConnector = {
      descriptor: {
        id: 'memcal',
        side: 'calendar',
        label: 'Memory calendar',
        authMethods: [
          {
            id: 'password',
            kind: 'fields',
            label: 'User name and password',
            fields: [
              { key: 'username', label: 'User name', kind: 'text', required: true },
              { key: 'password', label: 'Password', kind: 'password', required: true },
            ],
          },
          { id: 'oauth', kind: 'oauth', label: 'Sign in', fields: [] },
        ],
        customUrl: 'optional',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
      },
      connect: async (input) => {
        if (input.fields.password === 'wrong') throw new ProviderError('auth', 'invalid credentials', { status: 401 });
        const account = input.fields.username ?? '';
        await this.calendar(account).testConnection();
        return {
          secrets: { username: account, password: input.fields.password ?? '' },
          account,
          url: input.url,
          expiresAt: null,
        };
      },
      oauth: {
        authorizationUrl: async ({ state, codeChallenge, redirectUri }) => {
          this.challenges.set(state, codeChallenge);
          return `https://auth.example.test/authorize?state=${state}&code_challenge=${codeChallenge}&redirect_uri=${encodeURIComponent(redirectUri)}`;
        },
        exchangeCode: async ({ code, codeVerifier, callbackParams }) => {
          this.callbackParams.push(callbackParams ?? {});
          const challenge = crypto.createHash('sha256').update(codeVerifier).digest('base64url');
          if (![...this.challenges.values()].includes(challenge)) throw new ProviderError('auth', 'PKCE mismatch');
          return {
            secrets: { refreshToken: `rt-${code}` },
            account: `${code}@oauth.test`,
            url: null,
            // A year from the server's now: never expired, never "expiring soon", whatever day the suite runs.
            expiresAt: new Date(this.clock().getTime() + 365 * 86_400_000).toISOString(),
          };
        },
      },
      open: (conn) => this.calendar(conn.account),
      revoke: async (conn) => {
        this.revoked.push(conn.account);
      },
    };
    const crm: CrmConnector = {
      descriptor: {
        id: 'memcrm',
        side: 'crm',
        label: 'Memory CRM',
        authMethods: [
          {
            id: 'token',
            kind: 'fields',
            label: 'API token',
            fields: [{ key: 'account', label: 'Account', kind: 'text', required: true }],
          },
        ],
        customUrl: 'none',
        capabilities: {
          activityTypes: ['meeting', 'call', 'follow-up', 'task', 'note'],
          recurrence: true,
          invitees: true,
          webhooks: false,
          calendars: false,
        },
      },
      connect: async (input) => {
        const account = input.fields.account ?? '';
        return { secrets: { account, token: `secret-token-${account}` }, account, url: null, expiresAt: null };
      },
      open: (conn) => this.crm(conn.account),
    };
    /** Like Microsoft Graph: no form, the server supplies the user's token through hooks.getEntraToken. */
    const entraCalendar: CalendarConnector = {
      descriptor: {
        id: 'mementra',
        side: 'calendar',
        label: 'Memory mailbox (Entra sign-in)',
        authMethods: [{ id: 'entra', kind: 'entra', label: 'Sign in with Microsoft 365', fields: [] }],
        customUrl: 'none',
        capabilities: { activityTypes: [], recurrence: true, invitees: true, webhooks: false, calendars: true },
      },
      open: (conn, _env, hooks) => {
        const mailbox = this.calendar(conn.account);
        if (hooks.getEntraToken) return mailbox;
        return Object.assign(Object.create(mailbox) as MemoryCalendar, {
          testConnection: () => Promise.reject(new ProviderError('auth', 'no Microsoft Graph token for this user')),
        });
      },
    };
    return { calendar: [calendar, entraCalendar], crm: [crm] };
  }
}
